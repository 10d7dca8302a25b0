"""Stack settings, parsed once into typed, validated, immutable objects.

`load_settings` is the only place that reads raw configuration. Every wrong value a user can write
ends here in a single `SettingsError` naming the key, before any resource is declared.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from . import inside_cidrs, ike
from .access_settings import (ClientVpnSettings, NetworkSettings, client_cidr_range,
                              parse_client_vpn, parse_network)
from .errors import MISSING, SettingsError
from .fields import Section, ipv4_network, parse_json_value
from .layout import VpnLayout, plan_layout
from .ranges import ensure_disjoint

PROJECT = "multicloud-vpn"

PRIVATE_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))
ASN_ACCEPTED = "expected a private ASN: 64512-65534 or 4200000000-4294967294"
TGW_ID = re.compile(r"^tgw-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
GCP_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
GCP_NAME_ACCEPTED = "expected a GCP resource name: lowercase letters, digits and '-', starting with a letter, at most 63"


def is_private_asn(asn: int) -> bool:
    return any(low <= asn <= high for low, high in PRIVATE_ASN_RANGES)


@dataclass(frozen=True)
class SiteToSiteSettings:
    connections: int
    tunnels_per_connection: int
    aws_asn: int
    gcp_asn: int
    transit_gateway_id: Optional[str]
    inside_cidrs: tuple[str, ...]
    ike_profile: ike.IkeProfile
    advertised_route_priority: int

    @property
    def layout(self) -> VpnLayout:
        return plan_layout(self.connections, self.tunnels_per_connection, self.inside_cidrs)


@dataclass(frozen=True)
class Subnet:
    name: str
    cidr: str
    region: str


@dataclass(frozen=True)
class GcpHubSettings:
    network_name: str
    subnets: tuple[Subnet, ...]


@dataclass(frozen=True)
class StackSettings:
    aws_region: str
    gcp_project: str
    gcp_region: str
    site_to_site: SiteToSiteSettings
    gcp_hub: GcpHubSettings
    network: NetworkSettings
    client_vpn: ClientVpnSettings

    @property
    def gcp_ranges(self) -> tuple[str, ...]:
        """GCP ranges the AWS side routes to the Transit Gateway."""
        return tuple(s.cidr for s in self.gcp_hub.subnets)


def _key(name: str) -> str:
    return f"{PROJECT}:{name}"


def _provider_setting(config: Mapping[str, Optional[str]], key: str, example: str) -> str:
    value = config.get(key)
    if value is None or not str(value).strip():
        raise SettingsError(key, MISSING, f"set it in the stack file, e.g. {key}: {example}")
    return str(value)


def parse_site_to_site(section: Section) -> SiteToSiteSettings:
    connections = section.choice("connections", (1, 2))
    per_connection = section.choice("tunnelsPerConnection", (1, 2))
    aws_asn = section.integer("awsAsn", 64512, accepted=ASN_ACCEPTED, check=is_private_asn)
    gcp_asn = section.integer("gcpAsn", 65000, accepted=ASN_ACCEPTED, check=is_private_asn)
    if gcp_asn == aws_asn:
        raise SettingsError(section.child("gcpAsn"), gcp_asn,
                            f"it must differ from {section.child('awsAsn')} ({aws_asn}): "
                            "each side of a BGP session needs its own ASN")
    tgw = section.optional_string("transitGatewayId", accepted="expected a Transit Gateway id like "
                                  "tgw-0123456789abcdef0", check=lambda v: bool(TGW_ID.match(v)))
    aws_tunnels = connections * 2
    explicit = section.list("insideCidrs", [])
    pool = inside_cidrs.parse_pool(section.child("insideCidrPool"),
                                   section.raw("insideCidrPool", inside_cidrs.DEFAULT_POOL))
    if explicit:
        cidrs = inside_cidrs.parse_explicit(section.child("insideCidrs"), explicit, aws_tunnels)
    else:
        cidrs = inside_cidrs.allocate(pool, aws_tunnels, section.child("insideCidrPool"))
    profile_name = section.choice("ikeProfile", sorted(ike.PROFILES), ike.DEFAULT_PROFILE)
    priority = section.integer("advertisedRoutePriority", 100, accepted="expected 0-65535",
                               check=lambda v: 0 <= v <= 65535)
    section.finish()
    return SiteToSiteSettings(
        connections=connections, tunnels_per_connection=per_connection,
        aws_asn=aws_asn, gcp_asn=gcp_asn, transit_gateway_id=tgw, inside_cidrs=cidrs,
        ike_profile=ike.PROFILES[profile_name], advertised_route_priority=priority,
    )


def parse_gcp_hub(section: Section, default_region: str) -> GcpHubSettings:
    network = section.string("networkName", "hub", accepted=GCP_NAME_ACCEPTED,
                             check=lambda v: bool(GCP_NAME.match(v)))
    raw_subnets = section.list("subnets")
    if not raw_subnets:
        raise SettingsError(section.child("subnets"), raw_subnets,
                            "expected at least one subnet: a list of {name, cidr[, region]}")
    subnets: list[Subnet] = []
    seen: dict[ipaddress.IPv4Network, str] = {}
    for index, raw in enumerate(raw_subnets):
        item = Section(f"{section.child('subnets')}[{index}]", raw)
        name = item.string("name", accepted=GCP_NAME_ACCEPTED, check=lambda v: bool(GCP_NAME.match(v)))
        cidr_key = item.child("cidr")
        net = ipv4_network(cidr_key, item.raw("cidr"),
                           accepted="expected a private IPv4 CIDR from /8 to /29, e.g. 10.100.0.0/20")
        if not net.is_private or not 8 <= net.prefixlen <= 29:
            raise SettingsError(cidr_key, str(net), "expected a private IPv4 CIDR from /8 to /29")
        for other, other_key in seen.items():
            if net.overlaps(other):
                raise SettingsError(cidr_key, str(net), f"it overlaps {other_key} ({other})")
        if any(s.name == name for s in subnets):
            raise SettingsError(item.child("name"), name, "subnet names must be unique")
        region = item.string("region", default_region)
        item.finish()
        seen[net] = cidr_key
        subnets.append(Subnet(name=name, cidr=str(net), region=region))
    section.finish()
    return GcpHubSettings(network_name=network, subnets=tuple(subnets))


def load_settings(config: Mapping[str, Optional[str]], base_dir: Path) -> StackSettings:
    """Parse the stack's configuration.

    `config` maps full keys (`aws:region`, `multicloud-vpn:siteToSite`, ...) to the raw strings
    Pulumi provides (structured values arrive as JSON text); files named in settings are read
    relative to `base_dir` (the project directory).
    """
    aws_region = _provider_setting(config, "aws:region", "ap-northeast-1")
    gcp_project = _provider_setting(config, "gcp:project", "my-network-project")
    gcp_region = _provider_setting(config, "gcp:region", "asia-northeast1")

    def section(name: str, required: bool = True) -> Section:
        key = _key(name)
        return Section(key, parse_json_value(key, config.get(key)), required=required)

    settings = StackSettings(
        aws_region=aws_region,
        gcp_project=gcp_project,
        gcp_region=gcp_region,
        site_to_site=parse_site_to_site(section("siteToSite")),
        gcp_hub=parse_gcp_hub(section("gcpHub"), gcp_region),
        network=parse_network(section("network")),
        client_vpn=parse_client_vpn(section("clientVpn", required=False), base_dir),
    )
    ensure_disjoint([
        (_key("network") + ".vpcCidr", ipaddress.IPv4Network(settings.network.vpc_cidr)),
        *((f"{_key('gcpHub')}.subnets[{i}].cidr", ipaddress.IPv4Network(s.cidr))
          for i, s in enumerate(settings.gcp_hub.subnets)),
        *client_cidr_range(settings.client_vpn, _key("clientVpn") + ".clientCidr"),
    ])
    return settings


CONFIG_KEYS = ("aws:region", "gcp:project", "gcp:region",
               _key("siteToSite"), _key("gcpHub"), _key("network"), _key("clientVpn"))
