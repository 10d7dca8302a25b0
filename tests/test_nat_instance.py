"""The NAT instance (`network.natType: instance`): one ARM instance holds the same protected
Elastic IP instead of the NAT gateway."""

import pytest

from components.planning.instance_plan import nat_boot_script
from components.planning.network_plan import plan_network
from offline import cost
from offline.summary import describe, views
from policy.rules import run_rules
from tests.harness import stack_config
from tests.stacks import EIP, NAT, SG, deploy
from tests.test_existing_vpc import EXISTING as EXISTING_VPC
from tests.test_settings import assert_names_key, error_for

INSTANCE = "aws:ec2/instance:Instance"
EIP_ASSOC = "aws:ec2/eipAssociation:EipAssociation"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
AWS_ROUTE = "aws:ec2/route:Route"
KEY = "multicloud-vpn:network"
NAT_IP = "10.10.0.10"   # .10 of dev's first public subnet 10.10.0.0/20
WITH_NAT_INSTANCE = {"network": {"natType": "instance"}}


@pytest.fixture(scope="module")
def d():
    return deploy("dev", sections=WITH_NAT_INSTANCE)


def nat(d):
    return d.named(INSTANCE, "aws-network-nat-instance")


def test_the_boot_script_forwards_and_masquerades_the_vpc_only():
    script = nat_boot_script("10.10.0.0/16")
    assert "net.ipv4.ip_forward = 1" in script
    assert "ip saddr 10.10.0.0/16 ip daddr != 10.10.0.0/16" in script and "masquerade" in script
    assert script.index("retry dnf -y --releasever=latest upgrade") < script.index("systemctl enable --now nftables")
    assert "systemctl poweroff' ERR" in script
    assert plan_network("10.10.0.0/16", 1, False).nat_instance_ip == NAT_IP


@pytest.mark.parametrize("changes,key,fragment", [
    ({"network__natType": "ec2"}, f"{KEY}.natType", "accepted values: 'gateway', 'instance'"),
    ({"network__natType": "instance", "network__natGateways": "perZone"}, f"{KEY}.natType",
     "natGateways: shared"),
    ({"network__natInstanceType": "t3.nano", "network__natType": "instance"}, f"{KEY}.natInstanceType",
     "ARM (Graviton)"),
    ({"network__natInstanceType": "t4g.micro"}, f"{KEY}.natInstanceType", "only with multicloud-vpn:network.natType"),
])
def test_bad_nat_settings_name_the_key(changes, key, fragment):
    message = error_for(**changes)
    assert "\n" not in message
    assert_names_key(message, key, fragment)


def test_an_existing_vpc_refuses_a_nat_instance():
    message = error_for(network__existingVpc=EXISTING_VPC,
        network__vpcCidr=None, network__availabilityZones=None, network__natType="instance",
        dns__resolver="route53", dns__awsToGcp=False, dns__awsDomains=[])
    assert_names_key(message, f"{KEY}.natType", "existingVpc")


def test_no_nat_gateway_and_the_same_protected_address(d):
    assert not d.of_type(NAT)
    (eip,) = d.of_type(EIP)
    assert eip.options["protect"] and eip.options["retain_on_delete"]
    assoc = d.named(EIP_ASSOC, "aws-network-nat-instance-egress-ip")
    assert assoc.get("allocationId") == eip.state["allocationId"] and assoc.get("instanceId") == nat(d).id
    assert d.output("egressIps") == [eip.state["publicIp"]]


def test_the_instance_is_a_hardened_nat(d):
    i = nat(d)
    assert i.get("sourceDestCheck") is False and i.get("privateIp") == NAT_IP
    assert i.get("subnetId") == d.named("aws:ec2/subnet:Subnet", "aws-network-public-0").id
    assert i.get("metadataOptions")["httpTokens"] == "required"
    assert i.get("rootBlockDevice")["encrypted"] is True
    assert i.get("associatePublicIpAddress") is False  # its public address is the Elastic IP
    group = d.named(SG, "aws-network-nat-instance-sg")
    assert [r["cidrBlocks"] for r in group.get("ingress")] == [["10.10.0.0/16"]]


def test_every_private_subnet_leaves_through_the_instance(d):
    defaults = [r for r in d.of_type(AWS_ROUTE) if r.name.startswith("aws-network-private-")
                and r.name.endswith("-default")]
    assert len(defaults) == 2
    for route in defaults:
        assert route.get("networkInterfaceId") == nat(d).state["primaryNetworkInterfaceId"]
        assert not route.get("natGatewayId")


def test_recovered_and_alarmed(d):
    alarms = {a.name: a for a in d.of_type(ALARM)}
    assert alarms["aws-network-nat-instance-alarm-recover"].get("alarmActions") == [
        "arn:aws:automate:ap-northeast-1:ec2:recover"]
    health = alarms["monitoring-nat-instance-health-alarm"]
    assert health.get("dimensions") == {"InstanceId": nat(d).id}
    assert not [a for a in alarms if a.startswith("monitoring-nat-port")]  # NAT gateway metrics only


def test_policy_and_price(d):
    violations = run_rules(views(d), "dev")
    assert not [v for v in violations if "nat-instance" in v.resource and v.level == "mandatory"]
    summary = describe("dev", stack_config("dev"), d)
    assert summary["topology"]["nat"] == "instance"
    items = {i["item"]: i for i in summary["cost"]["items"]}
    assert "NAT gateways" not in items and "NAT gateway data processed" not in items
    assert items["EC2 instances t4g.nano (NAT instance)"]["monthly"] == pytest.approx(0.0054 * 730)
    gateway = describe("dev", stack_config("dev"), deploy("dev"))["cost"]["fixedMonthly"]
    assert summary["cost"]["fixedMonthly"] < gateway - 40


def test_an_unpriced_nat_instance_type_names_its_setting():
    d = deploy("dev", sections={"network": {"natType": "instance", "natInstanceType": "c7gn.medium"}})
    assert [m.key for m in cost.assess(d, "ap-northeast-1", "asia-northeast1").missing] == [
        "multicloud-vpn:network.natInstanceType"]


def test_the_cheapest_example_builds_both_options_and_passes_the_policy():
    from tests.harness import ROOT_DIR, run_program
    path = str(ROOT_DIR / "examples" / "Pulumi.dev-cheapest.yaml")
    d = run_program(stack_config(path), stack="dev-cheapest")
    purposes = sorted((i.get("tags") or {}).get("Purpose") for i in d.of_type(INSTANCE))
    assert purposes == ["DNS forwarder", "NAT instance"]
    assert not d.of_type(NAT) and d.count("aws:ec2/vpnGateway:VpnGateway") == 1
    mandatory = [v for v in run_rules(views(d), "dev-cheapest") if v.level == "mandatory"]
    assert {v.policy for v in mandatory} <= {"saml-metadata-trusted"}  # the example IdP metadata only
