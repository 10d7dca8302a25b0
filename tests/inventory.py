"""Per-stack inventories: every resource a stack file declares, by type and name, with the
inputs that decide what the clouds build (in the style of cloud-foundation-fabric's example
inventories). A rename, a lost resource or a changed range fails `test_inventories` with the
names involved; after an intended change, rewrite them with

    .venv/bin/python -m tests.inventory
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from offline.evaluate import ROOT_DIR, Deployment, reveal, run_program, stack_config

INVENTORY_DIR = Path(__file__).resolve().parent / "inventories"
STACKS = ("dev", "prod")

# The inputs that matter per type: what a reviewer must notice when it changes.
FIELDS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("cidrBlock",),
    "aws:ec2/route:Route": ("destinationCidrBlock",),
    "aws:ec2/eip:Eip": ("domain",),
    "aws:ec2/subnetCidrReservation:SubnetCidrReservation": ("cidrBlock", "reservationType"),
    "aws:ec2/customerGateway:CustomerGateway": ("bgpAsn", "bgpAsnExtended", "type"),
    "aws:ec2/vpnConnection:VpnConnection": ("tunnel1InsideCidr", "tunnel2InsideCidr", "staticRoutesOnly"),
    "aws:ec2transitgateway/transitGateway:TransitGateway": ("amazonSideAsn", "vpnEcmpSupport"),
    "aws:ec2clientvpn/endpoint:Endpoint": ("clientCidrBlock", "transportProtocol", "vpnPort", "splitTunnel",
                                           "selfServicePortal", "sessionTimeoutHours"),
    "aws:ec2clientvpn/route:Route": ("destinationCidrBlock",),
    "aws:ec2clientvpn/authorizationRule:AuthorizationRule": ("targetNetworkCidr", "accessGroupId",
                                                             "authorizeAllGroups"),
    "aws:route53/resolverEndpoint:ResolverEndpoint": ("direction",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays", "kmsKeyId"),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "maxAggregationInterval"),
    "aws:route53/resolverRule:ResolverRule": ("domainName", "ruleType"),
    "aws:route53/zone:Zone": ("name",),
    "aws:ec2/instance:Instance": ("instanceType", "privateIp", "sourceDestCheck"),
    "gcp:compute/network:Network": ("name", "routingMode"),
    "gcp:compute/subnetwork:Subnetwork": ("name", "ipCidrRange", "region"),
    "gcp:compute/networkPeering:NetworkPeering": ("name", "exportCustomRoutes", "importCustomRoutes"),
    "gcp:compute/firewall:Firewall": ("name", "sourceRanges"),
    "gcp:compute/externalVpnGateway:ExternalVpnGateway": ("redundancyType",),
    "gcp:compute/vPNTunnel:VPNTunnel": ("vpnGatewayInterface", "peerExternalGatewayInterface"),
    "gcp:compute/routerInterface:RouterInterface": ("ipRange",),
    "gcp:compute/routerPeer:RouterPeer": ("ipAddress", "peerIpAddress", "advertisedRoutePriority"),
    "gcp:dns/managedZone:ManagedZone": ("name", "dnsName"),
    "gcp:dns/policy:Policy": ("enableInboundForwarding", "enableLogging"),
    "gcp:projects/service:Service": ("service",),
}


def inventory(d: Deployment) -> dict[str, Any]:
    """`{"<type> <name>": {field: value, ...}}` for every resource, with `protect` where set."""
    out: dict[str, Any] = {}
    for r in sorted(d.resources, key=lambda r: (r.type, r.name)):
        entry = {f: reveal(r.inputs[f]) for f in FIELDS.get(r.type, ()) if r.inputs.get(f) is not None}
        if r.options.get("protect"):
            entry["protect"] = True
        out[f"{r.type} {r.name}"] = entry
    return out


def evaluate(stack: str) -> dict[str, Any]:
    return inventory(run_program(stack_config(stack), stack=stack, project_dir=ROOT_DIR))


def path(stack: str) -> Path:
    return INVENTORY_DIR / f"{stack}.yaml"


def main() -> None:
    for stack in sys.argv[1:] or STACKS:
        path(stack).write_text(f"# Inventory of Pulumi.{stack}.yaml; rewrite with: python -m tests.inventory\n"
                               + yaml.safe_dump(evaluate(stack), sort_keys=True, width=120))
        print(f"wrote {path(stack)}")


if __name__ == "__main__":
    main()
