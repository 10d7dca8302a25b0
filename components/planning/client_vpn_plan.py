"""What the Client VPN endpoint routes and authorizes, and the file users import.

Full tunnel (the default) sends everything, internet included, through the VPC so it leaves from
the NAT gateway's Elastic IP: a 0.0.0.0/0 route per associated subnet and one 0.0.0.0/0 rule.
Split tunnel routes only the listed destinations plus the VPC and GCP ranges. The VPC's own route
is added by AWS when a subnet is associated, so it is never declared here (that would fail).
"""

from __future__ import annotations

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
    targets = _unique([*destinations, *gcp_ranges, *extra]) if split_tunnel else [INTERNET, *extra]
    return tuple(RoutePlan(z, d) for z in range(zones) for d in targets if d != vpc_cidr)


def plan_rules(split_tunnel: bool, vpc_cidr: str, gcp_ranges: Sequence[str],
               destinations: Sequence[str], groups: Sequence[tuple[str, Sequence[str]]],
               extra: Sequence[str] = ()) -> tuple[RulePlan, ...]:
    """Authorization rules; `groups` pairs a group id with its destinations (empty: all)."""
    everything = (_unique([*destinations, vpc_cidr, *gcp_ranges, *extra]) if split_tunnel
                  else [INTERNET, *extra])
    if not groups:
        return tuple(RulePlan(d, None) for d in everything)
    rules = []
    for group_id, wanted in groups:
        for d in (wanted or everything):
            rules.append(RulePlan(d, group_id))
    return tuple(_unique(rules))


def _unique(items):
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def client_configuration(dns_name: str, port: int, transport: str, ca_pem: str) -> str:
    """An AWS VPN Client profile for SAML sign-in (no client certificate or key in it)."""
    host = dns_name[2:] if dns_name.startswith("*.") else dns_name
    return "\n".join([
        "client",
        "dev tun",
        f"proto {transport}",
        f"remote {host} {port}",
        "remote-random-hostname",
        "resolv-retry infinite",
        "nobind",
        "remote-cert-tls server",
        "cipher AES-256-GCM",
        "verb 3",
        "<ca>",
        ca_pem.strip(),
        "</ca>",
        "auth-user-pass",
        "auth-federate",
        "auth-retry interact",
        "auth-nocache",
        "reneg-sec 0",
        "",
    ])
