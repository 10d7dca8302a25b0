"""Private DNS between the clouds (`multicloud-vpn:dns`).

GCP -> AWS: Cloud DNS forwards from 35.199.192.0/19, so AWS must route that range back over the
VPN and admit it at the Route 53 inbound endpoint. AWS -> GCP costs a Route 53 outbound endpoint
(two addresses, about $182.50 a month), so it is a switch.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .errors import SettingsError
from .fields import Section

CLOUD_DNS_FORWARDING_RANGE = "35.199.192.0/19"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
DOMAIN_ACCEPTED = "expected a DNS name such as aws.example.internal (letters, digits, '-', two labels or more)"


@dataclass(frozen=True)
class DnsSettings:
    aws_domains: tuple[str, ...] = ()      # names that live in AWS (Route 53), with trailing dot
    gcp_domains: tuple[str, ...] = ()      # names that live in GCP (Cloud DNS), with trailing dot
    aws_to_gcp: bool = False
    create_private_zones: bool = False
    gcp_forwarder_ips: tuple[str, ...] = ()  # explicit Cloud DNS inbound forwarder addresses

    @property
    def gcp_to_aws(self) -> bool:
        return bool(self.aws_domains)


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


def parse_dns(section: Section) -> DnsSettings:
    aws_domains = _domains(section, "awsDomains")
    gcp_domains = _domains(section, "gcpDomains")
    for i, domain in enumerate(gcp_domains):
        for other in aws_domains:
            if domain == other or domain.endswith("." + other) or other.endswith("." + domain):
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
    if aws_to_gcp and not gcp_domains:
        raise SettingsError(section.child("awsToGcp"), True,
                            f"it needs at least one domain in {section.child('gcpDomains')}")
    settings = DnsSettings(
        aws_domains=aws_domains, gcp_domains=gcp_domains, aws_to_gcp=aws_to_gcp,
        create_private_zones=section.boolean("createPrivateZones"),
        gcp_forwarder_ips=tuple(forwarders),
    )
    section.finish()
    return settings

