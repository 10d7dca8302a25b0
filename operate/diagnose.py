"""Why a tunnel is not carrying traffic, from plain dicts: no cloud client, no I/O.

The inputs are the stack outputs and the clouds' answers in their documented shapes (EC2
`DescribeVpnConnections` / `SearchTransitGatewayRoutes` with AWS's key names; Compute `VpnTunnel`
and `RouterStatus.bgpPeerStatus` as snake_case dicts). Keeping this pure lets every diagnosis be
tested from recorded responses, and lets the CLI stay a thin shell around it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field

HEALTHY, DEGRADED, DOWN = "healthy", "degraded", "down"
EXIT_CODES = {HEALTHY: 0, DEGRADED: 1, DOWN: 2}
IDLE = "idle (expected)"


@dataclass
class Row:
    """One AWS tunnel: a GCP tunnel's peer, an idle second tunnel, or an office tunnel."""

    tunnel: str
    aws_outside_ip: str | None
    aws: str = "-"            # AWS telemetry Status (UP/DOWN), "missing" when AWS reports no such tunnel
    aws_message: str = ""
    gcp: str = "-"            # GCP VpnTunnel.status
    bgp: str = "-"            # GCP BGP peer status (UP/DOWN); AWS's view for offices
    routes_to_aws: int | None = None    # AWS AcceptedRouteCount: routes AWS learned over this tunnel
    routes_to_gcp: int | None = None    # GCP num_learned_routes: routes the Cloud Router learned
    state: str = "ok"         # ok, idle (expected), degraded, down
    last_change: str = ""


@dataclass
class Finding:
    tunnel: str
    kind: str
    message: str
    problem: bool = True      # False: a note that does not degrade the health


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    health: str = HEALTHY

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.health]

    def to_dict(self) -> dict:
        return {"health": self.health, "exitCode": self.exit_code,
                "tunnels": [asdict(r) for r in self.rows], "findings": [asdict(f) for f in self.findings]}


def inside_hosts(cidr: str) -> tuple[str, str]:
    """(AWS side, GCP side) of a tunnel's inside /30: AWS always takes the first host."""
    net = ipaddress.IPv4Network(cidr)
    return str(net.network_address + 1), str(net.network_address + 2)


def spoke_ranges(outputs: dict) -> list[tuple[str, str]]:
    """(spoke, range) for every range of the `gcpSpokes` output (a CIDR or a list of them)."""
    out = []
    for name, value in (outputs.get("gcpSpokes") or {}).items():
        for cidr in [value] if isinstance(value, str) else list(value or []):
            out.append((name, cidr))
    return out


def _telemetry_by_ip(connections: list[dict]) -> dict[str, tuple[dict, dict]]:
    return {t["OutsideIpAddress"]: (c, t) for c in connections for t in c.get("VgwTelemetry") or []}


def find_gcp_tunnel(t: dict, gcp_tunnels: list[dict]) -> dict | None:
    """By the name the stack exports, else the peer address, else the description the program sets."""
    if t.get("gcpTunnel"):
        return next((g for g in gcp_tunnels if g.get("name") == t["gcpTunnel"]), None)
    by_peer = [g for g in gcp_tunnels if g.get("peer_ip") == t.get("awsOutsideIp")]
    if by_peer:
        return by_peer[0]
    description = f"AWS connection {t.get('connection')} tunnel {t.get('awsTunnel')}"
    return next((g for g in gcp_tunnels if g.get("description") == description), None)


def _find_peer(t: dict, gcp_tunnel: dict | None, peers: list[dict]) -> dict | None:
    """The BGP peer linked to the tunnel, else one whose addresses fall in the tunnel's inside /30."""
    if gcp_tunnel is not None:
        suffix = "/vpnTunnels/" + str(gcp_tunnel.get("name"))
        linked = [p for p in peers if str(p.get("linked_vpn_tunnel", "")).endswith(suffix)]
        if linked:
            return linked[0]
    net = ipaddress.IPv4Network(t["insideCidr"])
    for p in peers:
        for key in ("ip_address", "peer_ip_address"):
            try:
                if p.get(key) and ipaddress.IPv4Address(p[key]) in net:
                    return p
            except ValueError:
                continue
    return None


