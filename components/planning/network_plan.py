"""Address plan of the AWS VPC: subnets by position, NAT placement, the VPC resolver address.

Subnets are carved by index from the VPC range, so adding a zone later adds subnets without moving
existing ones. Public subnets take the first half of the blocks and private subnets the second.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MIN_PRIVATE_ZONES = 2  # Route 53 Resolver endpoints need two zones
SUBNET_BITS = 4        # a /16 VPC gets /20 subnets; 16 blocks, 8 public + 8 private
DNS_RESERVED_OFFSET, DNS_RESERVED_PREFIX = 48, 29  # .48-.55 of a resolver subnet (.52 forwarder, .53/.54 endpoints)


@dataclass(frozen=True)
class SubnetPlan:
    zone_index: int
    cidr: str
    public: bool

    @property
    def key(self) -> str:
        return f"{'public' if self.public else 'private'}-{self.zone_index}"


@dataclass(frozen=True)
class NetworkPlan:
    vpc_cidr: str
    zones: int               # zones used by Client VPN associations and NAT gateways
    nat_per_zone: bool
    public_subnets: tuple[SubnetPlan, ...]
    private_subnets: tuple[SubnetPlan, ...]

    @property
    def nat_zones(self) -> tuple[int, ...]:
        return tuple(range(self.zones)) if self.nat_per_zone else (0,)

    def nat_for_private(self, zone_index: int) -> int:
        """Which NAT gateway (by zone) a private subnet's default route uses."""
        return zone_index if self.nat_per_zone and zone_index < self.zones else 0

    @property
    def dns_subnets(self) -> tuple[SubnetPlan, ...]:
        """The private subnets that hold the Route 53 Resolver endpoints (two zones)."""
        return self.private_subnets[:MIN_PRIVATE_ZONES]

    @property
    def dns_inbound_ips(self) -> tuple[str, ...]:
        """Fixed addresses (.53 of the first two private subnets) for the Route 53 inbound
        endpoint, so GCP's forwarding targets are known before anything is created."""
        return tuple(str(ipaddress.IPv4Network(s.cidr).network_address + 53)
                     for s in self.dns_subnets)

    @property
    def dns_outbound_ips(self) -> tuple[str, ...]:
        """Fixed addresses (.54) for the Route 53 outbound endpoint: auto-assigned ones make
        pulumi-aws update the endpoint on every `up` (pulumi-aws #2294)."""
        return tuple(str(ipaddress.IPv4Network(s.cidr).network_address + 54)
                     for s in self.dns_subnets)

    @property
    def nat_instance_ip(self) -> str:
        """The NAT instance's fixed address (`network.natType: instance`): .10 of the first public
        subnet, so a replacement takes the same place."""
        return str(ipaddress.IPv4Network(self.public_subnets[0].cidr).network_address + 10)

    @property
    def dns_forwarder_ip(self) -> str:
        """The DNS forwarder instance's fixed address (`dns.resolver: instance`): .52 of the first
        private subnet, inside the explicit reservation, so no interface can be given it first
        and it never collides with the endpoints' .53/.54 while switching between the two."""
        return str(ipaddress.IPv4Network(self.dns_subnets[0].cidr).network_address + 52)

    def dns_reserved_cidr(self, subnet: SubnetPlan) -> str:
        """An explicit subnet CIDR reservation around the fixed resolver addresses (.48/29).

        AWS never auto-assigns an address from an explicit reservation, so network interfaces
        created in parallel (Transit Gateway attachment, Client VPN associations) cannot take .53
        before the resolver endpoint claims it.
        """
        base = ipaddress.IPv4Network(subnet.cidr).network_address
        return str(ipaddress.IPv4Network(f"{base + DNS_RESERVED_OFFSET}/{DNS_RESERVED_PREFIX}"))

    @property
    def resolver_ip(self) -> str:
        """The Amazon-provided DNS resolver: VPC base address + 2."""
        return str(ipaddress.IPv4Network(self.vpc_cidr).network_address + 2)


def plan_network(vpc_cidr: str, zones: int, nat_per_zone: bool) -> NetworkPlan:
    vpc = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(vpc.subnets(prefixlen_diff=SUBNET_BITS))
    half = len(blocks) // 2
    private_zones = max(zones, MIN_PRIVATE_ZONES)
    if zones > half or private_zones > half:
        raise ValueError(f"{vpc_cidr} has room for {half} zones")
    public = tuple(SubnetPlan(i, str(blocks[i]), True) for i in range(zones))
    private = tuple(SubnetPlan(i, str(blocks[half + i]), False) for i in range(private_zones))
    return NetworkPlan(str(vpc), zones, nat_per_zone, public, private)


def cidr_name(cidr: str) -> str:
    """A CIDR as a resource-name fragment (names key on the range, not its position in a list)."""
    return cidr.replace("/", "-")
