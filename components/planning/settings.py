"""Stack settings, parsed once into typed, validated, immutable objects.

`load_settings` is the only place that reads raw configuration. Every wrong value a user can write
ends here in a single `SettingsError` naming the key, before any resource is declared.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ike, inside_cidrs, quotas
from .access_settings import NetworkSettings, parse_network
from .asn import ASN_ACCEPTED, is_private_asn
from .audit_settings import AuditSettings, parse_audit
from .client_vpn_plan import routed, unrouted
from .client_vpn_settings import ClientVpnSettings, client_cidr_range, parse_client_vpn
from .dns_settings import CLOUD_DNS_FORWARDING_RANGE, DnsSettings, parse_dns
from .errors import MISSING, ErrorCollector, SettingsError
from .estate_settings import GCP_PROJECT, Office, cidr_list, parse_offices
from .fields import Section, ipv4_network, parse_json_value
from .firewall_settings import FirewallSettings, parse_firewall
from .layout import VpnLayout, plan_layout
from .monitoring_settings import MonitoringSettings, parse_monitoring
from .provider_settings import SECRET_KEYS as PROVIDER_SECRET_KEYS
from .provider_settings import ProviderSettings, parse_provider_settings
from .ranges import ensure_disjoint
from .regions import check_region
from .twingate_settings import TwingateSettings, parse_twingate, require_credentials

PROJECT = "multicloud-vpn"

TERMINATIONS = ("transitGateway", "vpnGateway")
TGW_ID = re.compile(r"^tgw-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
GCP_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
GCP_NAME_ACCEPTED = ("expected a GCP resource name: lowercase letters, digits and '-', starting with a "
                     "letter, at most 63")


@dataclass(frozen=True)
class SiteToSiteSettings:
    connections: int
    tunnels_per_connection: int
    aws_asn: int
    gcp_asn: int
    transit_gateway_id: str | None
    inside_cidrs: tuple[str, ...]
    ike_profile: ike.IkeProfile
    advertised_route_priority: int
    key_versions: tuple[int, ...] = (1, 1)  # per connection; a new version rotates its keys
    inside_pool: str = "169.254.10.0/24"     # offices take their /30s from here too
    # transitGatewayRouting (adopted gateway only): "own" creates the VPN's route table; "join"
    # uses `joined_route_table_id`, an existing table the program does not own.
    route_table_mode: str = "own"
    joined_route_table_id: str | None = None
    propagate_from: tuple[str, ...] = ()   # own: existing attachments propagated into the VPN's table
    propagate_to: tuple[str, ...] = ()     # own: existing tables the VPN attachments propagate into
    reserved_inside_cidrs: tuple[str, ...] = ()  # other VPN connections' /30s: never allocated or accepted
    termination: str = "transitGateway"    # "vpnGateway": a virtual private gateway on the VPC instead

    @property
    def on_transit_gateway(self) -> bool:
        return self.termination == "transitGateway"

    @property
    def owns_route_table(self) -> bool:
        return self.route_table_mode == "own"

    @property
    def layout(self) -> VpnLayout:
        return plan_layout(self.connections, self.tunnels_per_connection, self.inside_cidrs)


@dataclass(frozen=True)
class Subnet:
    name: str
    cidr: str
    region: str


@dataclass(frozen=True)
class Spoke:
    """A spoke VPC: created here (one subnet `cidr`) or existing (`network` in `project`)."""

    name: str
    cidrs: tuple[str, ...]
    region: str = ""
    network: str | None = None     # existing: its network name
    project: str | None = None     # existing: its project

    @property
    def existing(self) -> bool:
        return self.network is not None

    @property
    def cidr(self) -> str:
        return self.cidrs[0]


@dataclass(frozen=True)
class GcpHubSettings:
    network_name: str
    subnets: tuple[Subnet, ...]
    spokes: tuple[Spoke, ...] = ()   # created: one VPC per spoke, named like its single subnet
    peering_limit: int = 25
    firewall: FirewallSettings = FirewallSettings()


@dataclass(frozen=True)
class StackSettings:
    aws_region: str
    gcp_project: str
    gcp_region: str
    site_to_site: SiteToSiteSettings | None   # None: no VPN to GCP, no GCP at all
    gcp_hub: GcpHubSettings | None
    network: NetworkSettings
    client_vpn: ClientVpnSettings
    dns: DnsSettings
    twingate: TwingateSettings
    offices: tuple[Office, ...] = ()
    providers: ProviderSettings = ProviderSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    audit: AuditSettings = AuditSettings()
    warnings: tuple[str, ...] = ()   # near a quota, or accepted and easy to misread; logged, not fatal

    @property
    def gcp_ranges(self) -> tuple[str, ...]:
        """GCP address ranges (hub and spokes): what AWS and Client VPN users reach over the VPN."""
        hub = self.gcp_hub
        if hub is None:
            return ()
        return (*(s.cidr for s in hub.subnets), *(c for s in hub.spokes for c in s.cidrs))

    @property
    def office_ranges(self) -> tuple[str, ...]:
        return tuple(c for o in self.offices for c in o.cidrs)

    @property
    def attached_ranges(self) -> tuple[str, ...]:
        return tuple(c for v in self.network.attached_vpcs for c in v.cidrs)

    @property
    def routed_ranges(self) -> tuple[str, ...]:
        """Everything reached through the Transit Gateway: GCP, offices, attached VPCs."""
        return (*self.gcp_ranges, *self.office_ranges, *self.attached_ranges)

    @property
    def aws_ranges(self) -> tuple[str, ...]:
        """AWS-side sources GCP admits: the VPC (Client VPN users are source-NATed into it)."""
        return (self.network.vpc_cidr,) if self.network.vpc_cidr else ()

    @property
    def aws_routes_to_gcp(self) -> tuple[str, ...]:
        """Destinations the VPC sends to the Transit Gateway: GCP, plus Cloud DNS's query source."""
        dns = (CLOUD_DNS_FORWARDING_RANGE,) if self.dns.gcp_to_aws else ()
        return (*self.routed_ranges, *dns)

    @property
    def advertised_ranges(self) -> tuple[str, ...]:
        """What the Cloud Router announces beyond its own subnets.

        Routes learned over VPC peering are never advertised automatically, so every spoke range
        is listed, and 35.199.192.0/19 so AWS sends DNS answers back over the VPN.
        """
        dns = (CLOUD_DNS_FORWARDING_RANGE,) if self.dns.gcp_to_aws else ()
        spokes = self.gcp_hub.spokes if self.gcp_hub else ()
        return (*(c for s in spokes for c in s.cidrs), *dns)