def _ipsec_findings(name: str, row: Row, gcp_tunnel: dict | None) -> list[Finding]:
    """The tunnel itself is not up: say which side and why, as far as the statuses tell."""
    detail = str((gcp_tunnel or {}).get("detailed_status", ""))
    said = f"GCP says {row.gcp}: {detail!r}; AWS says {row.aws}: {row.aws_message!r}."
    ike_words = ("proposal", "ike", "rekey", "negotiat")
    if row.gcp == "NEGOTIATION_FAILURE" or any(w in detail.lower() for w in ike_words) or (
            row.gcp != "ESTABLISHED" and "IPSEC IS DOWN" in row.aws_message.upper()
            and row.gcp not in ("AUTHORIZATION_ERROR", "NO_INCOMING_PACKETS")):
        return [Finding(name, "ike-mismatch",
                        "IPsec is down: the IKE proposals do not match (encryption, integrity, DH group, "
                        "lifetimes of siteToSite.ikeProfile on the AWS tunnel options vs the GCP cipher suite) "
                        f"or a rekey failed. {said} Re-run `pulumi up` so both sides get the same profile; "
                        "if it persists, compare the AWS tunnel options with the GCP tunnel's cipher suite.")]
    if row.gcp == "AUTHORIZATION_ERROR":
        return [Finding(name, "psk-mismatch", f"IPsec is down: the pre-shared keys differ. {said} "
                        "Re-run `pulumi up` so both sides get the key of the same keyVersions entry.")]
    if row.gcp == "NO_INCOMING_PACKETS":
        return [Finding(name, "no-packets", f"GCP receives nothing from AWS. {said} Check that the GCP external "
                        "gateway interface has this AWS tunnel's outside address and that the AWS tunnel is "
                        "configured (not replaced since).")]
    return [Finding(name, "tunnel-down", f"The tunnel is not established. {said}")]


def _bgp_findings(name: str, t: dict, peer: dict | None) -> list[Finding]:
    """The tunnel is up but the session is not: wrong inside addresses, else ASNs."""
    aws_host, gcp_host = inside_hosts(t["insideCidr"])
    if peer is None:
        return [Finding(name, "bgp-missing", f"The tunnel is up but the Cloud Router has no BGP peer for it "
                        f"(expected {gcp_host} -> {aws_host}).")]
    got = (peer.get("ip_address"), peer.get("peer_ip_address"))
    if got != (gcp_host, aws_host):
        return [Finding(name, "bgp-inside-address",
                        f"The tunnel is up but BGP is {peer.get('status') or 'DOWN'}: the GCP BGP peer "
                        f"{peer.get('name', '')!r} talks {got[0]} -> {got[1]}, but insideCidr {t['insideCidr']} "
                        f"puts AWS at {aws_host} and GCP at {gcp_host}. Fix the router interface and peer "
                        "addresses (`pulumi up` sets them from the plan).")]
    return [Finding(name, "bgp-asn",
                    f"The tunnel is up and the inside addresses match ({gcp_host} -> {aws_host}) but BGP is "
                    f"{peer.get('status') or 'DOWN'} ({peer.get('state', '')}): check the ASNs: the Cloud Router "
                    "peer's ASN must be the Transit Gateway's Amazon-side ASN (siteToSite.awsAsn) and the "
                    "customer gateway's ASN the Cloud Router's (siteToSite.gcpAsn).")]


