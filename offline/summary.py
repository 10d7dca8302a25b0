"""What a reviewer needs to know about one evaluated stack, as plain data (JSON-ready)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from offline import cost
from offline.evaluate import ROOT_DIR, Deployment, is_secret, reveal, run_program, stack_config, stack_name
from policy.rules import ResourceView, run_rules

AWS_TUNNEL_GBPS = 1.25


def component_of(parent_urn: str) -> str:
    if not parent_urn:
        return "stack"
    kind = parent_urn.split("::")[2].split("$")[-1]
    return "stack" if kind == "pulumi:pulumi:Stack" else kind


def views(d: Deployment) -> list[ResourceView]:
    return [ResourceView(type=r.type, name=r.name, props=reveal(r.inputs), protect=r.options["protect"],
                         secret_props=frozenset(k for k, v in r.inputs.items() if is_secret(v)),
                         secrets_known=True)
            for r in d.resources if r.custom and not r.type.startswith("pulumi:providers:")]


def _secret_values(d: Deployment) -> list[str]:
    values = []
    for r in d.resources:
        for bag in (r.inputs, r.state):
            values += [reveal(v) for v in bag.values() if is_secret(v) and isinstance(reveal(v), str)]
    return values


def topology(d: Deployment) -> dict[str, Any]:
    tunnels = d.count("gcp:compute/vPNTunnel:VPNTunnel")
    connections = d.count("aws:ec2/vpnConnection:VpnConnection")
    gateways = d.of_type("gcp:compute/externalVpnGateway:ExternalVpnGateway")
    endpoints = {r.get("direction") for r in d.of_type("aws:route53/resolverEndpoint:ResolverEndpoint")}
    client_vpn = d.of_type("aws:ec2clientvpn/endpoint:Endpoint")
    return {
        "connections": connections,
        "tunnels": tunnels,
        "layout": f"{connections} connection(s) x {tunnels // connections if connections else 0} tunnel(s)",
        "redundancyType": gateways[0].get("redundancyType") if gateways else None,
        "sla": ("99.99% (GCP HA VPN)" if tunnels == 4 and connections == 2
                else "no GCP HA VPN SLA; AWS 99.95% per connection"),
        "survivesAwsMaintenance": tunnels >= 2,
        "aggregateGbps": tunnels * AWS_TUNNEL_GBPS,
        "singleFlowGbps": AWS_TUNNEL_GBPS,
        "egressIpsToAllowlist": d.count("aws:ec2/eip:Eip"),
        "clientVpnAssociations": d.count("aws:ec2clientvpn/networkAssociation:NetworkAssociation"),
        "clientVpnFullTunnel": bool(client_vpn) and not client_vpn[0].get("splitTunnel"),
        "twingateConnectors": d.count("twingate:index/twingateConnector:TwingateConnector"),
        "spokes": sorted(reveal(d.outputs.get("gcpSpokes")) or {}),
        "dns": {"gcpToAws": "INBOUND" in endpoints, "awsToGcp": "OUTBOUND" in endpoints},
    }


def summarise(stack: str, project_dir: Path = ROOT_DIR) -> dict[str, Any]:
    """Evaluate a stack (name or stack file) offline and describe it."""
    name = stack_name(stack)
    config = stack_config(stack, project_dir)
    return describe(name, config, run_program(config, stack=name, project_dir=project_dir))


def describe(name: str, config: dict[str, Any], d: Deployment) -> dict[str, Any]:
    """The summary of an evaluated stack."""
    by_component: dict[str, Counter] = defaultdict(Counter)
    for r in d.resources:
        by_component[component_of(r.parent)][r.type] += 1
    items = cost.estimate(d, config.get("aws:region"), config.get("gcp:region"))
    prices = cost.load_prices()
    return {
        "stack": name,
        "regions": {"aws": config.get("aws:region"), "gcp": config.get("gcp:region")},
        "resources": {c: dict(sorted(t.items())) for c, t in sorted(by_component.items())},
        "resourceCount": sum(sum(t.values()) for t in by_component.values()),
        "topology": topology(d),
        "cost": {
            "items": [asdict(i) for i in items],
            "monthlyTotal": cost.total(items),
            "currency": prices["currency"],
            "pricesRetrieved": prices["retrieved"],
            "assumptions": {k: v["value"] for k, v in prices["usageAssumptions"].items()},
        },
        "violations": [asdict(v) for v in run_rules(views(d), name, reveal(d.outputs),
                                                    _secret_values(d))],
    }
