"""Evaluate the program without cloud credentials or the Pulumi CLI, and record what it declares.

`run_program` runs a project's `__main__.py` under Pulumi's mocks. The mock answers like the
providers do (ids, HA VPN interface IPs, AWS tunnel outside IPs and
inside addresses inside their /30s, random passwords), and a recording monitor keeps what the stock
mocks drop: resource options (protect, delete-before-replace, ...), parents, providers, secret
markers on inputs, and the stack's exported outputs.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import ipaddress
import json
import random as pyrandom
import runpy
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import run_in_stack

from offline.cli_config import load_project, merge_stack_config
from offline.cloud_rules import check_gcp_resource, check_provider

ROOT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "multicloud-vpn"


# --------------------------------------------------------------------------------------- config
def stack_file(stack: str, project_dir: Path = ROOT_DIR) -> Path:
    """`prod` -> <project>/Pulumi.prod.yaml; a path to a stack file is taken as it is."""
    candidate = Path(stack)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_name(stack: str) -> str:
    """`prod` or `path/Pulumi.prod.yaml` -> `prod`."""
    name = Path(stack).name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name[len("Pulumi."):].rsplit(".", 1)[0]
    return stack


def stack_config(stack: str, project_dir: Path = ROOT_DIR) -> dict[str, Any]:
    """The `config:` block of a stack file, as YAML values."""
    path = stack_file(stack, project_dir)
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path}")
    data = yaml.safe_load(path.read_text()) or {}
    return dict(data.get("config") or {})


def to_pulumi_config(values: dict[str, Any]) -> dict[str, str]:
    """Encode config the way the Pulumi CLI hands it to a program: full keys, JSON for structure."""
    out = {}
    for key, value in values.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        out[full] = value if isinstance(value, str) else json.dumps(value)
    return out


# --------------------------------------------------------------------------------------- values
def is_secret(value: Any) -> bool:
    return rpc.is_rpc_secret(value)


def reveal(value: Any) -> Any:
    """The plain value behind any secret markers, recursively."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("/".join(parts).encode()).digest()


def _public_ip(first_octets: str, *seed: str) -> str:
    d = _digest(*seed)
    return f"{first_octets}.{d[0]}.{1 + d[1] % 250}"


def _pem(label: str, *seed: str) -> str:
    body = base64.b64encode(_digest(*seed) * 8).decode()
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


AWS_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/route:Route": "r-rtb-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": "tgw-attach-",
    "aws:ec2clientvpn/endpoint:Endpoint": "cvpn-endpoint-",
    "aws:ec2clientvpn/networkAssociation:NetworkAssociation": "cvpn-assoc-",
    "aws:ec2clientvpn/route:Route": "cvpn-route-",
    "aws:ec2clientvpn/authorizationRule:AuthorizationRule": "cvpn-rule-",
    "aws:route53/resolverEndpoint:ResolverEndpoint": "rslvr-in-",
    "aws:route53/resolverRule:ResolverRule": "rslvr-rr-",
    "aws:route53/resolverRuleAssociation:ResolverRuleAssociation": "rslvr-rrassoc-",
    "aws:route53/zone:Zone": "Z",
    "aws:ec2/instance:Instance": "i-",
    "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": "dopt-",
    "aws:ec2/vpnGateway:VpnGateway": "vgw-",
}