def _route_findings(name: str, row: Row) -> list[Finding]:
    out = []
    if row.routes_to_aws == 0:
        out.append(Finding(name, "no-routes-to-aws",
                           "BGP is up but AWS accepts no routes from GCP over this tunnel: the Cloud Router "
                           "advertises nothing AWS takes (advertisement mode, advertised groups and ranges).",))
    if row.routes_to_gcp == 0:
        out.append(Finding(name, "no-routes-to-gcp",
                           "BGP is up but the Cloud Router learns no routes from AWS: nothing is propagated "
                           "into the VPN attachments' Transit Gateway route table (route table propagations)."))
    return out


def _gcp_row(t: dict, telemetry: dict[str, tuple[dict, dict]], gcp_tunnels: list[dict],
             peers: list[dict], report: Report) -> bool:
    """One GCP tunnel and its AWS peer tunnel; returns whether it carries traffic."""
    name = str(t.get("name") or f"c{t.get('connection')}-t{t.get('awsTunnel')}")
    row = Row(name, t.get("awsOutsideIp"))
    found = telemetry.get(str(t.get("awsOutsideIp")))
    if found:
        tel = found[1]
        row.aws, row.aws_message = str(tel.get("Status", "?")), str(tel.get("StatusMessage", ""))
        row.routes_to_aws, row.last_change = tel.get("AcceptedRouteCount"), str(tel.get("LastStatusChange", ""))
    else:
        row.aws = "missing"
        report.findings.append(Finding(name, "aws-missing", f"AWS reports no VPN tunnel with outside address "
                                       f"{t.get('awsOutsideIp')} on the Transit Gateway."))
    gcp_tunnel = find_gcp_tunnel(t, gcp_tunnels)
    if gcp_tunnel is None:
        row.gcp = "missing"
        report.findings.append(Finding(name, "gcp-missing", "GCP has no VPN tunnel to "
                                       f"{t.get('awsOutsideIp')} in the project and region asked."))
    else:
        row.gcp = str(gcp_tunnel.get("status", "?"))
    peer = _find_peer(t, gcp_tunnel, peers)
    if peer is not None:
        row.bgp = str(peer.get("status") or "DOWN")
        row.routes_to_gcp = peer.get("num_learned_routes", 0)
    ipsec_up = row.gcp == "ESTABLISHED" or (row.gcp == "missing" and row.aws == "UP")
    bgp_up = row.bgp == "UP" or (peer is None and row.aws == "UP")
    if not ipsec_up and gcp_tunnel is not None:
        report.findings += _ipsec_findings(name, row, gcp_tunnel)
    elif ipsec_up and not bgp_up:
        report.findings += _bgp_findings(name, t, peer)
    elif bgp_up:
        report.findings += _route_findings(name, row)
    problems = [f for f in report.findings if f.tunnel == name and f.problem]
    row.state = "down" if not bgp_up else ("degraded" if problems else "ok")
    report.rows.append(row)
    return bgp_up


def _idle_rows(outputs: dict, gcp_ips: set[str], connections: list[dict], report: Report) -> None:
    """The AWS tunnels of GCP's connections that no GCP tunnel uses: idle by design with one
    tunnel per connection (AWS always makes two), a gap otherwise."""
    one_per_connection = (outputs.get("layout") or {}).get("tunnelsPerConnection") == 1
    for c in connections:
        telemetry = c.get("VgwTelemetry") or []
        if not any(t.get("OutsideIpAddress") in gcp_ips for t in telemetry):
            continue
        for n, tel in enumerate(telemetry, start=1):
            ip = tel.get("OutsideIpAddress")
            if ip in gcp_ips:
                continue
            row = Row(f"{c.get('VpnConnectionId', '?')} #{n}", ip, aws=str(tel.get("Status", "?")),
                      aws_message=str(tel.get("StatusMessage", "")), routes_to_aws=tel.get("AcceptedRouteCount"),
                      last_change=str(tel.get("LastStatusChange", "")))
            if one_per_connection:
                row.state = IDLE
            else:
                row.state = "degraded"
                report.findings.append(Finding(row.tunnel, "unused-tunnel", f"AWS tunnel {ip} has no GCP tunnel "
                                               "although the layout uses both tunnels of every connection."))
            report.rows.append(row)