def _key(name: str) -> str:
    return f"{PROJECT}:{name}"


def _provider_setting(config: Mapping[str, str | None], key: str, example: str) -> str:
    value = config.get(key)
    if value is None or not str(value).strip():
        raise SettingsError(key, MISSING, f"set it in the stack file, e.g. {key}: {example}")
    return str(value)


def refuse_unknown_project_keys(config: Mapping[str, str | None]) -> None:
    """A misspelt top-level key (`clientVPN`) would otherwise be ignored without a word."""
    known = [k for k in CONFIG_KEYS if k.startswith(PROJECT + ":")]
    for key in sorted(k for k in config if k.startswith(PROJECT + ":") and k not in known):
        lowered = {k.lower(): k for k in known}
        near = ([lowered[key.lower()]] if key.lower() in lowered
                else difflib.get_close_matches(key, known, n=1, cutoff=0.6))
        hint = f"did you mean {near[0]}? " if near else ""
        raise SettingsError(key, config[key], f"{hint}unknown setting; known settings: "
                            f"{', '.join(sorted(known))}")


def parse_site_to_site(section: Section) -> SiteToSiteSettings:
    connections = section.choice("connections", (1, 2))
    per_connection = section.choice("tunnelsPerConnection", (1, 2))
    aws_asn = section.integer("awsAsn", accepted=ASN_ACCEPTED, check=is_private_asn)
    gcp_asn = section.integer("gcpAsn", accepted=ASN_ACCEPTED, check=is_private_asn)
    if gcp_asn == aws_asn:
        raise SettingsError(section.child("gcpAsn"), gcp_asn,
                            f"it must differ from {section.child('awsAsn')} ({aws_asn}): "
                            "each side of a BGP session needs its own ASN")
    tgw = section.optional_string("transitGatewayId", accepted="expected a Transit Gateway id like "
                                  "tgw-0123456789abcdef0", check=lambda v: bool(TGW_ID.match(v)))
    routing_raw = section.raw("transitGatewayRouting", None)
    if routing_raw is not None and tgw is None:
        raise SettingsError(section.child("transitGatewayRouting"), routing_raw,
                            f"only with {section.child('transitGatewayId')}: a Transit Gateway created "
                            "here always gets a route table of its own; adopt a gateway or remove the setting")
    routing = Section(section.child("transitGatewayRouting"), routing_raw, required=False)
    mode = routing.choice("mode", ("own", "join"), "own")

    def aws_ids(name: str, prefix: str) -> tuple[str, ...]:
        pattern = re.compile(rf"^{prefix}-[0-9a-f]{{8}}(?:[0-9a-f]{{9}})?$")
        accepted = f"expected an existing id like {prefix}-0123456789abcdef0"
        out: list[str] = []
        for key, raw in routing.items(name):
            if not isinstance(raw, str) or not pattern.match(raw):
                raise SettingsError(key, raw, accepted)
            if raw in out:
                raise SettingsError(key, raw, "listed twice")
            out.append(raw)
        if out and mode == "join":
            raise SettingsError(routing.child(name), out, "only with mode: own; in mode join every "
                                "attachment already shares the joined table")
        return tuple(out)

    propagate_from = aws_ids("propagateFrom", "tgw-attach")
    propagate_to = aws_ids("propagateTo", "tgw-rtb")
    table_pattern = re.compile(r"^tgw-rtb-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
    if mode == "join":
        joined = routing.string("routeTableId", accepted="expected the id of an existing route table of "
                                "the Transit Gateway, like tgw-rtb-0123456789abcdef0",
                                check=lambda v: bool(table_pattern.match(v)))
    else:
        joined = routing.raw("routeTableId", None)
        if joined is not None:
            raise SettingsError(routing.child("routeTableId"), joined,
                                "only with mode: join; mode own creates the VPN's route table")
    routing.finish()
    reserved = inside_cidrs.parse_reserved(section.child("reservedInsideCidrs"),
                                           section.list("reservedInsideCidrs", []))
    aws_tunnels = connections * 2
    explicit = section.list("insideCidrs", [])
    pool = inside_cidrs.parse_pool(section.child("insideCidrPool"),
                                   section.raw("insideCidrPool"))
    if explicit:
        cidrs = inside_cidrs.parse_explicit(section.child("insideCidrs"), explicit, aws_tunnels)
        inside_cidrs.refuse_reserved(section.child("insideCidrs"), cidrs, reserved,
                                     section.child("reservedInsideCidrs"))
    else:
        cidrs = inside_cidrs.allocate(pool, aws_tunnels, section.child("insideCidrPool"), reserved)
    profile = ike.parse_profile(section.child("ikeProfile"), section.raw("ikeProfile"), with_gcp=True)
    priority = section.integer("advertisedRoutePriority", accepted="expected 0-65535",
                               check=lambda v: 0 <= v <= 65535)
    versions = []
    for key, raw in section.items("keyVersions"):
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise SettingsError(key, raw, "expected a key version: a whole number from 1")
        versions.append(raw)
    if len(versions) > connections:
        raise SettingsError(section.child("keyVersions"), versions,
                            f"expected at most one version per connection ({connections})")
    versions += [1] * (2 - len(versions))
    termination = section.choice("termination", TERMINATIONS)
    section.finish()
    return SiteToSiteSettings(
        connections=connections, tunnels_per_connection=per_connection,
        aws_asn=aws_asn, gcp_asn=gcp_asn, transit_gateway_id=tgw, inside_cidrs=cidrs,
        ike_profile=profile, advertised_route_priority=priority,
        key_versions=tuple(versions), inside_pool=str(pool),
        route_table_mode=mode, joined_route_table_id=joined, propagate_from=propagate_from,
        propagate_to=propagate_to, reserved_inside_cidrs=reserved, termination=termination,
    )


def _subnet(key: str, raw: Any, default_region: str, taken: set[str]) -> Subnet:
    """One {name, cidr, region}; its name must not repeat anything in `taken`."""
    item = Section(key, raw)
    subnet_name = item.string("name", accepted=GCP_NAME_ACCEPTED,
                              check=lambda v: bool(GCP_NAME.match(v)))
    if subnet_name in taken:
        raise SettingsError(item.child("name"), subnet_name,
                            "names must be unique across the hub network, its subnets and the spokes")
    cidr_key = item.child("cidr")
    accepted = "expected a private IPv4 CIDR from /8 to /29, e.g. 10.100.0.0/20"
    net = ipv4_network(cidr_key, item.raw("cidr"), accepted=accepted)
    if not net.is_private or not 8 <= net.prefixlen <= 29:
        raise SettingsError(cidr_key, str(net), accepted)
    region = check_region(item.child("region"), item.string("region", default_region), "gcp")
    item.finish()
    taken.add(subnet_name)
    return Subnet(name=subnet_name, cidr=str(net), region=region)


def _spokes(section: Section, default_region: str, default_project: str, taken: set[str]) -> tuple[Spoke, ...]:
    """Spokes created here ({name, cidr, region}) and existing ones ({name, network, project, cidrs})."""
    out: list[Spoke] = []
    for key, raw in section.items("spokes"):
        if isinstance(raw, dict) and raw.get("network") is not None:
            item = Section(key, raw)
            name = item.string("name", accepted=GCP_NAME_ACCEPTED, check=lambda v: bool(GCP_NAME.match(v)))
            if name in taken:
                raise SettingsError(item.child("name"), name,
                                    "names must be unique across the hub network, its subnets and the spokes")
            network = item.string("network", accepted=GCP_NAME_ACCEPTED, check=lambda v: bool(GCP_NAME.match(v)))
            project = item.string("project", default_project or MISSING,
                                  accepted="expected a GCP project id (6-30 lower-case letters, digits, '-')",
                                  check=lambda v: bool(GCP_PROJECT.match(v)))
            cidrs = cidr_list(item, "cidrs")
            item.finish()
            taken.add(name)
            out.append(Spoke(name=name, cidrs=cidrs, network=network, project=project))
        else:
            subnet = _subnet(key, raw, default_region, taken)
            out.append(Spoke(name=subnet.name, cidrs=(subnet.cidr,), region=subnet.region))
    return tuple(out)


def parse_gcp_hub(section: Section, default_region: str, default_project: str = "") -> GcpHubSettings:
    network = section.string("networkName", accepted=GCP_NAME_ACCEPTED,
                             check=lambda v: bool(GCP_NAME.match(v)))
    taken = {network}
    subnets = tuple(_subnet(key, raw, default_region, taken) for key, raw in section.items("subnets"))
    if not subnets:
        raise SettingsError(section.child("subnets"), [],
                            "expected at least one subnet: a list of {name, cidr[, region]}")
    spokes = _spokes(section, default_region, default_project, taken)
    limit = section.integer("peeringLimit", accepted="expected 1-500 (the project's "
                            "peerings-per-network quota)", check=lambda v: 1 <= v <= 500)
    if len(spokes) > limit:
        raise SettingsError(section.child("spokes"), f"{len(spokes)} spokes",
                            f"the hub can peer with at most {limit} networks "
                            f"({section.child('peeringLimit')}); raise the quota and the setting, "
                            "or add another hub")
    firewall = parse_firewall(Section(section.child("firewall"), section.raw("firewall")))
    section.finish()
    return GcpHubSettings(network_name=network, subnets=subnets, spokes=spokes, peering_limit=limit,
                          firewall=firewall)


def _present(config: Mapping[str, str | None], name: str) -> bool:
    """A section is switched on when the stack sets it to something other than `{}`."""
    value = parse_json_value(_key(name), config.get(_key(name)))
    return value is not MISSING and value not in (None, {}, [])


def load_settings(config: Mapping[str, str | None], base_dir: Path) -> StackSettings:
    """Parse the stack's configuration.

    `config` maps full keys (`aws:region`, `multicloud-vpn:siteToSite`, ...) to the raw strings
    Pulumi provides (structured values arrive as JSON text); files named in settings are read
    relative to `base_dir` (the project directory). Each section is parsed on its own, so one
    run reports the first error of every section (`SettingsErrors`); checks across sections
    (capabilities, overlapping ranges, quotas) run once every section is valid.

    Each capability stands alone: without `siteToSite` there is no GCP at all (no hub, no
    `gcp:` keys needed); without `network.vpcCidr` no VPC, NAT gateway or Elastic IP.
    """
    errors = ErrorCollector()
    errors.run(refuse_unknown_project_keys, config)
    aws_region = errors.run(lambda: check_region(
        "aws:region", _provider_setting(config, "aws:region", "ap-northeast-1"), "aws"))
    with_gcp = _present(config, "siteToSite")
    gcp_project = gcp_region = ""
    if with_gcp:
        gcp_project = errors.run(_provider_setting, config, "gcp:project", "my-network-project")
        gcp_region = errors.run(lambda: check_region(
            "gcp:region", _provider_setting(config, "gcp:region", "asia-northeast1"), "gcp"))

    def section(name: str, required: bool = True) -> Section:
        key = _key(name)
        return Section(key, parse_json_value(key, config.get(key)), required=required)

    parsed = {
        "site_to_site": errors.run(lambda: parse_site_to_site(section("siteToSite"))) if with_gcp else None,
        "gcp_hub": (errors.run(lambda: parse_gcp_hub(section("gcpHub"), gcp_region or "", gcp_project or ""))
                    if with_gcp else None),
        "network": errors.run(lambda: parse_network(section("network", required=False))),
        "client_vpn": errors.run(lambda: parse_client_vpn(section("clientVpn", required=False), base_dir)),
        "dns": errors.run(lambda: parse_dns(section("dns", required=False))),
        "twingate": errors.run(lambda: parse_twingate(section("twingate", required=False))),
        "monitoring": errors.run(lambda: parse_monitoring(section("monitoring", required=False),
                                                          aws_region=aws_region, with_gcp=with_gcp)),
        "audit": errors.run(lambda: parse_audit(section("audit", required=False),
                                                aws_region=aws_region, with_gcp=with_gcp)),
        "providers": errors.run(parse_provider_settings, config),
    }
    if not with_gcp:
        errors.run(_refuse_without_site_to_site, config)
    errors.raise_if_any()
    s2s = parsed["site_to_site"]
    offices: tuple[Office, ...] = ()
    if s2s is not None:
        offices = errors.run(lambda: parse_offices(
            _key("offices"), parse_json_value(_key("offices"), config.get(_key("offices"))),
            pool=ipaddress.IPv4Network(s2s.inside_pool), site_to_site_cidrs=s2s.inside_cidrs,
            default_profile=s2s.ike_profile, reserved=s2s.reserved_inside_cidrs,
            reserved_asns={_key("siteToSite") + ".awsAsn": s2s.aws_asn,
                           _key("siteToSite") + ".gcpAsn": s2s.gcp_asn}))
    errors.raise_if_any()
    settings = StackSettings(aws_region=aws_region, gcp_project=gcp_project, gcp_region=gcp_region,
                             offices=offices, **parsed)
    errors.run(_check_capabilities, settings)
    errors.run(_check_termination, settings)
    errors.run(require_credentials, settings.twingate, config)
    errors.run(_check_zones, settings)
    errors.run(settings.dns.check_servers_outside, settings.gcp_ranges)
    errors.run(_check_authorization_routed, settings)
    errors.raise_if_any()
    hub = settings.gcp_hub
    ensure_disjoint([
        *((_key("network") + ".vpcCidr", ipaddress.IPv4Network(c)) for c in settings.aws_ranges),
        *((f"{_key('gcpHub')}.subnets[{i}].cidr", ipaddress.IPv4Network(s.cidr))
          for i, s in enumerate(hub.subnets if hub else ())),
        *((f"{_key('gcpHub')}.spokes[{i}].{'cidrs' if s.existing else 'cidr'}", ipaddress.IPv4Network(c))
          for i, s in enumerate(hub.spokes if hub else ()) for c in s.cidrs),
        *((f"{_key('network')}.attachedVpcs[{i}].cidrs", ipaddress.IPv4Network(c))
          for i, v in enumerate(settings.network.attached_vpcs) for c in v.cidrs),
        *((f"{_key('offices')}[{i}].cidrs", ipaddress.IPv4Network(c))
          for i, o in enumerate(settings.offices) for c in o.cidrs),
        *client_cidr_range(settings.client_vpn, _key("clientVpn") + ".clientCidr"),
    ])
    notices = settings.client_vpn.notices
    if hub is None:
        return dataclasses.replace(settings, warnings=notices)
    return dataclasses.replace(settings, warnings=(*notices, *(f"near a quota: {w}" for w in quotas.check([
        quotas.Count("aws_vpn_routes_from_customer_gateway", _key("gcpHub"),
                     len(hub.subnets) + len(settings.advertised_ranges)),
        quotas.Count("gcp_custom_advertised_ranges_per_router", _key("gcpHub") + ".spokes",
                     len(settings.advertised_ranges)),
    ]))))


NEEDS_SITE_TO_SITE = {
    "gcpHub": "the hub exists only with the site-to-site VPN",
    "offices": "offices join the site-to-site VPN's Transit Gateway",
}


def _refuse_without_site_to_site(config: Mapping[str, str | None]) -> None:
    """Settings that only mean something with GCP and the Transit Gateway."""
    for name, why in NEEDS_SITE_TO_SITE.items():
        if _present(config, name):
            raise SettingsError(_key(name), parse_json_value(_key(name), config.get(_key(name))),
                                f"it needs {_key('siteToSite')}: {why}")
    network = parse_json_value(_key("network"), config.get(_key("network")))
    if isinstance(network, dict) and network.get("attachedVpcs"):
        raise SettingsError(_key("network") + ".attachedVpcs", network["attachedVpcs"],
                            f"it needs {_key('siteToSite')}: attached VPCs join its Transit Gateway")
    dns = parse_json_value(_key("dns"), config.get(_key("dns")))
    for field in ("awsDomains", "gcpDomains", "awsToGcp", "forwardTargets"):
        if isinstance(dns, dict) and dns.get(field):
            raise SettingsError(f"{_key('dns')}.{field}", dns[field],
                                f"it needs {_key('siteToSite')}: private DNS between the clouds runs "
                                "through the GCP hub and the VPN")


def _check_termination(settings: StackSettings) -> None:
    """A virtual private gateway ends one connection on the program's own VPC and routes nothing
    further: every setting that needs the Transit Gateway is refused, all named in one error."""
    s2s = settings.site_to_site
    if s2s is None or s2s.on_transit_gateway:
        return
    conflicts = []
    if s2s.connections != 1:
        conflicts.append(f"siteToSite.connections is {s2s.connections} (no ECMP across connections: use 1)")
    if s2s.transit_gateway_id:
        conflicts.append("siteToSite.transitGatewayId adopts a Transit Gateway")
    if settings.offices:
        conflicts.append("offices join the Transit Gateway (no transitive routing)")
    if settings.network.attached_vpcs:
        conflicts.append("network.attachedVpcs join the Transit Gateway (one VPC per gateway)")
    if settings.network.existing_vpc is not None:
        conflicts.append("network.existingVpc: the gateway attaches to the program's own VPC")
    elif settings.network.vpc_cidr is None:
        conflicts.append("no network.vpcCidr: the gateway attaches to the program's VPC")
    if conflicts:
        raise SettingsError(_key("siteToSite") + ".termination", s2s.termination,
                            "a virtual private gateway ends one connection on the program's VPC and "
                            "routes nothing further; not with: " + "; ".join(conflicts)
                            + ". Use transitGateway for these")


def _check_capabilities(settings: StackSettings) -> None:
    """Something must be built, and remote access needs a VPC to live in."""
    remote = settings.client_vpn.enabled or settings.twingate.enabled
    if settings.site_to_site is None and not remote:
        raise SettingsError(_key("siteToSite"), MISSING,
                            f"the stack enables nothing: set {_key('siteToSite')} (the VPN to GCP), "
                            f"{_key('clientVpn')}.enabled or {_key('twingate')}.enabled")
    if remote and settings.network.vpc_cidr is None:
        raise SettingsError(_key("network") + ".vpcCidr", MISSING,
                            "Client VPN and Twingate live in a VPC: give its range, e.g. 10.0.0.0/16, "
                            f"or name one that exists in {_key('network')}.existingVpc")
    dns = settings.dns
    resolvers = bool(dns.aws_domains or dns.aws_to_gcp or dns.forward_targets)
    if resolvers and settings.network.vpc_cidr is None:
        raise SettingsError(_key("network") + ".vpcCidr", MISSING,
                            "the Route 53 Resolver endpoints of multicloud-vpn:dns live in the program's VPC: "
                            "give its range, e.g. 10.0.0.0/16")
    existing = settings.network.existing_vpc
    if dns.uses_forwarder and existing is not None:
        raise SettingsError(_key("dns") + ".resolver", dns.resolver,
                            f"not with {_key('network')}.existingVpc: the forwarder takes a fixed address in "
                            "a private subnet the program plans; use route53 there (with resolverIps)")
    if resolvers and existing is not None:
        from .network_plan import MIN_PRIVATE_ZONES
        key = _key("network") + ".existingVpc"
        if len(existing.private_subnet_ids) < MIN_PRIVATE_ZONES:
            raise SettingsError(key + ".privateSubnetIds", list(existing.private_subnet_ids),
                                f"the Route 53 Resolver endpoints of {_key('dns')} need {MIN_PRIVATE_ZONES} "
                                "private subnets in different zones")
        if not existing.resolver_inbound_ips:
            raise SettingsError(key + ".resolverIps", MISSING,
                                f"the Route 53 Resolver endpoints of {_key('dns')} need fixed addresses in an "
                                "existing VPC: give {inbound: [ip, ip], outbound: [ip, ip]}, free addresses "
                                "of the first two privateSubnetIds")


def _check_authorization_routed(settings: StackSettings) -> None:
    """In split tunnel a rule for a range the endpoint does not route would allow nothing."""
    vpn = settings.client_vpn
    if not vpn.enabled or not vpn.authorization or settings.network.vpc_cidr is None:
        return
    ranges = routed(vpn.split_tunnel, settings.network.vpc_cidr, settings.gcp_ranges,
                    vpn.split_tunnel_destinations, vpn.extra_routes)
    for rule in vpn.authorization:
        if unrouted([rule.cidr], ranges):
            raise SettingsError(rule.key, rule.cidr,
                                "the endpoint does not route it in split tunnel: expected a range inside "
                                f"one of {', '.join(ranges)} (add it to splitTunnelDestinations)")


def _check_zones(settings: StackSettings) -> None:
    region = settings.aws_region
    for i, zone in enumerate(settings.network.zones):
        if not zone.startswith(region) or len(zone) != len(region) + 1:
            raise SettingsError(f"{_key('network')}.zones[{i}]", zone,
                                f"expected a zone of aws:region {region}, e.g. {region}a")


CONFIG_KEYS = ("aws:region", "gcp:project", "gcp:region",
               _key("siteToSite"), _key("gcpHub"), _key("network"), _key("clientVpn"), _key("dns"),
               _key("twingate"), _key("offices"), _key("monitoring"), _key("audit"),
               "twingate:apiToken", "twingate:network")

# Only their presence is checked; the values reach the provider as Pulumi secrets.
SECRET_KEYS = ("twingate:apiToken", *PROVIDER_SECRET_KEYS)
