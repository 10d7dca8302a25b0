"""Settings of the AWS network (`multicloud-vpn:network`): the program's VPC or an existing one.

Client VPN's settings are in `client_vpn_settings.py`."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .dns_settings import ARM_ACCEPTED, ARM_INSTANCE_TYPE
from .errors import SettingsError
from .estate_settings import ROUTE_TABLE_ID, SUBNET_ID, VPC_ID, AttachedVpc, aws_ids, parse_attached_vpcs
from .fields import Section, ipv4_network
from .network_plan import MIN_PRIVATE_ZONES, NetworkPlan, plan_network

NAT_MODES = ("shared", "perZone")
NAT_TYPES = ("gateway", "instance")
NAT_INSTANCE_DEFAULT = "t4g.nano"
EIP_ALLOC = re.compile(r"^eipalloc-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
ZONE_NAME = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9][a-z]$")
NAT_GATEWAY_ID = re.compile(r"^nat-[0-9a-f]{8}(?:[0-9a-f]{9})?$")


@dataclass(frozen=True)
class ExistingVpc:
    """A VPC that exists (`network.existingVpc`): remote access uses its private subnets and its
    NAT gateway; the program only adds routes and, with the site-to-site VPN, an attachment."""
    vpc_id: str
    cidr: str
    private_subnet_ids: tuple[str, ...]   # one per zone; Client VPN associates with each, in order
    route_table_ids: tuple[str, ...]
    nat_gateway_id: str                   # its public address is the allowlisted egress
    resolver_inbound_ips: tuple[str, ...] = ()    # Route 53 Resolver addresses in the first two
    resolver_outbound_ips: tuple[str, ...] = ()   # private subnets; empty: none chosen


@dataclass(frozen=True)
class ExistingVpcPlan(NetworkPlan):
    """The plan-like view of an existing VPC: zones are its given private subnets, the resolver
    endpoint addresses are the user's; no subnet is planned."""
    inbound_ips: tuple[str, ...] = ()
    outbound_ips: tuple[str, ...] = ()

    @property
    def dns_inbound_ips(self) -> tuple[str, ...]:
        return self.inbound_ips

    @property
    def dns_outbound_ips(self) -> tuple[str, ...]:
        return self.outbound_ips


@dataclass(frozen=True)
class NetworkSettings:
    vpc_cidr: str | None          # None: no VPC (neither the program's nor an existing one)
    availability_zones: int
    nat_gateways: str
    zones: tuple[str, ...] = ()   # explicit zone names by position; empty: looked up
    attached_vpcs: tuple[AttachedVpc, ...] = ()
    eip_allocation_id: str | None = None   # an existing, allowlisted address the NAT gateway uses
    existing_vpc: ExistingVpc | None = None   # set: `vpc_cidr` is its range and nothing of it is created
    nat_type: str = "gateway"     # "instance": one NAT instance holds the Elastic IP instead
    nat_instance_type: str = NAT_INSTANCE_DEFAULT

    @property
    def nat_instance(self) -> bool:
        return self.nat_type == "instance"

    @property
    def zones_needed(self) -> int:
        """Public subnets use `availability_zones` zones; private subnets always at least two."""
        return max(self.availability_zones, MIN_PRIVATE_ZONES)

    @property
    def plan(self) -> NetworkPlan:
        assert self.vpc_cidr is not None, "no VPC is planned without network.vpcCidr"
        existing = self.existing_vpc
        if existing is not None:
            return ExistingVpcPlan(existing.cidr, len(existing.private_subnet_ids), False, (), (),
                                   existing.resolver_inbound_ips, existing.resolver_outbound_ips)
        return plan_network(self.vpc_cidr, self.availability_zones, self.nat_gateways == "perZone")


def parse_network(section: Section) -> NetworkSettings:
    """Without `vpcCidr` there is no VPC of the program's (a site-to-site-only stack, or one that
    uses `existingVpc`); the VPCs it joins may still be listed in `attachedVpcs`."""
    existing = section.raw("existingVpc", None)
    if existing is not None:
        return _parse_existing_network(section)
    if section.raw("vpcCidr", None) is None:
        attached = parse_attached_vpcs(section)
        section.finish()
        return NetworkSettings(None, 0, "shared", (), attached)
    key = section.child("vpcCidr")
    accepted = "expected a private IPv4 CIDR from /16 to /22, e.g. 10.0.0.0/16"
    vpc = ipv4_network(key, section.raw("vpcCidr"), accepted=accepted)
    if not vpc.is_private or not 16 <= vpc.prefixlen <= 22:
        raise SettingsError(key, str(vpc), accepted)
    zones = section.choice("availabilityZones", (1, 2, 3))
    nat = section.choice("natGateways", NAT_MODES)
    names: list[str] = []
    for key, raw in section.items("zones"):
        if not isinstance(raw, str) or not ZONE_NAME.match(raw):
            raise SettingsError(key, raw, "expected an availability zone name such as ap-northeast-1a")
        if raw in names:
            raise SettingsError(key, raw, "listed twice")
        names.append(raw)
    egress = Section(section.child("egress"), section.raw("egress"))
    allocation = egress.optional_string("eipAllocationId", accepted="expected an Elastic IP allocation id "
                                        "like eipalloc-0123456789abcdef0", check=lambda v: bool(EIP_ALLOC.match(v)))
    egress.finish()
    if allocation and nat == "perZone":
        raise SettingsError(section.child("egress.eipAllocationId"), allocation,
                            "one existing address serves one NAT gateway: use natGateways: shared")
    nat_type, nat_instance_type = _nat_type(section, nat)
    settings = NetworkSettings(str(vpc), zones, nat, tuple(names), parse_attached_vpcs(section), allocation,
                               nat_type=nat_type, nat_instance_type=nat_instance_type)
    if names and len(names) < settings.zones_needed:
        raise SettingsError(section.child("zones"), names,
                            f"expected at least {settings.zones_needed} zones: availabilityZones is "
                            f"{zones} and private subnets always span at least {MIN_PRIVATE_ZONES}")
    section.finish()
    return settings


