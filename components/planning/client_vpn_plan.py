"""What the Client VPN endpoint routes and authorizes, and the file users import.

Full tunnel (the default) sends everything, internet included, through the VPC so it leaves from
the NAT gateway's Elastic IP: a 0.0.0.0/0 route per associated subnet and one 0.0.0.0/0 rule.
Split tunnel routes only the listed destinations plus the VPC and GCP ranges. The VPC's own route
is added by AWS when a subnet is associated, so it is never declared here (that would fail).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

INTERNET = "0.0.0.0/0"


@dataclass(frozen=True)
class RoutePlan:
    zone_index: int
    destination: str


@dataclass(frozen=True)
class RulePlan:
    destination: str
    group_id: str | None  # None: every authenticated user


def plan_routes(zones: int, split_tunnel: bool, vpc_cidr: str, gcp_ranges: Sequence[str],
                destinations: Sequence[str], extra: Sequence[str] = ()) -> tuple[RoutePlan, ...]:
    """`extra`: ranges the VPC itself routes on (an office behind its own VPN), in both modes."""
    targets = routed(split_tunnel, vpc_cidr, gcp_ranges, destinations, extra)
    return tuple(RoutePlan(z, d) for z in range(zones) for d in targets if d != vpc_cidr)


def routed(split_tunnel: bool, vpc_cidr: str, gcp_ranges: Sequence[str], destinations: Sequence[str],
           extra: Sequence[str] = ()) -> list[str]:
    """Every range the endpoint routes (the VPC's route included)."""
    if split_tunnel:
        return _unique([*destinations, vpc_cidr, *gcp_ranges, *extra])
    return [INTERNET, *extra]


def unrouted(cidrs: Sequence[str], ranges: Sequence[str]) -> list[str]:
    """The `cidrs` no routed range holds: an authorization for them would allow nothing."""
    nets = [ipaddress.IPv4Network(r) for r in ranges]
    return [c for c in cidrs if c and not any(ipaddress.IPv4Network(c).subnet_of(n) for n in nets)]


def plan_rules(split_tunnel: bool, vpc_cidr: str, gcp_ranges: Sequence[str],
               destinations: Sequence[str], authorization: Sequence[tuple[str, Sequence[str]]] | None,
               extra: Sequence[str] = (), dns_servers: Sequence[str] = ()) -> tuple[RulePlan, ...]:
    """Authorization rules. `authorization` pairs a range ("": every routed range) with the group
    ids allowed to it (none: every authenticated user); None: every user to every routed range.
    Client VPN applies the rule with the longest matching prefix, so each DNS server gets its own
    every-user /32 unless an every-user rule already decides it: names resolve for everyone."""
    everything = routed(split_tunnel, vpc_cidr, gcp_ranges, destinations, extra)
    rules: list[RulePlan] = []
    for cidr, groups in (authorization if authorization is not None else [("", ())]):
        for target in ([cidr] if cidr else everything):
            rules += [RulePlan(target, g) for g in groups] if groups else [RulePlan(target, None)]
    for server in dns_servers:
        host = f"{server}/32"
        deciding = longest_match(rules, host)
        if not deciding or any(r.group_id is not None for r in deciding):
            rules.append(RulePlan(host, None))
    return tuple(_unique(rules))


def longest_match(rules: Sequence[RulePlan], cidr: str) -> list[RulePlan]:
    """The rules Client VPN applies to traffic towards `cidr`: those with the longest prefix that
    holds it (empty: none does, the traffic is dropped)."""
    net = ipaddress.IPv4Network(cidr)
    holding = [r for r in rules if net.subnet_of(ipaddress.IPv4Network(r.destination))]
    if not holding:
        return []
    longest = max(ipaddress.IPv4Network(r.destination).prefixlen for r in holding)
    return [r for r in holding if ipaddress.IPv4Network(r.destination).prefixlen == longest]


def _unique(items):
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


# AWS's advice against IPv6 leaking around a full tunnel (Client VPN administrator guide, "IPv6
# considerations"): give the client an IPv6 address inside the tunnel and route the global unicast
# range into it, where Client VPN drops it.
IPV6_INTO_TUNNEL = ("ifconfig-ipv6 fd15:53b6:dead::2 fd15:53b6:dead::1", "route-ipv6 2000::/3")


def client_configuration(dns_name: str, port: int, transport: str, ca_pem: str, *, server_name: str,
                         saml: bool = True, full_tunnel: bool = True, cert_pem: str | None = None,
                         key_pem: str | None = None) -> str:
    """An AWS VPN Client profile: SAML sign-in and/or this user's certificate and key inline.
    It pins the server's name (its certificate's common name), and in full tunnel keeps IPv6
    inside the tunnel."""
    host = dns_name[2:] if dns_name.startswith("*.") else dns_name
    lines = [
        "client",
        "dev tun",
        f"proto {transport}",
        f"remote {host} {port}",
        "remote-random-hostname",
        "resolv-retry infinite",
        "nobind",
        "remote-cert-tls server",
        f"verify-x509-name {server_name} name",
        "cipher AES-256-GCM",
        "verb 3",
        *(IPV6_INTO_TUNNEL if full_tunnel else ()),
        "<ca>",
        ca_pem.strip(),
        "</ca>",
    ]
    if cert_pem is not None and key_pem is not None:
        lines += ["<cert>", cert_pem.strip(), "</cert>", "<key>", key_pem.strip(), "</key>"]
    if saml:
        lines += ["auth-user-pass", "auth-federate", "auth-retry interact", "auth-nocache"]
    return "\n".join([*lines, "reneg-sec 0", ""])