# ---------------------------------------------------------------------------------------- mocks
class CloudMocks(pulumi.runtime.Mocks):
    """Answers like the AWS, GCP and random providers would on create."""

    def __init__(self, *, stack: str, psk_leading_zero: bool = False,
                 adopted_tgw: dict | None = None, forwarder_lookups_before_ready: int = 0,
                 amis: dict[str, dict] | None = None,
                 availability_zones: tuple[str, ...] = ("ap-northeast-1a", "ap-northeast-1c",
                                                        "ap-northeast-1d")):
        self.stack = stack
        self.availability_zones = list(availability_zones)
        # Cloud DNS allocates inbound forwarders shortly after the policy: empty lookups first.
        self.forwarder_lookups_before_ready = forwarder_lookups_before_ready
        self.forwarder_lookups: dict[str, int] = {}
        self.psk_leading_zero = psk_leading_zero
        self.adopted_tgw = adopted_tgw or {}
        self.amis = amis or {}  # image id -> what getAmi answers for it (default: Twingate's image)
        self.calls: list[tuple[str, dict]] = []
        self.subnet_ranges: dict[str, str] = {}  # GCP subnetwork self link -> range

    def _id(self, prefix: str, name: str) -> str:
        return f"{prefix}{_digest(self.stack, name).hex()[:17]}"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        t, name, state = args.typ, args.name, dict(args.inputs)
        rid = f"{name}-id"
        if t.startswith("pulumi:providers:"):
            check_provider(t, state)
            return rid, state
        if t.startswith("gcp:"):
            state.setdefault("name", f"{name}-{_digest(self.stack, name).hex()[:7]}")
            check_gcp_resource(t, state)
            state["selfLink"] = f"https://www.googleapis.com/compute/v1/projects/p/{state['name']}"
            rid = f"projects/p/{state['name']}"
            if t == "gcp:compute/subnetwork:Subnetwork":
                self.subnet_ranges[state["selfLink"]] = state["ipCidrRange"]
            if t in ("gcp:monitoring/notificationChannel:NotificationChannel",
                     "gcp:monitoring/alertPolicy:AlertPolicy"):  # server-assigned names
                kind = "notificationChannels" if "notificationChannel" in t else "alertPolicies"
                rid = state["name"] = f"projects/p/{kind}/{int(_digest(self.stack, name).hex()[:15], 16)}"
        if t == "aws:ec2transitgateway/transitGateway:TransitGateway":
            rid = self._id("tgw-", name)
            state["arn"] = f"arn:aws:ec2:ap-northeast-1:123456789012:transit-gateway/{rid}"
            state["associationDefaultRouteTableId"] = self._id("tgw-rtb-", name + "default")
        elif t == "aws:ec2transitgateway/routeTable:RouteTable":
            rid = self._id("tgw-rtb-", name)
        elif t == "aws:ec2/customerGateway:CustomerGateway":
            rid = self._id("cgw-", name)
        elif t == "aws:ec2/vpnConnection:VpnConnection":
            rid = self._id("vpn-", name)
            if state.get("transitGatewayId"):  # a virtual private gateway's connection has no attachment
                state["transitGatewayAttachmentId"] = self._id("tgw-attach-", name)
            # The device configuration AWS generates holds both tunnels' keys.
            keys = [reveal(state.get(f"tunnel{n}PresharedKey")) or "" for n in (1, 2)]
            state["customerGatewayConfiguration"] = rpc.wrap_rpc_secret(
                "<vpn_connection id=\"" + rid + "\">" + "".join(
                    f"<ipsec_tunnel><pre_shared_key>{k}</pre_shared_key></ipsec_tunnel>" for k in keys)
                + "</vpn_connection>")
            for n in (1, 2):
                cidr = state.get(f"tunnel{n}InsideCidr") or self._random_inside_cidr(name, n)
                state[f"tunnel{n}InsideCidr"] = cidr
                hosts = list(ipaddress.IPv4Network(cidr).hosts())
                state[f"tunnel{n}VgwInsideAddress"] = str(hosts[0])
                state[f"tunnel{n}CgwInsideAddress"] = str(hosts[1])
                state[f"tunnel{n}Address"] = _public_ip("52.68", self.stack, name, str(n))
        elif t in AWS_ID_PREFIXES:
            rid = self._id(AWS_ID_PREFIXES[t], name)
            if t == "aws:ec2/eip:Eip":
                state["allocationId"] = self._id("eipalloc-", name)
                state["publicIp"] = _public_ip("13.112", self.stack, name)
            elif t == "aws:ec2clientvpn/endpoint:Endpoint":
                state["dnsName"] = f"*.{rid}.prod.clientvpn.ap-northeast-1.amazonaws.com"
                state["selfServicePortalUrl"] = (
                    f"https://self-service.clientvpn.amazonaws.com/endpoints/{rid}"
                    if state.get("selfServicePortal") == "enabled" else "")
            elif t == "aws:ec2clientvpn/networkAssociation:NetworkAssociation":
                state["associationId"] = self._id("cvpn-assoc-", name)
            elif t == "aws:ec2/instance:Instance":
                state["primaryNetworkInterfaceId"] = self._id("eni-", name)
                state.setdefault("privateIp", f"10.0.{_digest(self.stack, name)[0]}.10")
        elif t in ("aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription"):
            suffix = _digest(self.stack, name).hex()
            topic = state.get("topic") or f"arn:aws:sns:ap-northeast-1:123456789012:{name}-{suffix[:7]}"
            rid = state["arn"] = topic if t.endswith(":Topic") else f"{topic}:{suffix[:32]}"
        elif t == "aws:cloudwatch/metricAlarm:MetricAlarm":
            rid = state.get("name") or name
            state["arn"] = f"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{rid}"
        elif t == "aws:cloudwatch/dashboard:Dashboard":
            rid = state.get("dashboardName") or name
            state["dashboardArn"] = f"arn:aws:cloudwatch::123456789012:dashboard/{rid}"
        elif t == "aws:cloudwatch/logGroup:LogGroup":
            rid = state.get("name") or name
            state["arn"] = f"arn:aws:logs:ap-northeast-1:123456789012:log-group:{rid}"
        elif t in ("aws:acm/certificate:Certificate", "aws:iam/samlProvider:SamlProvider"):
            kind = "certificate" if t.startswith("aws:acm") else "saml-provider"
            rid = f"arn:aws:{t.split(':')[1].split('/')[0]}::123456789012:{kind}/{state.get('name', name)}"
            state["arn"] = rid
        elif t == "tls:index/privateKey:PrivateKey":
            pem = _pem("PRIVATE KEY", self.stack, name)
            state["privateKeyPem"] = rpc.wrap_rpc_secret(pem)
            state["privateKeyOpenssh"] = rpc.wrap_rpc_secret(pem)
            state["publicKeyPem"] = _pem("PUBLIC KEY", self.stack, name)
        elif t in ("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"):
            state["certPem"] = _pem("CERTIFICATE", self.stack, name)
            # The provider's id is the certificate's decimal serial; validity as RFC 3339 times.
            rid = str(int(_digest(self.stack, name).hex()[:30], 16))
            start = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
            hours = int(state.get("validityPeriodHours") or 0)
            state["validityStartTime"] = start.isoformat().replace("+00:00", "Z")
            state["validityEndTime"] = (start + datetime.timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
            state["readyForRenewal"] = False
        elif t == "tls:index/certRequest:CertRequest":
            state["certRequestPem"] = _pem("CERTIFICATE REQUEST", self.stack, name)
        elif t == "twingate:index/twingateConnectorTokens:TwingateConnectorTokens":
            for kind in ("accessToken", "refreshToken"):
                rng = pyrandom.Random(_digest(self.stack, name, kind))
                token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(64))
                state[kind] = rpc.wrap_rpc_secret(token)
        elif t.startswith("twingate:"):
            rid = base64.b64encode(f"{t.split(':')[-1]}:{_digest(self.stack, name).hex()[:8]}".encode()).decode()
        elif t in ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile",
                   "aws:ssm/parameter:Parameter"):
            rid = state.get("name") or f"{name}-{_digest(self.stack, name).hex()[:7]}"
            kind = {"aws:iam/role:Role": "iam::123456789012:role/",
                    "aws:iam/instanceProfile:InstanceProfile": "iam::123456789012:instance-profile/",
                    "aws:ssm/parameter:Parameter": "ssm:ap-northeast-1:123456789012:parameter"}[t]
            state["arn"] = f"arn:aws:{kind}{rid}"
            state.setdefault("name", rid)
        elif t == "aws:ec2/launchTemplate:LaunchTemplate":
            rid = self._id("lt-", name)
            state["latestVersion"] = 1
        elif t == "aws:autoscaling/group:Group":
            rid = f"{name}-{_digest(self.stack, name).hex()[:7]}"
            state["name"] = rid
        elif t == "gcp:compute/haVpnGateway:HaVpnGateway":
            state["vpnInterfaces"] = [
                {"id": 0, "ipAddress": _public_ip("34.157", self.stack, name, "0")},
                {"id": 1, "ipAddress": _public_ip("35.220", self.stack, name, "1")},
            ]
        elif t == "random:index/randomPassword:RandomPassword":
            state["result"] = rpc.wrap_rpc_secret(self._password(name, state))
            state["bcryptHash"] = rpc.wrap_rpc_secret("$2a$10$" + "x" * 53)
        return rid, state

    def _random_inside_cidr(self, name: str, n: int) -> str:
        d = _digest(self.stack, name, "inside", str(n))
        return f"169.254.{100 + d[0] % 100}.{(d[1] % 64) * 4}/30"

    def _password(self, name: str, inputs: dict) -> str:
        alphabet = ""
        if inputs.get("upper", True):
            alphabet += string.ascii_uppercase
        if inputs.get("lower", True):
            alphabet += string.ascii_lowercase
        if inputs.get("numeric", True):
            alphabet += string.digits
        if inputs.get("special", True):
            alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
        # Like the provider, a change of keepers makes a new password.
        rng = pyrandom.Random(_digest(self.stack, name, json.dumps(inputs.get("keepers"), sort_keys=True)))
        text = "".join(rng.choice(alphabet) for _ in range(int(inputs["length"])))
        if self.psk_leading_zero and inputs.get("numeric", True):
            text = "00" + text[2:]
        return text

    def call(self, args: pulumi_mocks.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = self.availability_zones
            return {"names": names, "zoneIds": [f"apne1-az{i + 1}" for i in range(len(names))],
                    "id": "ap-northeast-1"}, []
        if args.token == "gcp:compute/getAddresses:getAddresses":
            # Cloud DNS inbound forwarders: one DNS_RESOLVER address in each matching subnet.
            link = args.args["filter"].split('subnetwork = "')[1].rstrip('")')
            seen = self.forwarder_lookups[link] = self.forwarder_lookups.get(link, 0) + 1
            if seen <= self.forwarder_lookups_before_ready:
                return {"addresses": [], "id": "addresses"}, []
            net = ipaddress.IPv4Network(self.subnet_ranges[link])
            address = str(net.network_address + 2 + _digest(link)[0] % 200)
            return {"addresses": [{"address": address, "addressType": "INTERNAL",
                                   "name": "dns-forwarding", "region": args.args.get("region"),
                                   "status": "IN_USE", "selfLink": link + "/address"}],
                    "id": "addresses"}, []
        if args.token == "aws:ssm/getParameter:getParameter":  # the public AMI parameters
            return {"id": args.args.get("name"), "name": args.args.get("name"), "type": "String",
                    "value": f"ami-{_digest(str(args.args.get('name'))).hex()[:17]}", "version": 1}, []
        if args.token == "aws:ec2/getElasticIp:getElasticIp":
            alloc = args.args.get("id")
            return {"id": alloc, "allocationId": alloc, "domain": "vpc",
                    "publicIp": _public_ip("54.250", self.stack, str(alloc))}, []
        if args.token == "aws:ec2/getNatGateway:getNatGateway":
            nat = str(args.args.get("id"))
            return {"id": nat, "state": "available", "connectivityType": "public",
                    "publicIp": _public_ip("54.250", self.stack, nat)}, []
        if args.token == "aws:ec2/getAmi:getAmi":
            (image,) = next(f["values"] for f in args.args["filters"] if f["name"] == "image-id")
            result = {"id": image, "imageId": image, "ownerId": "617935088040",
                      "name": "twingate/images/hvm-ssd/twingate-amd64-20260501", "rootDeviceName": "/dev/sda1"}
            result.update(self.amis.get(image, {}))
            return result, []
        if args.token == "twingate:index/getTwingateSecurityPolicy:getTwingateSecurityPolicy":
            name = args.args.get("name")
            return {"id": f"policy-{_digest(name or '').hex()[:12]}", "name": name}, []
        if args.token == "aws:ec2transitgateway/getTransitGateway:getTransitGateway":
            result = {"id": args.args.get("id"), "amazonSideAsn": 64600, "vpnEcmpSupport": "enable"}
            result.update(self.adopted_tgw)
            return result, []
        return {}, []


class PreviewMocks(CloudMocks):
    """A first preview: nothing exists, so providers echo their inputs and ids are empty
    ("TFBridge sends the empty string as an ID when doing a preview")."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            check_provider(args.typ, state)
            return f"{args.name}-id", state
        if args.typ.startswith("gcp:"):  # autonames are computed at check time, before create
            state.setdefault("name", f"{args.name}-{_digest(self.stack, args.name).hex()[:7]}")
            check_gcp_resource(args.typ, state)
        return "", state


# ------------------------------------------------------------------------------------- recording
@dataclass
class Resource:
    type: str
    name: str
    urn: str
    id: str
    parent: str
    provider: str
    custom: bool
    inputs: dict
    state: dict
    options: dict = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return reveal(self.inputs.get(key, default))


class DuplicateUrnError(Exception):
    """The engine's error (pkg/resource/deploy/step_generator.go) for a second resource with one URN."""


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: CloudMocks):
        super().__init__(mocks)
        self.recorded: list[Resource] = []
        self.stack_outputs: dict = {}

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self.resources:  # the engine refuses it; the stock mock would overwrite
            raise DuplicateUrnError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources[response.urn]
        self.recorded.append(Resource(
            type=request.type,
            name=request.name,
            urn=response.urn,
            id=registration.id,
            parent=request.parent,
            provider=request.provider,
            custom=bool(request.custom),
            inputs=rpc.deserialize_properties(request.object),
            state=registration.state,
            options={
                "protect": request.protect if request.HasField("protect") else False,
                "retain_on_delete": (request.retainOnDelete
                                     if request.HasField("retainOnDelete") else False),
                "delete_before_replace": request.deleteBeforeReplace,
                "ignore_changes": list(request.ignoreChanges),
                "replace_on_changes": list(request.replaceOnChanges),
                "additional_secret_outputs": list(request.additionalSecretOutputs),
                "dependencies": list(request.dependencies),
                "property_dependencies": sorted({u for deps in request.propertyDependencies.values()
                                                 for u in deps.urns}),
            },
        ))
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.stack_outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


