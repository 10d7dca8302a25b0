"""Twingate connectors as a per-stack alternative or companion to Client VPN
(`multicloud-vpn:twingate`). Off unless `enabled: true`; credentials come from the provider's own
config (`twingate:apiToken` as a secret, `twingate:network`)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .errors import MISSING, SettingsError
from .fields import Section, port_or_range

CONNECTORS = 2  # Twingate's advice: at least two, each replaced automatically if it fails
# Twingate's connector image for AWS (the connector preinstalled): its publisher and name pattern.
TWINGATE_AMI_OWNER = "617935088040"
TWINGATE_AMI_NAME = "twingate/images/hvm-ssd/twingate-amd64-*"
AMI = re.compile(r"^ami-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
AMI_ACCEPTED = (
    "expected an AMI id (ami-...), which names one image that never changes: Twingate's connector image "
    f"(aws ec2 describe-images --owners {TWINGATE_AMI_OWNER} --filters "
    f"'Name=name,Values={TWINGATE_AMI_NAME}' --query 'sort_by(Images,&CreationDate)[-1].ImageId'), or a "
    "plain Linux image with setupScriptSha256; resolve:ssm: is refused, since it moves to a new image "
    "without a change to the stack")
SETUP_SCRIPT = "https://binaries.twingate.com/connector/setup.sh"
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
SHA256_ACCEPTED = f"expected the 64 hex digits of sha256sum of {SETUP_SCRIPT}, as reviewed"
PORTS = re.compile(r"^([1-9][0-9]{0,4})(?:-([1-9][0-9]{0,4}))?$")
NETWORK = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")  # a DNS label
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_*?-]{1,63}(?<!-)$")  # with Twingate's wildcards * and ?
ADDRESS = ("expected a DNS name (portal.example.com), an IPv4 address (10.20.0.5) or an IPv4 CIDR "
           "(10.20.0.0/16)")
IPV6 = ("IPv6 is refused: the VPC and its NAT gateway are IPv4-only, so the connectors cannot reach an "
        "IPv6 destination")
IPV4 = "an IPv4 address has four numbers of 0-255, a CIDR a prefix of 0-32 and its host bits zero"


@dataclass(frozen=True)
class TwingateResource:
    name: str
    address: str
    groups: tuple[str, ...]
    ports: tuple[str, ...]  # TCP ports or ranges; empty: all ports
    security_policy: str | None = None  # a Twingate security policy's name; None: the network's default


@dataclass(frozen=True)
class TwingateSettings:
    enabled: bool = False
    remote_network_name: str = "multicloud-vpn"
    instance_type: str = "t3.micro"
    ami: str = ""  # required when enabled
    setup_script_sha256: str | None = None  # None: `ami` is Twingate's connector image
    groups: tuple[str, ...] = ()
    resources: tuple[TwingateResource, ...] = ()
    include_private_ranges: bool = False
    security_policy: str | None = None

    @property
    def security_policies(self) -> tuple[str, ...]:
        """Every security policy named, each once, in order."""
        names = [self.security_policy, *(r.security_policy for r in self.resources)]
        return tuple(dict.fromkeys(n for n in names if n))


def _ports(section: Section, name: str) -> tuple[str, ...]:
    out = []
    for key, raw in section.items(name):
        out.append(port_or_range(key, raw, PORTS, 1,
                                 "expected a TCP port (443) or range (8000-8100) within 1-65535"))
    return tuple(out)


def _address(key: str, text: str) -> str:
    """A destination the connectors can reach; a mistyped IPv4 address is not taken for a DNS name."""
    if ":" in text:
        why = IPV6 if _is_ip(text, 6) else "a port goes in ports, not in the address"
        raise SettingsError(key, text, f"{ADDRESS}; {why}")
    labels = text.removesuffix(".").split(".")
    if "/" in text or re.fullmatch(r"[0-9.]+", text):
        if not _is_ip(text, 4):
            raise SettingsError(key, text, f"{ADDRESS}; {IPV4}")
    elif len(text) > 253 or labels[-1].isdecimal() or not all(DNS_LABEL.match(label) for label in labels):
        raise SettingsError(key, text, ADDRESS)
    return text


def _is_ip(text: str, version: int) -> bool:
    """IPv4 strictly (10.0.0.1/16 is a typo, not 10.0.0.0/16); any IPv6 form, since all are refused."""
    try:
        return ipaddress.ip_network(text, strict=version == 4).version == version
    except ValueError:
        return False


def _sha256(section: Section) -> str | None:
    value = section.optional_string("setupScriptSha256", accepted=SHA256_ACCEPTED,
                                    check=lambda v: bool(SHA256.match(v.strip())))
    return value.strip().lower() if value else None


def parse_twingate(section: Section) -> TwingateSettings:
    enabled = section.boolean("enabled")
    if not enabled and section.only_read_so_far():
        return TwingateSettings(enabled=False)
    groups: list[str] = []
    for key, raw in section.items("groups"):
        if not isinstance(raw, str) or not raw.strip():
            raise SettingsError(key, raw, "expected a non-empty Twingate group name")
        if raw in groups:
            raise SettingsError(key, raw, "listed twice")
        groups.append(raw)
    security_policy = section.optional_string("securityPolicy",
                                              accepted="expected the name of a Twingate security policy")
    resources: list[TwingateResource] = []
    for key, raw in section.items("resources"):
        item = Section(key, raw)
        name = item.string("name")
        if any(r.name == name for r in resources):
            raise SettingsError(item.child("name"), name, "resource names must be unique")
        address = _address(item.child("address"), item.string("address", accepted=ADDRESS).strip())
        wanted = tuple(item.list("groups", list(groups)))
        for j, group in enumerate(wanted):
            if group not in groups:
                raise SettingsError(f"{item.child('groups')}[{j}]", group,
                                    f"not one of {section.child('groups')}: {groups}")
        ports = _ports(item, "ports")
        policy = item.optional_string("securityPolicy",
                                      accepted="expected the name of a Twingate security policy") or security_policy
        item.finish()
        resources.append(TwingateResource(name, address, wanted, ports, policy))
    settings = TwingateSettings(
        enabled=enabled,
        remote_network_name=section.string("remoteNetworkName"),
        instance_type=section.string("instanceType",
                                     accepted="expected an EC2 instance type such as t3.micro",
                                     check=lambda v: bool(INSTANCE_TYPE.match(v))),
        ami=section.optional_string("amiId", accepted=AMI_ACCEPTED, check=lambda v: bool(AMI.match(v))) or "",
        setup_script_sha256=_sha256(section),
        groups=tuple(groups),
        resources=tuple(resources),
        include_private_ranges=section.boolean("includePrivateRanges"),
        security_policy=security_policy,
    )
    section.finish()
    if enabled and not settings.ami:
        raise SettingsError(section.child("amiId"), MISSING, f"required when enabled: {AMI_ACCEPTED}")
    if enabled and not resources:
        raise SettingsError(section.child("resources"), [],
                            "expected at least one resource ({name, address[, groups, ports]}): "
                            "the allowlisted destinations users reach through the connectors")
    if enabled and not groups:
        raise SettingsError(section.child("groups"), [],
                            "expected at least one Twingate group that may use the resources")
    return settings


def require_credentials(settings: TwingateSettings, config) -> None:
    """With Twingate on, the provider needs its API token (a secret) and network name."""
    if not settings.enabled:
        return
    for key, how in (("twingate:apiToken", "pulumi config set --secret twingate:apiToken <token>"),
                     ("twingate:network", "pulumi config set twingate:network <name from "
                                          "<name>.twingate.com>")):
        if not config.get(key):
            raise SettingsError(key, MISSING, f"required when multicloud-vpn:twingate.enabled is "
                                f"true; set it with: {how}")
    network = config.get("twingate:network")
    if not NETWORK.match(network):  # it goes into the connectors' boot script
        raise SettingsError("twingate:network", network, "expected the <name> of <name>.twingate.com: "
                            "lower-case letters, digits and -, at most 63")
