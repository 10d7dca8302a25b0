"""Policy rules as plain functions, so they run without the Pulumi engine.

The policy pack (`policy/__main__.py`) wraps them for `pulumi preview --policy-pack policy`;
the offline plan runs them over the resources it records. Properties use the engine's names
(camelCase). Secret markers are visible only to the offline plan (the engine hands policies
plain values), so the secrecy rules run there.

At preview, inputs that are outputs of resources not yet created are unknown (the offline plan
sees `pulumi.output.Unknown`, the policy engine a sentinel string). Rules read props through a
checking proxy: touching an unknown value stops the rule, which then reports one advisory
"could not check at preview: <field> is unknown until <type> exists" instead of passing silently.
The mandatory rules read only inputs that are known at preview (see tests/test_policy.py).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

MANDATORY, ADVISORY = "mandatory", "advisory"
OPEN = {"0.0.0.0/0", "::/0"}


@dataclass(frozen=True)
class ResourceView:
    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    secret_props: frozenset = field(default_factory=frozenset)
    secrets_known: bool = False  # True only where secret markers can be seen
    # top-level prop -> type of the resource whose output it is, where the caller knows it
    unknown_sources: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    resource: str
    message: str


@dataclass(frozen=True)
class Rule:
    name: str
    level: str
    description: str
    check: Callable[..., Iterable[str]]
    stack_level: bool = False
    offline_level: str | None = None   # the level in the offline plan, when it differs


# ------------------------------------------------------------------------------ unknown values
# pulumi-policy's sentinels (pulumi_policy/proxy.py); the string one is also pulumi's rpc.UNKNOWN.
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})

# Who produces the inputs rules might read, for the advisory when the caller cannot say.
PRODUCERS = {
    "cloudwatchLogGroup": "aws:cloudwatch/logGroup:LogGroup",
    "cloudwatchLogStream": "aws:cloudwatch/logStream:LogStream",
    "vpcId": "aws:ec2/vpc:Vpc",
    "transitGatewayId": "aws:ec2transitgateway/transitGateway:TransitGateway",
    "customerGatewayId": "aws:ec2/customerGateway:CustomerGateway",
    "securityGroupId": "aws:ec2/securityGroup:SecurityGroup",
    "cidrBlocks": "aws:ec2/vpc:Vpc",
    "cidrIpv4": "aws:ec2/vpc:Vpc",
    "cidrIpv6": "aws:ec2/vpc:Vpc",
    "ipv6CidrBlocks": "aws:ec2/vpc:Vpc",
    "sharedSecret": "random:index/randomPassword:RandomPassword",
    "tunnel1PresharedKey": "random:index/randomPassword:RandomPassword",
    "tunnel2PresharedKey": "random:index/randomPassword:RandomPassword",
    "privateKey": "tls:index/privateKey:PrivateKey",
}


def is_unknown(value: Any) -> bool:
    """True for a value not known until some resource exists (offline marker or engine sentinel)."""
    if isinstance(value, str):
        return value in UNKNOWN_SENTINELS
    kind = type(value)
    return kind.__name__ == "Unknown" and kind.__module__ == "pulumi.output"


def unknown_fields(value: Any, path: str = "") -> list[str]:
    """The paths (`a.b[0].c`) of every unknown value inside `value`."""
    if is_unknown(value):
        return [path]
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in unknown_fields(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in unknown_fields(v, f"{path}[{i}]")]
    return []


class UnknownInput(Exception):
    """A rule touched an input that is unknown at preview."""

    def __init__(self, resource: ResourceView, path: str):
        self.resource, self.path = resource, path
        top = path.split(".")[0].split("[")[0]
        leaf = path.split(".")[-1].split("[")[0]
        self.source = (resource.unknown_sources.get(top) or PRODUCERS.get(leaf)
                       or PRODUCERS.get(top) or "the resource it comes from")
        super().__init__(could_not_check(path, self.source))


def could_not_check(path: str, source: str) -> str:
    return f"could not check at preview: {path} is unknown until {source} exists"


def _checked(value: Any, owner: ResourceView, path: str) -> Any:
    if is_unknown(value):
        raise UnknownInput(owner, path)
    if isinstance(value, Mapping):
        return _KnownMapping(value, owner, path)
    if isinstance(value, (list, tuple)):
        return _KnownList(value, owner, path)
    return value


class _KnownMapping(Mapping):
    def __init__(self, target: Mapping, owner: ResourceView, path: str):
        self._target, self._owner, self._path = target, owner, path

    def __getitem__(self, key):
        return _checked(self._target[key], self._owner, f"{self._path}.{key}" if self._path else str(key))

    def __contains__(self, key) -> bool:  # presence is known even when the value is not
        return key in self._target

    def __iter__(self) -> Iterator:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)


class _KnownList(Sequence):
    def __init__(self, target: Sequence, owner: ResourceView, path: str):
        self._target, self._owner, self._path = target, owner, path

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return _checked(self._target[index], self._owner, f"{self._path}[{index}]")

    def __len__(self) -> int:
        return len(self._target)

    def __eq__(self, other):  # Sequence has no __eq__: compare as the list it stands for
        return list(self) == (list(other) if isinstance(other, (list, tuple, _KnownList)) else other)

    __hash__ = None  # type: ignore[assignment]


def guarded(r: ResourceView) -> ResourceView:
    """`r` with props that raise UnknownInput when a rule touches an unknown value."""
    return replace(r, props=_KnownMapping(r.props, r, ""))


def evaluate(rule: Rule, subject: ResourceView | Sequence[ResourceView],
             stack: str = "") -> tuple[list[str], UnknownInput | None]:
    """A rule's messages over one resource (or, stack-level, all of them), and the unknown input
    that stopped it, if any. Messages found before the unknown was touched are kept."""
    messages: list[str] = []
    try:
        if rule.stack_level:
            messages.extend(rule.check([guarded(r) for r in subject], stack))
        else:
            messages.extend(rule.check(guarded(subject)))
    except UnknownInput as unknown:
        return messages, unknown
    return messages, None



def _ike_pinned(r: ResourceView) -> Iterable[str]:
    if r.type == "aws:ec2/vpnConnection:VpnConnection":
        for n in (1, 2):
            if list(r.props.get(f"tunnel{n}IkeVersions") or []) != ["ikev2"]:
                yield f"tunnel {n}: IKE versions must be exactly [ikev2]"
            for phase in (1, 2):
                for role in ("EncryptionAlgorithms", "IntegrityAlgorithms", "DhGroupNumbers"):
                    values = r.props.get(f"tunnel{n}Phase{phase}{role}") or []
                    if len(values) != 1:
                        yield f"tunnel {n} phase {phase}: pin exactly one {role} (got {list(values)})"
    elif r.type == "gcp:compute/vPNTunnel:VPNTunnel":
        if r.props.get("ikeVersion") != 2:
            yield "ikeVersion must be 2"
        suite = r.props.get("cipherSuite") or {}
        for phase in ("phase1", "phase2"):
            algorithms = suite.get(phase) or {}
            if not algorithms or any(len(v or []) != 1 for v in algorithms.values()):
                yield f"cipherSuite.{phase} must pin exactly one algorithm per role"


def _no_open_ingress(r: ResourceView) -> Iterable[str]:
    if r.type == "aws:ec2/securityGroup:SecurityGroup":
        for rule in r.props.get("ingress") or []:
            sources = set(rule.get("cidrBlocks") or []) | set(rule.get("ipv6CidrBlocks") or [])
            if sources & OPEN:
                yield f"ingress {rule.get('protocol')} {rule.get('fromPort')} open to the internet"
    elif r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        if {r.props.get("cidrIpv4"), r.props.get("cidrIpv6")} & OPEN:
            yield "ingress open to the internet"
    elif r.type == "aws:ec2/securityGroupRule:SecurityGroupRule" and r.props.get("type") == "ingress":
        if set(r.props.get("cidrBlocks") or []) & OPEN:
            yield "ingress open to the internet"


def _client_vpn_logging(r: ResourceView) -> Iterable[str]:
    if r.type == "aws:ec2clientvpn/endpoint:Endpoint":
        logs = r.props.get("connectionLogOptions") or {}
        if not logs.get("enabled") or not logs.get("cloudwatchLogGroup"):
            yield "connection logging must be on, to a CloudWatch log group"
    elif r.type == "aws:cloudwatch/logGroup:LogGroup":
        if not r.props.get("retentionInDays"):
            yield "log groups need a retention period"


def _eip_protected(r: ResourceView) -> Iterable[str]:
    if r.type == "aws:ec2/eip:Eip" and not r.protect:
        yield "Elastic IPs are allowlisted by partners: protect them"


SECRET_PROPS = {
    "aws:ec2/vpnConnection:VpnConnection": ("tunnel1PresharedKey", "tunnel2PresharedKey"),
    "gcp:compute/vPNTunnel:VPNTunnel": ("sharedSecret",),
    "aws:acm/certificate:Certificate": ("privateKey",),
}


def _keys_secret(r: ResourceView) -> Iterable[str]:
    if not r.secrets_known:
        return
    for prop in SECRET_PROPS.get(r.type, ()):
        # Presence and the secret marker are known at preview; the value (a generated key) is not.
        if prop in r.props and prop not in r.secret_props:
            yield f"{prop} must be a Pulumi secret"


def _prod_four_tunnels(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    if not stack.startswith("prod"):
        return
    gateways = [r for r in resources if r.type == "gcp:compute/externalVpnGateway:ExternalVpnGateway"]
    tunnels = [r for r in resources if r.type == "gcp:compute/vPNTunnel:VPNTunnel"]
    if not gateways and not tunnels:
        return  # remote access alone: no site-to-site VPN to hold to the 99.99% layout
    if len(tunnels) != 4 or any(g.props.get("redundancyType") != "FOUR_IPS_REDUNDANCY" for g in gateways):
        yield (f"production needs 2 connections x 2 tunnels (FOUR_IPS_REDUNDANCY); "
               f"found {len(tunnels)} tunnel{'' if len(tunnels) == 1 else 's'}")
    for tgw in (r for r in resources if r.type == "aws:ec2transitgateway/transitGateway:TransitGateway"):
        if tgw.props.get("vpnEcmpSupport") != "enable":
            yield "the Transit Gateway must have VPN ECMP enabled"


def _single_tunnel(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    tunnels = [r for r in resources if r.type == "gcp:compute/vPNTunnel:VPNTunnel"]
    if len(tunnels) == 1:
        yield "one tunnel: AWS maintenance takes the link down (1 x 2 survives it)"


def _split_tunnel(r: ResourceView) -> Iterable[str]:
    if r.type == "aws:ec2clientvpn/endpoint:Endpoint" and r.props.get("splitTunnel"):
        yield "split tunnel: internet traffic does not leave from the allowlisted Elastic IP"


# ------------------------------------------------------------------------------ remote access
ENDPOINT = "aws:ec2clientvpn/endpoint:Endpoint"
AUTH_RULE = "aws:ec2clientvpn/authorizationRule:AuthorizationRule"
INTENT_TAG = "multicloud-vpn:all-users-reach-all-ranges"   # components/client_vpn.py sets it


def _internal_ranges(resources: Sequence[ResourceView]) -> list[ipaddress.IPv4Network]:
    """What users can reach inside: the VPC, GCP's subnets, private ranges Client VPN routes to."""
    found = []
    for r in resources:
        value = {"aws:ec2/vpc:Vpc": "cidrBlock", "gcp:compute/subnetwork:Subnetwork": "ipCidrRange",
                 "aws:ec2clientvpn/route:Route": "destinationCidrBlock"}.get(r.type)
        cidr = r.props.get(value) if value else None
        if isinstance(cidr, str):
            net = ipaddress.ip_network(cidr, strict=False)
            if net.version == 4 and net.is_private and net not in found:
                found.append(net)
    return found  # type: ignore[return-value]


