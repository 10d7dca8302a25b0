"""Private DNS between the clouds (`multicloud-vpn:dns`).

GCP -> AWS: Cloud DNS forwards from 35.199.192.0/19, so AWS must route that range back over the
VPN and admit it at the Route 53 inbound endpoint. AWS -> GCP costs a Route 53 outbound endpoint
(two addresses, about $182.50 a month), so it is a switch. On-premises names (`forwardTargets`)
are forwarded to DNS servers outside both clouds, from the hub and through the outbound endpoint.

`resolver: instance` answers both directions from one small ARM instance (unbound) at a fixed
address instead of the Route 53 Resolver endpoints: a few dollars a month instead of $182.50 per
endpoint, without the managed endpoints' two-zone redundancy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import SettingsError
from .fields import Section

CLOUD_DNS_FORWARDING_RANGE = "35.199.192.0/19"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
DOMAIN_ACCEPTED = "expected a DNS name such as aws.example.internal (letters, digits, '-', two labels or more)"
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
RESOLVERS = ("route53", "instance")
# Graviton (ARM) families: a letter family, a generation digit, then "g" (t4g, m7g, c6gn, ...).
ARM_INSTANCE_TYPE = re.compile(r"^[a-z]+[0-9]+g[a-z]*\.(?:nano|micro|small|medium|large|[0-9]*xlarge)$")
ARM_ACCEPTED = "expected an ARM (Graviton) instance type such as t4g.nano, t4g.micro or m7g.medium"
SERVER_ACCEPTED = ("expected the private IPv4 address of a DNS server outside both clouds (RFC 1918 or "
                   "another private range; not loopback, link-local or a GCP range)")


@dataclass(frozen=True)
class ForwardTarget:
    """Names served by DNS servers outside both clouds (an office's), forwarded to from both."""

    domain: str                 # with trailing dot
    servers: tuple[str, ...]    # IPv4 addresses, port 53
    key: str = field(default="", compare=False)  # the config key, for errors found across sections


@dataclass(frozen=True)
class DnsSettings:
    aws_domains: tuple[str, ...] = ()      # names that live in AWS (Route 53), with trailing dot
    gcp_domains: tuple[str, ...] = ()      # names that live in GCP (Cloud DNS), with trailing dot
    aws_to_gcp: bool = False
    create_private_zones: bool = False
    gcp_forwarder_ips: tuple[str, ...] = ()  # explicit Cloud DNS inbound forwarder addresses
    forward_targets: tuple[ForwardTarget, ...] = ()
    resolver: str = "route53"                 # "instance": the DNS forwarder instead of Route 53 endpoints
    forwarder_instance_type: str = "t4g.nano"
    vpc_uses_forwarder: bool = False          # the VPC's DHCP options name the forwarder

    @property
    def gcp_to_aws(self) -> bool:
        return bool(self.aws_domains)

    @property
    def uses_forwarder(self) -> bool:
        return self.resolver == "instance"

    def check_servers_outside(self, gcp_ranges: Sequence[str]) -> None:
        """Refuse an on-premises DNS server inside a GCP range (hub subnets, spokes): the hub would
        forward to itself. Run by `load_settings` once every section is valid."""
        check_forward_servers(self, gcp_ranges)


def check_forward_servers(dns: DnsSettings, gcp_ranges: Sequence[str]) -> None:
    """The cross-section check of `DnsSettings.check_servers_outside`."""
    networks = [ipaddress.IPv4Network(r) for r in gcp_ranges]
    for target in dns.forward_targets:
        for j, server in enumerate(target.servers):
            inside = next((n for n in networks if ipaddress.IPv4Address(server) in n), None)
            if inside is not None:
                raise SettingsError(f"{target.key}.servers[{j}]", server,
                                    f"it lies in the GCP range {inside}; {SERVER_ACCEPTED}")


def normalise_domain(key: str, value) -> str:
    if not isinstance(value, str):
        raise SettingsError(key, value, DOMAIN_ACCEPTED)
    name = value.strip().lower().rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise SettingsError(key, value, DOMAIN_ACCEPTED)
    return name + "."


def _domains(section: Section, name: str) -> tuple[str, ...]:
    out: list[str] = []
    for key, raw in section.items(name):
        domain = normalise_domain(key, raw)
        if domain in out:
            raise SettingsError(key, raw, "listed twice")
        out.append(domain)
    return tuple(out)


def _overlaps(domain: str, other: str) -> bool:
    return domain == other or domain.endswith("." + other) or other.endswith("." + domain)


def _server(key: str, raw) -> str:
    try:
        address = ipaddress.IPv4Address(raw)
    except (ValueError, TypeError):
        raise SettingsError(key, raw, SERVER_ACCEPTED) from None
    if (not address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
            or address.is_reserved or address in _THIS_NETWORK):
        raise SettingsError(key, raw, SERVER_ACCEPTED)
    return str(address)


def _forward_targets(section: Section, aws_domains: tuple[str, ...],
                     gcp_domains: tuple[str, ...]) -> tuple[ForwardTarget, ...]:
    out: list[ForwardTarget] = []
    for key, raw in section.items("forwardTargets"):
        item = Section(key, raw)
        domain = normalise_domain(item.child("domain"), item.raw("domain"))
        if any(t.domain == domain for t in out):
            raise SettingsError(item.child("domain"), domain.rstrip("."), "listed twice")
        for setting, domains in (("awsDomains", aws_domains), ("gcpDomains", gcp_domains)):
            other = next((d for d in domains if _overlaps(domain, d)), None)
            if other is not None:
                raise SettingsError(item.child("domain"), domain.rstrip("."),
                                    f"it overlaps {section.child(setting)} entry {other.rstrip('.')}: "
                                    "one name cannot be answered by two places")
        servers: list[str] = []
        for server_key, server_raw in item.items("servers"):
            server = _server(server_key, server_raw)
            if server in servers:
                raise SettingsError(server_key, server_raw, "listed twice")
            servers.append(server)
        if not servers:
            raise SettingsError(item.child("servers"), item.raw("servers"),
                                "expected at least one DNS server address")
        item.finish()
        out.append(ForwardTarget(domain=domain, servers=tuple(servers), key=key))
    if out and not aws_domains:
        raise SettingsError(section.child("forwardTargets"), [t.domain.rstrip(".") for t in out],
                            f"it needs at least one domain in {section.child('awsDomains')}: only then "
                            f"does the Cloud Router advertise {CLOUD_DNS_FORWARDING_RANGE}, where Cloud DNS "
                            "sends its queries from, so the servers' answers come back over the VPN")
    return tuple(out)


def parse_dns(section: Section) -> DnsSettings:
    aws_domains = _domains(section, "awsDomains")
    gcp_domains = _domains(section, "gcpDomains")
    for i, domain in enumerate(gcp_domains):
        for other in aws_domains:
            if _overlaps(domain, other):
                raise SettingsError(f"{section.child('gcpDomains')}[{i}]", domain.rstrip("."),
                                    f"it overlaps the AWS domain {other.rstrip('.')}: one name "
                                    "cannot be answered by both clouds")
    aws_to_gcp = section.boolean("awsToGcp")
    forwarders = []
    for key, raw in section.items("gcpForwarderIps"):
        try:
            forwarders.append(str(ipaddress.IPv4Address(raw)))
        except (ValueError, TypeError):
            raise SettingsError(key, raw, "expected an IPv4 address of a Cloud DNS inbound forwarder") from None
    forward_targets = _forward_targets(section, aws_domains, gcp_domains)
    if aws_to_gcp and not gcp_domains:
        raise SettingsError(section.child("awsToGcp"), True,
                            f"it needs at least one domain in {section.child('gcpDomains')}")
    resolver, instance_type, vpc_uses_forwarder = _resolver(section, aws_domains, aws_to_gcp, forward_targets)
    settings = DnsSettings(
        aws_domains=aws_domains, gcp_domains=gcp_domains, aws_to_gcp=aws_to_gcp,
        create_private_zones=section.boolean("createPrivateZones"),
        gcp_forwarder_ips=tuple(forwarders), forward_targets=forward_targets,
        resolver=resolver, forwarder_instance_type=instance_type, vpc_uses_forwarder=vpc_uses_forwarder,
    )
    section.finish()
    return settings



def _resolver(section: Section, aws_domains: tuple[str, ...], aws_to_gcp: bool,
              forward_targets: tuple[ForwardTarget, ...]) -> tuple[str, str, bool]:
    """`resolver`, `forwarderInstanceType` and `vpcUsesForwarder`: the last two only mean
    something with `resolver: instance`, and an instance with nothing to forward is refused."""
    resolver = section.choice("resolver", RESOLVERS)
    instance_type = section.string("forwarderInstanceType", accepted=ARM_ACCEPTED,
                                   check=lambda v: bool(ARM_INSTANCE_TYPE.match(v)))
    vpc_uses_forwarder = section.boolean("vpcUsesForwarder")
    if resolver == "instance":
        if not (aws_domains or aws_to_gcp or forward_targets):
            raise SettingsError(section.child("resolver"), resolver,
                                f"the forwarder has nothing to answer: set {section.child('awsDomains')} "
                                f"(GCP -> AWS) or {section.child('awsToGcp')} (AWS -> GCP), or use route53")
        return resolver, instance_type, vpc_uses_forwarder
    if vpc_uses_forwarder:
        raise SettingsError(section.child("vpcUsesForwarder"), True,
                            f"only with {section.child('resolver')}: instance; with route53 the VPC "
                            "resolver already answers through the Resolver rules")
    if section.raw("forwarderInstanceType") != "t4g.nano":
        raise SettingsError(section.child("forwarderInstanceType"), instance_type,
                            f"only with {section.child('resolver')}: instance; remove it or choose instance")
    return resolver, instance_type, vpc_uses_forwarder