def _office_rows(outputs: dict, telemetry: dict[str, tuple[dict, dict]], report: Report) -> None:
    """Office tunnels (AWS side only): both are expected up."""
    for office, summary in sorted((outputs.get("offices") or {}).items()):
        for n, t in enumerate(summary.get("tunnels") or [], start=1):
            name = f"office {office} t{n}"
            row = Row(name, t.get("outsideIp"))
            found = telemetry.get(str(t.get("outsideIp")))
            if not found:
                row.aws, row.state = "missing", "degraded"
                report.findings.append(Finding(name, "aws-missing", "AWS reports no tunnel with this address."))
            else:
                tel = found[1]
                row.aws, row.aws_message = str(tel.get("Status", "?")), str(tel.get("StatusMessage", ""))
                row.routes_to_aws = tel.get("AcceptedRouteCount")
                if row.aws != "UP":
                    row.state = "down"
                    report.findings.append(Finding(name, "office-down", f"The office tunnel is {row.aws}: "
                                                   f"{row.aws_message!r}. Check the office router (docs/joining.md)."))
            report.rows.append(row)


def _spoke_findings(outputs: dict, tgw_routes: list[dict] | None, gcp_vpn_ids: set[str],
                    report: Report) -> None:
    """Every spoke range must be among the routes the Transit Gateway took from GCP's connections."""
    if tgw_routes is None:
        report.findings.append(Finding("-", "spokes-unchecked", "Spoke advertisement not checked: the VPN's "
                                       "Transit Gateway route table is unknown.", problem=False))
        return
    learned = []
    for r in tgw_routes:
        if r.get("State", "active") != "active" or not r.get("DestinationCidrBlock"):
            continue
        ids = {a.get("ResourceId") for a in r.get("TransitGatewayAttachments") or []}
        if gcp_vpn_ids and ids and not ids & gcp_vpn_ids:
            continue
        learned.append(ipaddress.ip_network(r["DestinationCidrBlock"], strict=False))
    for spoke, cidr in spoke_ranges(outputs):
        net = ipaddress.ip_network(cidr, strict=False)
        if not any(net.version == r.version and net.subnet_of(r) for r in learned):  # type: ignore[arg-type]
            report.findings.append(Finding(spoke, "spoke-not-advertised",
                                           f"Spoke {spoke} range {cidr} is missing from the routes AWS accepted "
                                           "from GCP: the Cloud Router does not advertise it (its custom advertised "
                                           "ranges must include every spoke range)."))


def diagnose(outputs: dict, aws_connections: list[dict], gcp_tunnels: list[dict], bgp_peers: list[dict],
             tgw_routes: list[dict] | None = None) -> Report:
    """The table and the plain-words diagnoses. `tgw_routes` None: route table unknown, spokes unchecked."""
    report = Report()
    telemetry = _telemetry_by_ip(aws_connections)
    tunnels = list(outputs.get("tunnels") or [])
    working = [_gcp_row(t, telemetry, gcp_tunnels, bgp_peers, report) for t in tunnels]
    gcp_ips = {str(t.get("awsOutsideIp")) for t in tunnels}
    _idle_rows(outputs, gcp_ips, aws_connections, report)
    _office_rows(outputs, telemetry, report)
    if any(working):
        gcp_vpn_ids = {telemetry[ip][0].get("VpnConnectionId") for ip in gcp_ips if ip in telemetry}
        _spoke_findings(outputs, tgw_routes, {i for i in gcp_vpn_ids if i}, report)
    if tunnels and not any(working):
        report.health = DOWN
    elif any(f.problem for f in report.findings):
        report.health = DEGRADED
    return report