@dataclass
class Deployment:
    resources: list[Resource]
    outputs: dict
    calls: list

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def count(self, type_: str) -> int:
        return len(self.of_type(type_))

    def named(self, type_: str, name: str) -> Resource:
        matches = [r for r in self.of_type(type_) if r.name == name]
        assert len(matches) == 1, f"expected one {type_} named {name}, found {len(matches)}"
        return matches[0]

    def by_urn(self, urn: str) -> Resource:
        return next(r for r in self.resources if r.urn == urn)

    def names(self, types: Iterable[str] | None = None) -> set[tuple[str, str]]:
        wanted = set(types) if types else None
        return {(r.type, r.name) for r in self.resources if wanted is None or r.type in wanted}

    def output(self, name: str) -> Any:
        return reveal(self.outputs[name])


def run_program(config: dict[str, Any], *, stack: str = "test", project_dir: Path = ROOT_DIR,
                preview: bool = False, **mock_options) -> Deployment:
    """Evaluate `<project_dir>/__main__.py` with `config` (stack-file keys and YAML values).

    First, as `pulumi up` does, Pulumi.yaml is checked and its config defaults merged in; a
    missing or mistyped key raises CliConfigError with the CLI's message and nothing runs.
    With `preview`, it runs as a first `pulumi preview` does: providers return only the inputs
    they were given (and GCP autonames) with an empty id, so every computed output is unknown.
    """
    config = merge_stack_config(load_project(Path(project_dir) / "Pulumi.yaml"), stack, config)
    _use_project(project_dir)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        mocks = (PreviewMocks if preview else CloudMocks)(stack=stack, **mock_options)
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.reset_options(project=PROJECT, stack=stack, preview=preview)
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
        pulumi.runtime.set_all_config(to_pulumi_config(config))
        ROOT.set(None)  # let run_in_stack create the stack resource, as `pulumi up` does
        program = str(project_dir / "__main__.py")
        loop.run_until_complete(run_in_stack(lambda: runpy.run_path(program, run_name="__main__")))
        return Deployment(monitor.recorded, monitor.stack_outputs, mocks.calls)
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def _use_project(project_dir: Path) -> None:
    """Make `import components` resolve inside `project_dir` (another revision may be evaluated)."""
    import sys
    root = str(Path(project_dir).resolve())
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    for name in [m for m in sys.modules if m == "components" or m.startswith("components.")]:
        module_file = getattr(sys.modules[name], "__file__", "") or ""
        if not module_file.startswith(root + "/"):
            del sys.modules[name]
