"""What AWS may reach in the GCP networks the program creates (`multicloud-vpn:gcpHub.firewall`).

A new custom VPC denies all ingress by its implied rule, so without a rule nothing from the AWS
VPC (or Client VPN users, source-NATed into it) reaches a GCP machine. The rule admits only the
AWS-side ranges, never 0.0.0.0/0, and only the protocols and ports listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SettingsError
from .fields import Section, port_or_range

PROTOCOLS = ("tcp", "udp", "icmp", "sctp", "esp", "ah", "all")
WITH_PORTS = ("tcp", "udp", "sctp")
PORT = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?$")


@dataclass(frozen=True)
class Allow:
    protocol: str
    ports: tuple[str, ...] = ()   # empty: every port of the protocol


# Reachability checks, SSH and HTTPS: enough to verify the path and run typical services.
DEFAULT_ALLOW = (Allow("icmp"), Allow("tcp", ("22", "443")))


@dataclass(frozen=True)
class FirewallSettings:
    allow: tuple[Allow, ...] = DEFAULT_ALLOW
    logging: bool = False


def _ports(item: Section, protocol: str) -> tuple[str, ...]:
    out = []
    for key, raw in item.items("ports"):
        if protocol not in WITH_PORTS:
            raise SettingsError(key, raw, f"ports apply only to {', '.join(WITH_PORTS)}")
        out.append(port_or_range(key, raw, PORT, 0,
                                 "expected a port (443) or range (8000-8100) within 0-65535"))
    return tuple(out)


def parse_firewall(section: Section) -> FirewallSettings:
    """No `allow`: the default; `allow: []`: no rule at all (nothing from AWS gets in)."""
    allow = DEFAULT_ALLOW
    if section.raw("allow", None) is not None:
        allow = []
        for key, raw in section.items("allow"):
            item = Section(key, raw)
            protocol = item.choice("protocol", PROTOCOLS)
            allow.append(Allow(protocol, _ports(item, protocol)))
            item.finish()
        allow = tuple(allow)
    settings = FirewallSettings(allow=allow, logging=section.boolean("logging"))
    section.finish()
    return settings
