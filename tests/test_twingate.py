"""Twingate connectors: two single-instance groups behind the NAT, tokens kept secret."""

import base64
import copy
import json

import pytest

from offline.cost import estimate, remote_access_monthly
from offline.evaluate import reveal, run_program, stack_config
from tests.harness import is_secret

ASG = "aws:autoscaling/group:Group"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
TOKENS = "twingate:index/twingateConnectorTokens:TwingateConnectorTokens"
PARAM = "aws:ssm/parameter:Parameter"
RESOURCE = "twingate:index/twingateResource:TwingateResource"
GROUP = "twingate:index/twingateGroup:TwingateGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"

SETTINGS = {
    "enabled": True,
    "groups": ["engineering", "partner-ops"],
    "resources": [
        {"name": "partner-portal", "address": "portal.partner.example.com", "ports": ["443", "8443"],
         "groups": ["partner-ops"]},
        {"name": "build-db", "address": "10.10.128.10", "ports": [5432]},
    ],
}


@pytest.fixture(scope="module")
def d():
    config = copy.deepcopy(stack_config("dev"))
    config["multicloud-vpn:twingate"] = SETTINGS
    config["twingate:apiToken"] = "tw-api-token-secret"
    config["twingate:network"] = "example"
    return run_program(config, stack="dev")


def test_two_groups_of_exactly_one_instance_in_private_subnets_of_two_zones(d):
    groups = d.of_type(ASG)
    assert len(groups) == 2
    private = {s.id: s for s in d.of_type("aws:ec2/subnet:Subnet") if s.name.startswith("private")}
    zones = set()
    for g in groups:
        assert (g.get("minSize"), g.get("maxSize"), g.get("desiredCapacity")) == (1, 1, 1)
        (subnet,) = g.get("vpcZoneIdentifiers")
        assert subnet in private
        zones.add(private[subnet].get("availabilityZone"))
    assert len(zones) == 2


def test_egress_goes_through_the_nat(d):
    nat = d.of_type("aws:ec2/natGateway:NatGateway")[0].id
    associations = d.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    tables = {a.get("subnetId"): a.get("routeTableId") for a in associations}
    defaults = {r.get("routeTableId"): r.get("natGatewayId") for r in d.of_type("aws:ec2/route:Route")
                if r.get("destinationCidrBlock") == "0.0.0.0/0"}
    for g in d.of_type(ASG):
        assert defaults[tables[g.get("vpcZoneIdentifiers")[0]]] == nat


def test_distinct_token_pairs_kept_secret_and_out_of_the_launch_templates(d):
    tokens = d.of_type(TOKENS)
    assert len(tokens) == 2
    pairs = [(reveal(t.state["accessToken"]), reveal(t.state["refreshToken"])) for t in tokens]
    assert len({p for pair in pairs for p in pair}) == 4
    params = d.of_type(PARAM)
    assert len(params) == 4 and all(is_secret(p.inputs["value"]) for p in params)
    assert all(p.get("type") == "SecureString" for p in params)
    assert {reveal(p.inputs["value"]) for p in params} == {p for pair in pairs for p in pair}
    for template in d.of_type(TEMPLATE):
        script = base64.b64decode(template.get("userData")).decode()
        assert not any(secret in script for pair in pairs for secret in pair)
        assert "binaries.twingate.com/connector/setup.sh" in script
        assert "TWINGATE_NETWORK=\"example\"" in script
        assert template.get("metadataOptions")["httpTokens"] == "required"
    flat = repr(reveal(d.outputs))
    assert not any(secret in flat for pair in pairs for secret in pair)
    assert "tw-api-token-secret" not in flat


def test_each_connector_reads_only_its_own_tokens(d):
    policies = d.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(policies) == 2
    seen = []
    for p in policies:
        statement = json.loads(p.get("policy"))["Statement"]
        assert [s["Action"] for s in statement] == ["ssm:GetParameter"]
        seen.append(tuple(sorted(statement[0]["Resource"])))
    assert len(set(seen)) == 2 and not set(seen[0]) & set(seen[1])


def test_security_group_admits_nothing_and_sends_only_what_twingate_needs(d):
    sg = next(s for s in d.of_type(SG) if s.name == "connector-sg")
    assert sg.get("ingress") in ([], None)
    open_to_all = {(r["protocol"], r["fromPort"], r["toPort"]) for r in sg.get("egress")
                   if "0.0.0.0/0" in r["cidrBlocks"]}
    assert open_to_all == {("tcp", 443, 443), ("tcp", 30000, 31000), ("tcp", 8443, 8443)}
    internal = [r for r in sg.get("egress") if r["protocol"] == "-1"]
    assert internal and "0.0.0.0/0" not in internal[0]["cidrBlocks"]


def test_resources_and_group_access_as_configured(d):
    groups = {g.get("name"): g.id for g in d.of_type(GROUP)}
    assert set(groups) == {"engineering", "partner-ops"}
    resources = {r.get("name"): r for r in d.of_type(RESOURCE)}
    portal = resources["partner-portal"]
    assert [a["groupId"] for a in portal.get("accessGroups")] == [groups["partner-ops"]]
    assert portal.get("protocols")["tcp"] == {"policy": "RESTRICTED", "ports": ["443", "8443"]}
    db = resources["build-db"]
    assert {a["groupId"] for a in db.get("accessGroups")} == set(groups.values())
    ranges = {r.get("address") for r in d.of_type(RESOURCE) if r.name.startswith("range-")}
    assert ranges == {"10.10.0.0/16", "10.110.0.0/20", "10.111.0.0/20"}
    assert all(r.get("remoteNetworkId") for r in d.of_type(RESOURCE))


def test_twingate_resources_use_the_explicit_provider(d):
    provider = next(r for r in d.resources if r.type == "pulumi:providers:twingate")
    assert reveal(provider.inputs["network"]) == "example"
    assert is_secret(provider.inputs["apiToken"])
    for r in d.resources:
        if r.type.startswith("twingate:index"):
            assert r.provider.startswith(provider.urn)


def test_cost_counts_connectors_and_seats(d):
    items = {i.item: i for i in estimate(d, "ap-northeast-1", "asia-northeast1")}
    assert items["EC2 instances t3.micro (Twingate connectors)"].quantity == 2
    assert items["Twingate Business (10 users)"].monthly == 100.0


def test_remote_access_comparison():
    ten, fifty = (remote_access_monthly(n, "ap-northeast-1") for n in (10, 50))
    assert ten["twingate"] < ten["clientVpn"]
    assert fifty["twingate"] > fifty["clientVpn"]


def test_off_by_default():
    d = run_program(stack_config("dev"), stack="dev")
    assert not [r for r in d.resources if r.type.startswith("twingate:")]
    assert not d.of_type(ASG)
