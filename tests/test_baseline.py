"""The network baseline a security review asks for: the VPC's default security group empty, the
resolver endpoints' groups narrow, and the policies that hold any stack to it."""

import pytest

from offline.summary import views
from policy.rules import MANDATORY, ResourceView, run_rules
from tests.stacks import SG, VPC, deploy

DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FIREWALL = "gcp:compute/firewall:Firewall"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
DNS_SOURCE = "35.199.192.0/19"


def found(policy, resources, stack="dev"):
    return [v.message for v in run_rules(resources, stack) if v.policy == policy]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_vpc_default_security_group_is_adopted_with_no_rules(stack):
    d = deploy(stack)
    (vpc,) = d.of_type(VPC)
    (group,) = d.of_type(DEFAULT_SG)
    assert group.get("vpcId") == vpc.id
    assert group.get("ingress") == [] and group.get("egress") == []
    assert group.parent == vpc.parent  # the network component owns both


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_inbound_resolver_group_has_no_egress_and_the_outbound_one_only_dns_to_its_targets(stack):
    # dev's own DNS is the forwarder instance (tests/test_dns_forwarder.py): its Route 53 variant here.
    d = deploy(stack, sections={"dns": {"resolver": "route53", "awsToGcp": False}} if stack == "dev" else None)
    assert d.named(SG, "private-dns-inbound-sg").get("egress") == []
    outbound = [g for g in d.of_type(SG) if g.name == "private-dns-outbound-sg"]
    assert len(outbound) == (stack == "prod")  # dev resolves GCP -> AWS only
    for rule in (r for g in outbound for r in g.get("egress")):
        assert rule["protocol"] in ("tcp", "udp") and rule["fromPort"] == rule["toPort"] == 53
        assert "0.0.0.0/0" not in rule["cidrBlocks"]


def test_default_sg_policy_wants_one_empty_group_per_vpc():
    vpc = ResourceView(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
    empty = ResourceView(DEFAULT_SG, "default", {"ingress": [], "egress": []})
    assert found("default-sg-empty", [vpc, empty]) == []
    assert found("default-sg-empty", [vpc]) and found("default-sg-empty", [vpc, vpc, empty])
    open_egress = ResourceView(DEFAULT_SG, "default", {"egress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]})
    assert found("default-sg-empty", [vpc, open_egress]) == [
        "default: the default security group must have no egress rules"]
    assert found("default-sg-empty", []) == []  # an existing VPC is not the stack's to change


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_default_sg_policy_fails_the_stacks_without_the_group(stack):
    resources = [v for v in views(deploy(stack)) if v.type != DEFAULT_SG]
    assert [v.level for v in run_rules(resources, stack) if v.policy == "default-sg-empty"] == [MANDATORY]


@pytest.mark.parametrize("view,bad", [
    (ResourceView(INSTANCE, "i", {"rootBlockDevice": {"encrypted": True}}), False),
    (ResourceView(INSTANCE, "i", {}), True),
    (ResourceView(INSTANCE, "i", {"rootBlockDevice": {"encrypted": True},
                                  "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]}), True),
    (ResourceView(TEMPLATE, "t", {"blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                                           "ebs": {"encrypted": "true"}}]}), False),
    (ResourceView(TEMPLATE, "t", {"blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                                           "ebs": {"encrypted": "false"}}]}), True),
    (ResourceView(TEMPLATE, "t", {"imageId": "ami-0123456789abcdef0"}), True),
    (ResourceView("aws:ebs/volume:Volume", "v", {"size": 8}), True),
    (ResourceView("aws:ebs/volume:Volume", "v", {"size": 8, "encrypted": True}), False),
])
def test_volumes_encrypted(view, bad):
    assert bool(found("volumes-encrypted", [view])) is bad


def firewall(sources, allows=({"protocol": "tcp", "ports": ["22", "443"]},), **props):
    return ResourceView(FIREWALL, "fw", {"direction": "INGRESS", "sourceRanges": list(sources),
                                         "allows": list(allows), **props})


@pytest.mark.parametrize("view,bad", [
    (firewall(["10.10.0.0/16", "192.168.40.0/24"]), False),
    (firewall(["0.0.0.0/0"]), True),
    (firewall(["52.68.0.0/16"]), True),                         # a public range: not over the VPN
    (firewall([DNS_SOURCE]), True),                              # Cloud DNS's range beyond DNS
    (firewall([DNS_SOURCE], allows=[{"protocol": "udp", "ports": ["53"]},
                                    {"protocol": "tcp", "ports": ["53"]}]), False),
    (firewall([]), True),                                        # no source: GCP means 0.0.0.0/0
    (firewall([], sourceTags=["dns"]), False),
    (firewall(["0.0.0.0/0"], allows=[], denies=[{"protocol": "all"}]), False),
    (firewall(["0.0.0.0/0"], direction="EGRESS"), False),
])
def test_gcp_ingress_sources(view, bad):
    assert bool(found("gcp-ingress-sources", [view])) is bad


@pytest.mark.parametrize("rule,bad", [
    ({"protocol": "udp", "fromPort": 53, "toPort": 53, "cidrBlocks": [DNS_SOURCE]}, False),
    ({"protocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrBlocks": [DNS_SOURCE]}, True),
    ({"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["35.199.200.0/24"]}, True),
    ({"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"]}, False),
])
def test_cloud_dns_range_reaches_only_dns(rule, bad):
    group = ResourceView(SG, "sg", {"ingress": [rule]})
    assert bool(found("cloud-dns-range-dns-only", [group])) is bad


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stacks_firewalls_pass_and_an_opened_one_fails(stack):
    resources = views(deploy(stack))
    assert [v for v in resources if v.type == FIREWALL]
    assert found("gcp-ingress-sources", resources, stack) == []
    opened = [firewall(["0.0.0.0/0"]) if v.type == FIREWALL else v for v in resources]
    assert found("gcp-ingress-sources", opened, stack)