def _nat_type(section: Section, nat: str) -> tuple[str, str]:
    """`natType` and `natInstanceType`: the instance holds the one shared address, and its type
    means something only for an instance."""
    nat_type = section.choice("natType", NAT_TYPES)
    instance_type = section.string("natInstanceType", accepted=ARM_ACCEPTED,
                                   check=lambda v: bool(ARM_INSTANCE_TYPE.match(v)))
    if nat_type == "instance" and nat != "shared":
        raise SettingsError(section.child("natType"), nat_type,
                            f"one NAT instance holds the one allowlisted address: it needs "
                            f"{section.child('natGateways')}: shared (perZone is NAT gateways only)")
    if nat_type == "gateway" and instance_type != NAT_INSTANCE_DEFAULT:
        raise SettingsError(section.child("natInstanceType"), instance_type,
                            f"only with {section.child('natType')}: instance; remove it or choose instance")
    return nat_type, instance_type


def _resolver_ips(section: Section, vpc: ipaddress.IPv4Network) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`resolverIps: {inbound: [ip, ip], outbound: [ip, ip]}`, inside the VPC, all different."""
    raw = section.raw("resolverIps", None)
    if raw is None:
        return (), ()
    ips = Section(section.child("resolverIps"), raw)
    seen: list[str] = []
    out = []
    for direction in ("inbound", "outbound"):
        addresses = []
        for key, value in ips.items(direction):
            try:
                address = ipaddress.IPv4Address(value) if isinstance(value, str) else None
            except ValueError:
                address = None
            if address is None or address not in vpc:
                raise SettingsError(key, value, f"expected an IPv4 address inside existingVpc.cidr {vpc}")
            if str(address) in seen:
                raise SettingsError(key, value, "listed twice: every resolver endpoint address is its own")
            seen.append(str(address))
            addresses.append(str(address))
        if len(addresses) != MIN_PRIVATE_ZONES:
            raise SettingsError(ips.child(direction), addresses,
                                f"expected {MIN_PRIVATE_ZONES} addresses, one in each of the first two "
                                "privateSubnetIds, in that order")
        out.append(tuple(addresses))
    ips.finish()
    return out[0], out[1]


def _parse_existing_network(section: Section) -> NetworkSettings:
    """`existingVpc`: nothing of the VPC is created, so what would shape a VPC of the program's
    (its range, zones, NAT gateways and their address) is refused next to it."""
    for name, given in (("vpcCidr", section.raw("vpcCidr", None)), ("egress", section.raw("egress")),
                        ("availabilityZones", section.raw("availabilityZones", None)),
                        ("zones", [v for _, v in section.items("zones")])):
        if given:
            raise SettingsError(section.child(name), given,
                                f"not used with {section.child('existingVpc')}: the VPC, its zones (the "
                                "given privateSubnetIds) and its egress (natGatewayId) exist already; "
                                "remove it")
    nat = section.choice("natGateways", NAT_MODES)
    if nat != "shared":
        raise SettingsError(section.child("natGateways"), nat,
                            f"not used with {section.child('existingVpc')}: its natGatewayId is the egress")
    if section.choice("natType", NAT_TYPES) != "gateway":
        raise SettingsError(section.child("natType"), "instance",
                            f"not used with {section.child('existingVpc')}: its natGatewayId is the egress")
    instance_type = section.raw("natInstanceType")
    if instance_type != NAT_INSTANCE_DEFAULT:
        raise SettingsError(section.child("natInstanceType"), instance_type,
                            f"not used with {section.child('existingVpc')}: its natGatewayId is the egress")
    item = Section(section.child("existingVpc"), section.raw("existingVpc"))
    vpc_id = item.string("vpcId", accepted="expected a VPC id like vpc-0123456789abcdef0",
                         check=lambda v: bool(VPC_ID.match(v)))
    accepted = "expected the VPC's private IPv4 CIDR (its primary range), e.g. 10.50.0.0/16"
    cidr = ipv4_network(item.child("cidr"), item.raw("cidr"), accepted=accepted)
    if not cidr.is_private or not 16 <= cidr.prefixlen <= 28:
        raise SettingsError(item.child("cidr"), str(cidr), accepted)
    subnets = aws_ids(item, "privateSubnetIds", SUBNET_ID, "subnet-0123456789abcdef0")
    tables = aws_ids(item, "routeTableIds", ROUTE_TABLE_ID, "rtb-0123456789abcdef0")
    nat_id = item.string("natGatewayId", accepted="expected a NAT gateway id like nat-0123456789abcdef0",
                         check=lambda v: bool(NAT_GATEWAY_ID.match(v)))
    inbound, outbound = _resolver_ips(item, cidr)
    if inbound and len(subnets) < MIN_PRIVATE_ZONES:
        raise SettingsError(item.child("privateSubnetIds"), list(subnets),
                            f"the resolver endpoints need {MIN_PRIVATE_ZONES} private subnets in "
                            "different zones")
    item.finish()
    existing = ExistingVpc(vpc_id, str(cidr), subnets, tables, nat_id, inbound, outbound)
    settings = NetworkSettings(str(cidr), len(subnets), nat, (), parse_attached_vpcs(section), None, existing)
    section.finish()
    return settings
