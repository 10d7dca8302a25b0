"""Policy rules as plain functions, so they run without the Pulumi engine.

The policy pack (`policy/__main__.py`) wraps them for `pulumi preview --policy-pack policy`;
the offline plan runs them over the resources it records. Properties use the engine's names
(camelCase). Secret markers are visible only to the offline plan (the engine hands policies
plain values), so the secrecy rules run there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


def _ike_pinned(r: ResourceView) -> Iterable[str]:
    if r.type == "aws:ec2/vpnConnection:VpnConnection":
        for n in (1, 2):
            if r.props.get(f"tunnel{n}IkeVersions") != ["ikev2"]:
                yield f"tunnel {n}: IKE versions must be exactly [ikev2]"
            for phase in (1, 2):
                for role in ("EncryptionAlgorithms", "IntegrityAlgorithms", "DhGroupNumbers"):
                    values = r.props.get(f"tunnel{n}Phase{phase}{role}") or []
                    if len(values) != 1:
                        yield f"tunnel {n} phase {phase}: pin exactly one {role} (got {values})"
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
        if r.props.get(prop) is not None and prop not in r.secret_props:
            yield f"{prop} must be a Pulumi secret"


def _prod_four_tunnels(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    if not stack.startswith("prod"):
        return
    gateways = [r for r in resources if r.type == "gcp:compute/externalVpnGateway:ExternalVpnGateway"]
    tunnels = [r for r in resources if r.type == "gcp:compute/vPNTunnel:VPNTunnel"]
    if len(tunnels) != 4 or any(g.props.get("redundancyType") != "FOUR_IPS_REDUNDANCY" for g in gateways):
        yield (f"production needs 2 connections x 2 tunnels (FOUR_IPS_REDUNDANCY); "
               f"found {len(tunnels)} tunnel(s)")
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


def _shared_nat_across_zones(resources: Sequence[ResourceView], stack: str) -> Iterable[str]:
    nats = [r for r in resources if r.type == "aws:ec2/natGateway:NatGateway"]
    associations = [r for r in resources
                    if r.type == "aws:ec2clientvpn/networkAssociation:NetworkAssociation"]
    if len(nats) == 1 and len(associations) > 1:
        yield "one NAT gateway serves several zones: if its zone fails, egress stops"


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
    Rule("shared-nat-zones", ADVISORY, "a shared NAT is a single zone of failure",
         _shared_nat_across_zones, stack_level=True),
)


def run_rules(resources: Sequence[ResourceView], stack: str,
              outputs: Mapping[str, Any] | None = None,
              secret_values: Iterable[str] = ()) -> list[Violation]:
    """Every rule over every resource (and the stack), plus the plain-text-secret output check."""
    found: list[Violation] = []
    for rule in RULES:
        if rule.stack_level:
            found += [Violation(rule.name, rule.level, "stack", m) for m in rule.check(resources, stack)]
            continue
        for r in resources:
            found += [Violation(rule.name, rule.level, f"{r.type}::{r.name}", m) for m in rule.check(r)]
    if outputs is not None:
        text = repr(outputs)
        for value in secret_values:
            if isinstance(value, str) and len(value) >= 8 and value in text:
                found.append(Violation("no-plaintext-secret-outputs", MANDATORY, "stack outputs",
                                       "a secret value is exported in plain text"))
                break
    return found
