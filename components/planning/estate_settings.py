"""What the company already runs and the program joins: AWS VPCs (`network.attachedVpcs`) and
offices (`multicloud-vpn:offices`). Existing GCP spokes are entries of `gcpHub.spokes` (settings.py).

The program never owns these; it creates only the joints (attachments, routes, VPN connections).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from . import ike, inside_cidrs
from .asn import ASN_ACCEPTED, is_private_asn
from .errors import MISSING, SettingsError
from .fields import Section, ipv4_network
from .names import GCP_NAME

VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
ROUTE_TABLE_ID = re.compile(r"^rtb-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
STATIC_ASN = 65534  # a customer gateway needs an ASN even when routing is static; never used for BGP
FIRST_OFFICE_SLOT = 4  # the site-to-site VPN keeps the first four /30s of the pool (2 x 2 tunnels)


@dataclass(frozen=True)
class AttachedVpc:
    name: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    route_table_ids: tuple[str, ...]
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class Office:
    name: str
    public_ip: str
    cidrs: tuple[str, ...]
    bgp_asn: int | None            # None: static routes to `cidrs`
    ike_profile: ike.IkeProfile
    inside_cidrs: tuple[str, str]  # AWS tunnel 1 and 2

    @property
    def static(self) -> bool:
        return self.bgp_asn is None

    @property
    def customer_gateway_asn(self) -> int:
        return STATIC_ASN if self.bgp_asn is None else self.bgp_asn


def aws_ids(item: Section, name: str, pattern: re.Pattern, example: str) -> tuple[str, ...]:
    """A non-empty list of distinct AWS ids of one kind (`subnet-…`, `rtb-…`)."""
    out: list[str] = []
    for key, raw in item.items(name):
        if not isinstance(raw, str) or not pattern.match(raw):
            raise SettingsError(key, raw, f"expected an AWS id like {example}")
        if raw in out:
            raise SettingsError(key, raw, "listed twice")
        out.append(raw)
    if not out:
        raise SettingsError(item.child(name), [], f"expected at least one id like {example}")
    return tuple(out)


def cidr_list(item: Section, name: str) -> tuple[str, ...]:
    cidrs = []
    for key, raw in item.items(name):
        net = ipv4_network(key, raw, accepted="expected a private IPv4 CIDR such as 192.168.0.0/16")
        if not net.is_private:
            raise SettingsError(key, raw, "expected a private IPv4 CIDR such as 192.168.0.0/16")
        cidrs.append(str(net))
    if not cidrs:
        raise SettingsError(item.child(name), [], "expected at least one private IPv4 CIDR")
    return tuple(cidrs)


def _unique_name(item: Section, taken: set[str], what: str) -> str:
    name = item.string("name", accepted="lower-case letters, digits and '-', starting with a letter, "
                       "at most 63", check=lambda v: bool(GCP_NAME.match(v)))
    if name in taken:
        raise SettingsError(item.child("name"), name, f"{what} names must be unique")
    taken.add(name)
    return name


def parse_attached_vpcs(section: Section) -> tuple[AttachedVpc, ...]:
    out: list[AttachedVpc] = []
    taken: set[str] = set()
    for key, raw in section.items("attachedVpcs"):
        item = Section(key, raw)
        out.append(AttachedVpc(
            name=_unique_name(item, taken, "attached VPC"),
            vpc_id=item.string("vpcId", accepted="expected an AWS VPC id like vpc-0123456789abcdef0",
                               check=lambda v: bool(VPC_ID.match(v))),
            subnet_ids=aws_ids(item, "subnetIds", SUBNET_ID, "subnet-0123456789abcdef0"),
            route_table_ids=aws_ids(item, "routeTableIds", ROUTE_TABLE_ID, "rtb-0123456789abcdef0"),
            cidrs=cidr_list(item, "cidrs"),
        ))
        item.finish()
    return tuple(out)


def parse_offices(key: str, value: Any, *, pool: ipaddress.IPv4Network, site_to_site_cidrs: tuple[str, ...],
                  default_profile: ike.IkeProfile, reserved_asns: dict[str, int], reserved: tuple[str, ...] = (),
                  reserved_key: str = "multicloud-vpn:siteToSite.reservedInsideCidrs") -> tuple[Office, ...]:
    """Offices in list order; office i's tunnels take the /30s at pool positions 4 + 2i and 5 + 2i,
    after the four the site-to-site VPN may use, so adding an office at the end moves nothing.
    Positions count only /30s `reserved` (other VPN connections' on the gateway) does not hold,
    and an explicit `insideCidrs` entry it holds is refused."""
    if value is None or value is MISSING:
        return ()
    if not isinstance(value, list):
        raise SettingsError(key, value, "expected a YAML list of offices ({name, publicIp, cidrs[, bgpAsn, "
                            "ikeProfile, insideCidrs]})")
    offices: list[Office] = []
    taken: set[str] = set()
    used = set(site_to_site_cidrs)
    for i, raw in enumerate(value):
        item = Section(f"{key}[{i}]", raw)
        name = _unique_name(item, taken, "office")
        public_ip = item.string("publicIp", accepted="expected the office router's public IPv4 address")
        try:
            address = ipaddress.IPv4Address(public_ip)
        except ValueError:
            raise SettingsError(item.child("publicIp"), public_ip,
                                "expected the office router's public IPv4 address") from None
        if not address.is_global:
            raise SettingsError(item.child("publicIp"), public_ip,
                                "expected a public IPv4 address (the office router's internet side)")
        asn = item.raw("bgpAsn", None)
        if asn is not None:
            if isinstance(asn, bool) or not isinstance(asn, int) or not is_private_asn(asn):
                raise SettingsError(item.child("bgpAsn"), asn, ASN_ACCEPTED)
            for other, taken_asn in reserved_asns.items():
                if asn == taken_asn:
                    raise SettingsError(item.child("bgpAsn"), asn, f"it must differ from {other} ({taken_asn})")
        profile = ike.parse_profile(item.child("ikeProfile"), item.raw("ikeProfile", None), with_gcp=False,
                                    default=default_profile)
        explicit = item.list("insideCidrs", [])
        if explicit:
            cidrs = inside_cidrs.parse_explicit(item.child("insideCidrs"), explicit, 2)
            inside_cidrs.refuse_reserved(item.child("insideCidrs"), cidrs, reserved, reserved_key)
        else:
            slot = FIRST_OFFICE_SLOT + 2 * i
            cidrs = inside_cidrs.allocate(pool, slot + 2, f"{key}[{i}].insideCidrs", reserved)[slot:slot + 2]
        for j, cidr in enumerate(cidrs):
            if cidr in used:
                raise SettingsError(f"{item.child('insideCidrs')}[{j}]", cidr,
                                    "inside /30s must be unique across every VPN connection on the gateway")
            used.add(cidr)
        offices.append(Office(name=name, public_ip=str(address), cidrs=cidr_list(item, "cidrs"),
                              bgp_asn=asn, ike_profile=profile,
                              inside_cidrs=(cidrs[0], cidrs[1])))
        item.finish()
    return tuple(offices)
