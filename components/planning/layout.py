"""Which tunnels exist and how they are wired: the heart of the cost/availability switch.

Wiring follows Google's "HA VPN to AWS peer gateways": AWS connection c leaves from HA VPN
interface c (an AWS connection has exactly one customer gateway IP), and tunnel t of connection c
is external-gateway interface c x tunnelsPerConnection + t. Every AWS connection always has two
tunnels; with one tunnel per connection the second stays configured but idle (and DOWN in the AWS
console), so growing the layout only adds GCP-side resources.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

REDUNDANCY_TYPES = {
    1: "SINGLE_IP_INTERNALLY_REDUNDANT",
    2: "TWO_IPS_REDUNDANCY",
    4: "FOUR_IPS_REDUNDANCY",
}

AWS_TUNNEL_GBPS = 1.25  # AWS standard tunnels; ECMP spreads flows, one flow stays on one tunnel
AWS_TUNNELS_PER_CONNECTION = 2


@dataclass(frozen=True)
class AwsTunnel:
    """One of the two tunnels AWS creates for every Site-to-Site VPN connection."""

    connection: int          # 0-based connection index
    number: int              # AWS numbering: 1 or 2
    inside_cidr: str
    external_interface: int | None  # GCP external gateway interface, None when idle

    @property
    def connected(self) -> bool:
        return self.external_interface is not None

    @property
    def ha_interface(self) -> int:
        return self.connection

    @property
    def aws_inside_address(self) -> str:
        """AWS takes the first host of the inside /30 for its side of the BGP session."""
        return str(ipaddress.IPv4Network(self.inside_cidr).network_address + 1)

    @property
    def gcp_inside_address(self) -> str:
        """The customer (GCP) side of the BGP session: the second host of the /30."""
        return str(ipaddress.IPv4Network(self.inside_cidr).network_address + 2)

    @property
    def key(self) -> str:
        """Stable short name used in resource names: c0-t1, c0-t2, c1-t1, ..."""
        return f"c{self.connection}-t{self.number}"


@dataclass(frozen=True)
class VpnLayout:
    connections: int
    tunnels_per_connection: int
    aws_tunnels: tuple[AwsTunnel, ...]

    @property
    def tunnel_count(self) -> int:
        return self.connections * self.tunnels_per_connection

    @property
    def redundancy_type(self) -> str:
        return REDUNDANCY_TYPES[self.tunnel_count]

    @property
    def tunnels(self) -> tuple[AwsTunnel, ...]:
        """The AWS tunnels that GCP connects to, in external-interface order."""
        return tuple(sorted((t for t in self.aws_tunnels if t.connected),
                            key=lambda t: -1 if t.external_interface is None else t.external_interface))

    @property
    def sla(self) -> str:
        if self.tunnel_count == 4:
            return "99.99% (GCP HA VPN SLA; 2 AWS connections x 2 tunnels)"
        return "no GCP HA VPN SLA (needs 2 connections x 2 tunnels); AWS: 99.95% per connection"

    @property
    def survives_aws_maintenance(self) -> bool:
        """AWS maintains one tunnel of a connection at a time: a lone tunnel goes down."""
        return self.tunnel_count >= 2

    @property
    def aggregate_gbps(self) -> float:
        return self.tunnel_count * AWS_TUNNEL_GBPS


def plan_layout(connections: int, tunnels_per_connection: int,
                inside_cidrs: tuple[str, ...]) -> VpnLayout:
    """Lay out every AWS tunnel; `inside_cidrs` holds one /30 per AWS tunnel, idle ones included."""
    if connections not in (1, 2) or tunnels_per_connection not in (1, 2):
        raise ValueError(f"unsupported layout {connections} x {tunnels_per_connection}")
    if len(inside_cidrs) != connections * AWS_TUNNELS_PER_CONNECTION:
        raise ValueError("one inside CIDR per AWS tunnel is required")
    tunnels = []
    for c in range(connections):
        for number in (1, 2):
            index = number - 1
            external = c * tunnels_per_connection + index if index < tunnels_per_connection else None
            tunnels.append(AwsTunnel(
                connection=c, number=number,
                inside_cidr=inside_cidrs[c * AWS_TUNNELS_PER_CONNECTION + index],
                external_interface=external,
            ))
    return VpnLayout(connections, tunnels_per_connection, tuple(tunnels))
