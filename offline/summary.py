"""What a reviewer needs to know about one evaluated stack, as plain data (JSON-ready)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from offline import cost
from offline.cost import plural
from offline.evaluate import ROOT_DIR, Deployment, is_secret, reveal, run_program, stack_file, stack_name
from policy.rules import ResourceView, run_rules

AWS_TUNNEL_GBPS = 1.25


class StackFileError(ValueError):
    """A stack file that cannot be read as a Pulumi stack file; `str()` is one line."""

    def __init__(self, path: Path, problem: str):
        self.path, self.problem = path, " ".join(problem.split())
        super().__init__(f"{path}: {self.problem}")


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    where = lambda m: f"line {m.line + 1}, column {m.column + 1}"  # noqa: E731
    text = f"invalid YAML at {where(mark)}: {problem}" if mark is not None else f"invalid YAML: {problem}"
    if context:
        text += f" ({context}" + (f" that starts at {where(context_mark)}" if context_mark else "") + ")"
    return text


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean"}.get(type(value), type(value).__name__)


def load_stack_config(stack: str, project_dir: Path = ROOT_DIR) -> dict[str, Any]:
    """The `config:` block of a stack file, after checking it is UTF-8 YAML with a mapping `config:`.

    Anything else raises StackFileError naming the file, instead of a parser traceback.
    """
    path = stack_file(stack, project_dir)
    if not path.exists():
        raise StackFileError(path, "no such stack file")
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise StackFileError(path, f"cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise StackFileError(path, f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at "
                             f"offset {error.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StackFileError(path, _yaml_problem(error)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise StackFileError(path, f"the top level is {_kind(data)}; a stack file is a mapping "
                             "(config:, secretsprovider:, ...)")
    config = data.get("config")
    if config is not None and not isinstance(config, dict):
        raise StackFileError(path, f"config: is {_kind(config)}; expected a mapping of keys to values")
    bad_keys = [k for k in config or {} if not isinstance(k, str)]
    if bad_keys:
        raise StackFileError(path, f"config: key {bad_keys[0]!r} is not a string")
    return dict(config or {})


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
    """What the stack builds, read from the program's own `layout` output (the plan), not
    re-derived from resource counts: office VPN connections are not site-to-site ones."""
    layout = reveal(d.outputs.get("layout")) or {}
    connections = int(layout.get("connections", 0))
    tunnels = connections * int(layout.get("tunnelsPerConnection", 0))
    offices = reveal(d.outputs.get("offices")) or {}
    endpoints = {r.get("direction") for r in d.of_type("aws:route53/resolverEndpoint:ResolverEndpoint")}
    client_vpn = d.of_type("aws:ec2clientvpn/endpoint:Endpoint")
    return {
        "connections": connections,
        "tunnels": tunnels,
        "layout": (f"{plural(connections, 'connection')} x "
                   f"{plural(tunnels // connections if connections else 0, 'tunnel')}"),
        "redundancyType": layout.get("redundancyType"),
        "sla": ("99.99% (GCP HA VPN)" if tunnels == 4 and connections == 2
                else "no GCP HA VPN SLA; AWS 99.95% per connection"),
        "offices": sorted(offices),
        "survivesAwsMaintenance": tunnels >= 2,
        # Only a Transit Gateway spreads flows over tunnels (ECMP); a virtual private gateway uses one.
        "termination": "vpnGateway" if d.count("aws:ec2/vpnGateway:VpnGateway") else "transitGateway",
        "aggregateGbps": (min(tunnels, 1) if d.count("aws:ec2/vpnGateway:VpnGateway") else tunnels) * AWS_TUNNEL_GBPS,
        "singleFlowGbps": AWS_TUNNEL_GBPS,
        "egressIpsToAllowlist": d.count("aws:ec2/eip:Eip"),
        "nat": ("instance" if any((i.get("tags") or {}).get("Purpose") == "NAT instance"
                                  for i in d.of_type("aws:ec2/instance:Instance"))
                else "gateway" if d.count("aws:ec2/natGateway:NatGateway") else None),
        "clientVpnAssociations": d.count("aws:ec2clientvpn/networkAssociation:NetworkAssociation"),
        "clientVpnFullTunnel": bool(client_vpn) and not client_vpn[0].get("splitTunnel"),
        "twingateConnectors": d.count("twingate:index/twingateConnector:TwingateConnector"),
        "spokes": sorted(reveal(d.outputs.get("gcpSpokes")) or {}),
        "dns": _dns(d, endpoints),
    }


def _dns(d: Deployment, endpoints: set) -> dict[str, Any]:
    """Which directions resolve, and how: the program's `privateDns` output says so for the DNS
    forwarder (no Route 53 endpoint there); without it, the Route 53 endpoints do."""
    private = reveal(d.outputs.get("privateDns")) or {}
    if private.get("resolver") == "instance":
        return {"gcpToAws": bool(private.get("gcpToAws")), "awsToGcp": bool(private.get("awsToGcp")),
                "resolver": "instance"}
    return {"gcpToAws": "INBOUND" in endpoints, "awsToGcp": "OUTBOUND" in endpoints}


def summarise(stack: str, project_dir: Path = ROOT_DIR) -> dict[str, Any]:
    """Evaluate a stack (name or stack file) offline and describe it."""
    return evaluate(stack, project_dir)[0]


def evaluate(stack: str, project_dir: Path = ROOT_DIR, *, name: str | None = None
             ) -> tuple[dict[str, Any], Deployment]:
    """Evaluate a stack offline: its summary and the evaluation itself (for `offline.diff`).
    `name`: the stack's name when the file's name does not give it."""
    name = name or stack_name(stack)
    config = load_stack_config(stack, project_dir)
    d = run_program(config, stack=name, project_dir=project_dir)
    return describe(name, config, d), d


def describe(name: str, config: dict[str, Any], d: Deployment) -> dict[str, Any]:
    """The summary of an evaluated stack."""
    by_component: dict[str, Counter] = defaultdict(Counter)
    for r in d.resources:
        by_component[component_of(r.parent)][r.type] += 1
    estimate = cost.assess(d, config.get("aws:region"), config.get("gcp:region"))
    items = estimate.items
    prices = cost.load_prices()
    return {
        "stack": name,
        "regions": {"aws": config.get("aws:region"), "gcp": config.get("gcp:region")},
        "resources": {c: dict(sorted(t.items())) for c, t in sorted(by_component.items())},
        "resourceCount": sum(sum(t.values()) for t in by_component.values()),
        "topology": topology(d),
        "cost": {
            "items": [asdict(i) for i in items],
            "monthlyTotal": cost.total(items),  # of the priced items; see `complete`
            # What the stack costs standing idle: hourly and monthly items, no usage assumption.
            "fixedMonthly": cost.total([i for i in items if i.basis == "fixed"]),
            "complete": estimate.complete,
            "missingPrices": [asdict(m) for m in estimate.missing],
            "unconfirmedPrices": any(i.unconfirmed for i in items),
            "currency": prices["currency"],
            "pricesRetrieved": prices["retrieved"],
            "assumptions": {k: v["value"] for k, v in prices["usageAssumptions"].items()},
        },
        "violations": [asdict(v) for v in run_rules(views(d), name, reveal(d.outputs),
                                                    _secret_values(d), offline=True)],
    }