def _everyone_decides(rules: Sequence[ResourceView], net: ipaddress.IPv4Network) -> bool:
    """Client VPN applies the longest-prefix rules holding `net`: is one of them every user's?"""
    holding = [(ipaddress.ip_network(r.props.get("targetNetworkCidr"), strict=False), r) for r in rules]
    holding = [(n, r) for n, r in holding if n.version == 4 and net.subnet_of(n)]  # type: ignore[arg-type]
    if not holding:
        return False
    longest = max(n.prefixlen for n, _ in holding)
    return any(r.props.get("authorizeAllGroups") for n, r in holding if n.prefixlen == longest)


def _route_enforcement(r: ResourceView) -> Iterable[str]:
    """In full tunnel a device must not add routes around the VPN (and the allowlisted egress)."""
    if r.type == ENDPOINT and not r.props.get("splitTunnel"):
        if not (r.props.get("clientRouteEnforcementOptions") or {}).get("enforced"):
            yield ("full tunnel without client route enforcement: a device can route around the VPN and "
                   "the allowlisted address; set clientRouteEnforcementOptions.enforced")


def _authorization_scope(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    """In production, the VPC and GCP belong to named groups, not to every SSO user, unless the
    stack says so (`clientVpn.allUsersReachAllRanges`, which tags the endpoint)."""
    endpoints = [r for r in resources if r.type == ENDPOINT]
    if not stack.startswith("prod") or not endpoints:
        return
    if all((e.props.get("tags") or {}).get(INTENT_TAG) == "intended" for e in endpoints):
        return
    rules = [r for r in resources if r.type == AUTH_RULE]
    internal = _internal_ranges(resources)
    if internal and all(_everyone_decides(rules, n) for n in internal):
        yield (f"every Client VPN user reaches every internal range ({', '.join(map(str, internal))}): give "
               "them to IAM Identity Center groups (clientVpn.authorization) or set "
               "clientVpn.allUsersReachAllRanges: true")


def _der_items(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(tag, content start, content end) of each DER item between `start` and `end`."""
    while start < end:
        tag, length, start = data[start], data[start + 1], start + 2
        if length & 0x80:
            count = length & 0x7F
            length, start = int.from_bytes(data[start:start + count], "big"), start + count
        yield tag, start, start + length
        start += length


def _not_after(der: bytes) -> str | None:
    """A certificate's notAfter as YYYYMMDDhhmmss (stdlib only: the pack has no crypto library)."""
    try:
        _, cert_start, cert_end = next(_der_items(der, 0, len(der)))
        _, tbs_start, tbs_end = next(_der_items(der, cert_start, cert_end))
        items = list(_der_items(der, tbs_start, tbs_end))
        if items[0][0] == 0xA0:  # explicit version
            items = items[1:]
        _, v_start, v_end = items[3]   # serial, signature, issuer, validity
        tag, t_start, t_end = list(_der_items(der, v_start, v_end))[1]
        text = der[t_start:t_end].decode("ascii").rstrip("Z")
        return ("19" if text[:2] >= "50" else "20") + text if tag == 0x17 else text
    except (StopIteration, IndexError, UnicodeDecodeError, ValueError):
        return None


def _saml_metadata_trusted(r: ResourceView) -> Iterable[str]:
    """An IAM SAML provider trusts whoever holds its metadata's signing key: not an example's
    throwaway key, not a certificate past its end."""
    if r.type != "aws:iam/samlProvider:SamlProvider":
        return
    text = r.props.get("samlMetadataDocument") or ""
    entity = re.search(r'entityID="([^"]*)"', text)
    if entity and "example" in entity.group(1).lower():
        yield f"the metadata is an example ({entity.group(1)}): use your IAM Identity Center application's metadata"
    ends = []
    for body in re.findall(r"<(?:\w+:)?X509Certificate>([^<]+)</", text):
        try:
            ends.append(_not_after(base64.b64decode("".join(body.split()))))
        except ValueError:
            continue
    now = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    known = [e for e in ends if e]
    if known and all(e < now for e in known):
        yield f"the metadata's signing certificate expired ({max(known)[:8]}): download the current metadata"


def _shared_nat_across_zones(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    nats = [r for r in resources if r.type == "aws:ec2/natGateway:NatGateway"]
    associations = [r for r in resources
                    if r.type == "aws:ec2clientvpn/networkAssociation:NetworkAssociation"]
    if len(nats) == 1 and len(associations) > 1:
        yield "one NAT gateway serves several zones: if its zone fails, egress stops"


# ------------------------------------------------------------------------------ network baseline
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
CLOUD_DNS_FORWARDERS = ipaddress.ip_network("35.199.192.0/19")  # Cloud DNS forwarding and peering sources
NOT_A_SOURCE = tuple(map(ipaddress.ip_network, ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "::/128", "::1/128")))


def _default_sg_empty(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    """Every VPC the stack creates has its default security group adopted with no rules (CIS AWS
    5.4). Counted, not matched by VPC id: the id is unknown at preview."""
    vpcs = [r for r in resources if r.type == "aws:ec2/vpc:Vpc"]
    groups = [r for r in resources if r.type == DEFAULT_SG]
    if len(groups) < len(vpcs):
        yield (f"{len(vpcs)} VPC{'' if len(vpcs) == 1 else 's'} but {len(groups)} managed default security "
               "group(s): adopt each VPC's default group with aws.ec2.DefaultSecurityGroup and no rules")
    for g in groups:
        for direction in ("ingress", "egress"):
            if g.props.get(direction):
                yield f"{g.name}: the default security group must have no {direction} rules"


def _volumes_encrypted(r: ResourceView) -> Iterable[str]:
    """Instances and launch templates say their volumes are encrypted; a launch template without
    block device mappings takes the AMI's (or the account's) default, which nobody checked."""
    if r.type == "aws:ec2/instance:Instance":
        if not (r.props.get("rootBlockDevice") or {}).get("encrypted"):
            yield "rootBlockDevice.encrypted must be true"
        for i, device in enumerate(r.props.get("ebsBlockDevices") or []):
            if not device.get("encrypted"):
                yield f"ebsBlockDevices[{i}].encrypted must be true"
    elif r.type == "aws:ec2/launchTemplate:LaunchTemplate":
        mappings = r.props.get("blockDeviceMappings") or []
        if not mappings:
            yield "no blockDeviceMappings: map the root device with ebs.encrypted \"true\""
        for i, mapping in enumerate(mappings):
            if "ebs" in mapping and str((mapping.get("ebs") or {}).get("encrypted")).lower() != "true":
                yield f"blockDeviceMappings[{i}].ebs.encrypted must be \"true\""
    elif r.type == "aws:ebs/volume:Volume" and not r.props.get("encrypted"):
        yield "encrypted must be true"


def _private_or_dns_source(cidr: str) -> tuple[bool, bool]:
    """(is a private range, is inside Cloud DNS's forwarding range) for a source range."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False, False
    dns = net.version == 4 and net.subnet_of(CLOUD_DNS_FORWARDERS)  # type: ignore[arg-type]
    private = net.is_private and not any(net.version == n.version and net.overlaps(n)  # type: ignore[arg-type]
                                         for n in NOT_A_SOURCE)
    return private, dns


def _dns_only(allows: Sequence[Mapping]) -> bool:
    return bool(allows) and all(a.get("protocol") in ("tcp", "udp") and list(a.get("ports") or []) == ["53"]
                                for a in allows)


def _gcp_ingress_sources(r: ResourceView) -> Iterable[str]:
    """GCP ingress firewall rules admit only private ranges (AWS, offices, reached over the VPN),
    and Cloud DNS's 35.199.192.0/19 for DNS only. No sourceRanges (and no source tags or service
    accounts) means 0.0.0.0/0 to GCP."""
    if r.type != "gcp:compute/firewall:Firewall" or (r.props.get("direction") or "INGRESS") != "INGRESS":
        return
    allows = r.props.get("allows") or []
    if not allows:
        return  # a deny rule narrows nothing open
    sources = list(r.props.get("sourceRanges") or [])
    if not sources and not r.props.get("sourceTags") and not r.props.get("sourceServiceAccounts"):
        yield "no sourceRanges: GCP admits 0.0.0.0/0"
    for cidr in sources:
        private, dns = _private_or_dns_source(cidr)
        if dns and not _dns_only(allows):
            yield f"{cidr} (Cloud DNS) may reach only tcp/udp 53"
        elif not private and not dns:
            yield f"source {cidr} is not a private range: only AWS and office ranges over the VPN"


def _aws_dns_range_only_dns(r: ResourceView) -> Iterable[str]:
    """Security groups admit Cloud DNS's forwarding range for DNS (53) and nothing else."""
    if r.type != "aws:ec2/securityGroup:SecurityGroup":
        return
    for rule in r.props.get("ingress") or []:
        if any(_private_or_dns_source(c)[1] for c in rule.get("cidrBlocks") or []):
            if rule.get("protocol") not in ("tcp", "udp") or rule.get("fromPort") != 53 or rule.get("toPort") != 53:
                yield (f"ingress {rule.get('protocol')} {rule.get('fromPort')}-{rule.get('toPort')} from "
                       f"{CLOUD_DNS_FORWARDERS}: that range may reach only tcp/udp 53")


BASELINE_RULES: tuple[Rule, ...] = (
    Rule("default-sg-empty", MANDATORY, "every VPC the stack creates has its default security group with no rules",
         _default_sg_empty, stack_level=True),
    Rule("volumes-encrypted", MANDATORY, "EC2 instances' and launch templates' volumes are encrypted",
         _volumes_encrypted),
    Rule("gcp-ingress-sources", MANDATORY, "GCP firewalls admit only private ranges, 35.199.192.0/19 only to 53",
         _gcp_ingress_sources),
    Rule("cloud-dns-range-dns-only", MANDATORY, "security groups admit 35.199.192.0/19 only to tcp/udp 53",
         _aws_dns_range_only_dns),
)


# ------------------------------------------------------------------------------ audit trails
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
PACKET_FIELDS = ("${pkt-srcaddr}", "${pkt-dstaddr}")
# What places traffic in a VPC the stack does not create (`network.existingVpc`): that VPC is the egress.
REMOTE_ACCESS = ("aws:ec2clientvpn/endpoint:Endpoint", "aws:autoscaling/group:Group")


def _egress_flow_logs(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    """The egress VPC has a flow log of all traffic whose records carry the packets' own source
    and destination (`pkt-srcaddr`, `pkt-dstaddr`): without them the NAT gateway's records show
    its own addresses and what left through the allowlisted address cannot be traced. One per
    VPC the stack creates, or one for the existing VPC remote access lives in. Counted, not
    matched by VPC id (unknown at preview); reads only literal inputs and the presence of vpcId."""
    vpcs = sum(r.type == "aws:ec2/vpc:Vpc" for r in resources)
    needed = vpcs or int(any(r.type in REMOTE_ACCESS for r in resources))
    complete = 0
    for log in (r for r in resources if r.type == FLOW_LOG and "vpcId" in r.props):
        missing = [f for f in PACKET_FIELDS if f not in str(log.props.get("logFormat") or "")]
        if log.props.get("trafficType") != "ALL":
            yield f"{log.name}: trafficType must be ALL (accepted and rejected), not {log.props.get('trafficType')}"
        elif missing:
            yield f"{log.name}: logFormat must include {' and '.join(missing)}"
        else:
            complete += 1
    if complete < needed:
        yield (f"{needed} egress VPC{'' if needed == 1 else 's'} but {complete} flow log(s) of all traffic with "
               "pkt-srcaddr and pkt-dstaddr: what left through the allowlisted address cannot be answered "
               "(multicloud-vpn:audit.vpcFlowLogs)")


def _prod_egress_flow_logs(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    return _egress_flow_logs(resources, stack) if stack.startswith("prod") else ()


def _other_egress_flow_logs(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    return () if stack.startswith("prod") else _egress_flow_logs(resources, stack)


AUDIT_RULES: tuple[Rule, ...] = (
    Rule("egress-flow-logs", MANDATORY, "a prod* stack's egress VPC has a flow log of all traffic with packet "
         "addresses", _prod_egress_flow_logs, stack_level=True),
    Rule("egress-flow-logs-advisory", ADVISORY, "other stacks' egress VPCs have one too",
         _other_egress_flow_logs, stack_level=True),
)


RULES: tuple[Rule, ...] = (
    Rule("ike-pinned", MANDATORY, "IKEv2 and one algorithm per role per phase on both clouds",
         _ike_pinned),
    Rule("no-open-ingress", MANDATORY, "no security group admits 0.0.0.0/0 or ::/0 inbound",
         _no_open_ingress),
    Rule("client-vpn-logging", MANDATORY, "Client VPN connection logs on, with retention",
         _client_vpn_logging),
    Rule("eip-protected", MANDATORY, "Elastic IPs are protected", _eip_protected),
    Rule("keys-secret", MANDATORY, "pre-shared and private keys are Pulumi secrets", _keys_secret),
    Rule("prod-four-tunnels", MANDATORY, "production stacks use 2 x 2 tunnels with ECMP",
         _prod_four_tunnels, stack_level=True),
    Rule("single-tunnel", ADVISORY, "a lone tunnel does not survive AWS maintenance",
         _single_tunnel, stack_level=True),
    Rule("split-tunnel-egress", ADVISORY, "split tunnel bypasses the fixed egress IP", _split_tunnel),
    Rule("client-route-enforcement", MANDATORY, "full-tunnel Client VPN enforces its routes on devices",
         _route_enforcement),
    Rule("client-vpn-authorization-scope", MANDATORY, "production gives internal ranges to groups, not every user",
         _authorization_scope, stack_level=True),
    Rule("saml-metadata-trusted", MANDATORY, "SAML providers trust real, unexpired IdP metadata",
         _saml_metadata_trusted, offline_level=ADVISORY),
    Rule("shared-nat-zones", ADVISORY, "a shared NAT is a single zone of failure",
         _shared_nat_across_zones, stack_level=True),
    *BASELINE_RULES,
    *AUDIT_RULES,
)


def run_rules(resources: Sequence[ResourceView], stack: str,
              outputs: Mapping[str, Any] | None = None,
              secret_values: Iterable[str] = (), *, offline: bool = False) -> list[Violation]:
    """Every rule over every resource (and the stack), plus the plain-text-secret output check.
    `offline`: the offline plan's levels (a rule may be advisory there and mandatory in the pack)."""
    found: list[Violation] = []
    for rule in RULES:
        if offline and rule.offline_level:
            rule = replace(rule, level=rule.offline_level)
        subjects = [(resources, "stack")] if rule.stack_level else [(r, f"{r.type}::{r.name}") for r in resources]
        for subject, where in subjects:
            messages, unknown = evaluate(rule, subject, stack)
            found += [Violation(rule.name, rule.level, where, m) for m in messages]
            if unknown is not None:  # advisory whatever the rule's level: it could not check
                found.append(Violation(rule.name, ADVISORY,
                                       f"{unknown.resource.type}::{unknown.resource.name}", str(unknown)))
    if outputs is not None:
        text = repr(outputs)
        for value in secret_values:
            if isinstance(value, str) and len(value) >= 8 and value in text:
                found.append(Violation("no-plaintext-secret-outputs", MANDATORY, "stack outputs",
                                       "a secret value is exported in plain text"))
                break
    return found
