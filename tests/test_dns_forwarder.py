"""The DNS forwarder instance (`dns.resolver: instance`): both DNS directions from one small ARM
instance instead of the Route 53 Resolver endpoints. dev uses it; prod keeps Route 53."""

import copy
import dataclasses
import ipaddress

import pytest

from components.planning.instance_plan import forward_zones, forwarder_boot_script, unbound_config
from components.planning.network_plan import plan_network
from components.planning.settings import load_settings
from offline import cost
from offline.summary import describe, views
from policy.rules import run_rules
from tests.harness import ROOT_DIR, stack_config, to_pulumi_config
from tests.stacks import ENDPOINT as CVPN_ENDPOINT
from tests.stacks import SG, deploy
from tests.test_existing_vpc import EXISTING as EXISTING_VPC
from tests.test_settings import assert_names_key, error_for

INSTANCE = "aws:ec2/instance:Instance"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
R53_ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint"
RULE = "aws:route53/resolverRule:ResolverRule"
ZONE = "gcp:dns/managedZone:ManagedZone"
POLICY = "gcp:dns/policy:Policy"
DHCP = "aws:ec2/vpcDhcpOptions:VpcDhcpOptions"
DHCP_ASSOC = "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation"
AWS_ROUTE = "aws:ec2/route:Route"
AWS_ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DNS_SOURCE = "35.199.192.0/19"
KEY = "multicloud-vpn:dns"
FORWARDER_IP = "10.10.128.52"   # .52 of dev's first private subnet 10.10.128.0/20
ONPREM = [{"domain": "corp.example.com", "servers": ["192.168.10.53"]}]


@pytest.fixture(scope="module")
def dev():
    return deploy("dev")


def forwarder(d):
    return d.named(INSTANCE, "private-dns-forwarder-instance")


# ------------------------------------------------------------------------------- planning
def test_the_forwarder_address_is_fixed_inside_the_resolver_reservation():
    plan = plan_network("10.10.0.0/16", 1, False)
    assert plan.dns_forwarder_ip == FORWARDER_IP
    reserved = ipaddress.IPv4Network(plan.dns_reserved_cidr(plan.dns_subnets[0]))
    assert ipaddress.IPv4Address(plan.dns_forwarder_ip) in reserved
    assert plan.dns_forwarder_ip not in (*plan.dns_inbound_ips, *plan.dns_outbound_ips)


def test_forward_zones_send_each_cloud_its_names():
    zones = forward_zones("10.10.0.2", ["aws.example.internal."], ["gcp.example.internal."],
                          ["10.110.0.5"], [("corp.example.com.", ("192.168.10.53",))])
    assert [(z.name, z.servers) for z in zones] == [
        ("aws.example.internal.", ("10.10.0.2",)), ("gcp.example.internal.", ("10.110.0.5",)),
        ("corp.example.com.", ("192.168.10.53",)), (".", ("10.10.0.2",))]
    # Without forwarder addresses (no AWS -> GCP) no GCP zone: it would have nowhere to go.
    assert [z.name for z in forward_zones("10.10.0.2", [], ["gcp.example.internal."], [])] == ["."]


def test_unbound_listens_only_on_its_address_and_refuses_everyone_else():
    config = unbound_config(FORWARDER_IP, ["10.10.0.0/16", DNS_SOURCE], forward_zones("10.10.0.2", [], [], []))
    lines = [line.strip() for line in config.splitlines()]
    assert f"interface: {FORWARDER_IP}" in lines and "interface: 0.0.0.0" not in lines
    assert lines.index("access-control: 0.0.0.0/0 refuse") < lines.index("access-control: 10.10.0.0/16 allow")
    assert f"access-control: {DNS_SOURCE} allow" in lines
    assert "control-enable: no" in lines and 'module-config: "iterator"' in lines


def test_the_boot_script_patches_then_installs_from_the_distribution_and_fails_visibly():
    script = forwarder_boot_script("server:\n", "10.10.0.2")
    assert script.startswith("#!/bin/bash\nset -euo pipefail\n")
    upgrade = script.index("retry dnf -y --releasever=latest upgrade")
    install = script.index("retry dnf -y install unbound")
    assert upgrade < install < script.index("systemctl enable --now unbound")
    assert "systemctl poweroff' ERR" in script           # a failed setup is a stopped, alarming instance
    assert "DNS=10.10.0.2" in script                       # resolves through the VPC resolver itself
    assert "multicloud-vpn-patch.service" in script and "curl" not in script


# ------------------------------------------------------------------------------- settings
def settings(**dns):
    config = copy.deepcopy(stack_config("dev"))
    config[KEY].update(dns)
    return load_settings(to_pulumi_config(config), ROOT_DIR).dns


def test_dev_chooses_the_forwarder_and_prod_route53():
    assert settings().uses_forwarder and settings().forwarder_instance_type == "t4g.nano"
    prod = load_settings(to_pulumi_config(stack_config("prod")), ROOT_DIR).dns
    assert prod.resolver == "route53" and not prod.uses_forwarder and not prod.vpc_uses_forwarder


@pytest.mark.parametrize("changes,key,fragment", [
    ({"dns__resolver": "bind"}, f"{KEY}.resolver", "accepted values: 'route53', 'instance'"),
    ({"dns__resolver": True}, f"{KEY}.resolver", "accepted values"),
    ({"dns__forwarderInstanceType": "t3.micro"}, f"{KEY}.forwarderInstanceType", "ARM (Graviton)"),
    ({"dns__forwarderInstanceType": 5}, f"{KEY}.forwarderInstanceType", "non-empty string"),
    ({"dns__vpcUsesForwarder": "yes"}, f"{KEY}.vpcUsesForwarder", "true or false"),
    ({"dns__resolver": "route53", "dns__vpcUsesForwarder": True}, f"{KEY}.vpcUsesForwarder",
     "only with multicloud-vpn:dns.resolver: instance"),
    ({"dns__resolver": "route53", "dns__forwarderInstanceType": "t4g.micro"}, f"{KEY}.forwarderInstanceType",
     "only with multicloud-vpn:dns.resolver: instance"),
    ({"dns__awsDomains": [], "dns__awsToGcp": False}, f"{KEY}.resolver", "nothing to answer"),
])
def test_bad_resolver_settings_name_the_key(changes, key, fragment):
    message = error_for(**changes)
    assert "\n" not in message  # one error, one line
    assert_names_key(message, key, fragment)


def test_an_existing_vpc_cannot_hold_the_forwarder():
    message = error_for(network__existingVpc=EXISTING_VPC,
        network__vpcCidr=None, network__availabilityZones=None)
    assert_names_key(message, f"{KEY}.resolver", "existingVpc")


# ----------------------------------------------------------------------- evaluated (mocks)
def test_no_route53_endpoint_or_rule_with_the_forwarder(dev):
    assert not dev.of_type(R53_ENDPOINT) and not dev.of_type(RULE)
    assert dev.output("privateDns") == {"resolver": "instance", "gcpToAws": True, "awsToGcp": True,
                                        "forwarderIp": FORWARDER_IP}
    assert dev.output("dnsInboundResolverIps") == [FORWARDER_IP]


def test_the_instance_is_hardened(dev):
    i = forwarder(dev)
    assert i.get("instanceType") == "t4g.nano" and i.get("privateIp") == FORWARDER_IP
    assert i.get("associatePublicIpAddress") is False
    assert i.get("metadataOptions")["httpTokens"] == "required"
    root = i.get("rootBlockDevice")
    assert root["encrypted"] is True and root["volumeType"] == "gp3"
    assert i.get("maintenanceOptions") == {"autoRecovery": "default"}
    assert not i.get("keyName") and not i.get("iamInstanceProfile")
    assert i.get("ami").startswith("ami-") and "ami" in i.options["ignore_changes"]
    assert i.get("userDataReplaceOnChange") is True and i.options["delete_before_replace"] is True
    private0 = dev.named("aws:ec2/subnet:Subnet", "aws-network-private-0")
    assert i.get("subnetId") == private0.id
    # Placed only once the fixed addresses are reserved: nothing else can be given .52 first.
    reservations = {r.urn for r in dev.of_type("aws:ec2/subnetCidrReservation:SubnetCidrReservation")}
    assert reservations & set(i.options["property_dependencies"])


def test_port_53_only_from_cloud_dns_and_the_vpc_and_egress_only_where_needed(dev):
    group = dev.named(SG, "private-dns-forwarder-sg")
    assert forwarder(dev).get("vpcSecurityGroupIds") == [group.id]
    for rule in group.get("ingress"):
        assert rule["protocol"] in ("tcp", "udp") and rule["fromPort"] == rule["toPort"] == 53
        assert rule["cidrBlocks"] == [DNS_SOURCE, "10.10.0.0/16"]
    egress = {(r["protocol"], r["fromPort"], tuple(r["cidrBlocks"])) for r in group.get("egress")}
    assert egress == {("udp", 53, ("10.10.0.2/32",)), ("tcp", 53, ("10.10.0.2/32",)),
                      ("udp", 53, ("10.110.0.0/20",)), ("tcp", 53, ("10.110.0.0/20",)),
                      ("tcp", 443, ("0.0.0.0/0",))}


def test_both_directions_are_wired(dev):
    # GCP -> AWS: the hub forwards the AWS domain to the forwarder, and the answer routes back.
    zone = next(z for z in dev.of_type(ZONE) if z.get("forwardingConfig"))
    assert [t["ipv4Address"] for t in zone.get("forwardingConfig")["targetNameServers"]] == [FORWARDER_IP]
    private0 = dev.named(AWS_ROUTE_TABLE, "aws-network-private-0")
    assert any(r.get("routeTableId") == private0.id and r.get("destinationCidrBlock") == DNS_SOURCE
               and r.get("transitGatewayId") for r in dev.of_type(AWS_ROUTE))
    # AWS -> GCP: the inbound server policy, and unbound sends the GCP domain to its addresses.
    assert dev.named(POLICY, "private-dns-hub-inbound-policy").get("enableInboundForwarding") is True
    forwarders = dev.output("gcpDnsForwarderIps")
    script = forwarder(dev).get("userData")
    gcp_zone = script.split('name: "gcp.dev.example.internal."')[1].split("forward-zone:")[0]
    assert [line.split()[-1] for line in gcp_zone.strip().splitlines()] == forwarders
    assert 'name: "aws.dev.example.internal."\n    forward-addr: 10.10.0.2' in script


def test_client_vpn_users_resolve_through_the_forwarder(dev):
    assert dev.of_type(CVPN_ENDPOINT)[0].get("dnsServers") == [FORWARDER_IP]


def test_the_vpc_keeps_its_own_resolver_unless_chosen(dev):
    assert not dev.of_type(DHCP) and not dev.of_type(DHCP_ASSOC)
    d = deploy("dev", sections={"dns": {"vpcUsesForwarder": True}})
    options = d.named(DHCP, "private-dns-forwarder-dhcp-options")
    assert options.get("domainNameServers") == [FORWARDER_IP, "10.10.0.2"]
    assert options.get("domainName") == "ap-northeast-1.compute.internal"
    assoc = d.named(DHCP_ASSOC, "private-dns-forwarder-dhcp-options")
    assert assoc.get("vpcId") == d.output("vpcId") and assoc.get("dhcpOptionsId") == options.id


def test_recovered_automatically_and_health_alarmed(dev):
    i = forwarder(dev)
    alarms = {a.name: a for a in dev.of_type(ALARM)}
    recover = alarms["private-dns-forwarder-alarm-recover"]
    assert recover.get("metricName") == "StatusCheckFailed_System"
    assert recover.get("alarmActions") == ["arn:aws:automate:ap-northeast-1:ec2:recover"]
    assert alarms["private-dns-forwarder-alarm-reboot"].get("alarmActions") == [
        "arn:aws:automate:ap-northeast-1:ec2:reboot"]
    health = alarms["monitoring-dns-forwarder-health-alarm"]
    assert health.get("metricName") == "StatusCheckFailed" and health.get("treatMissingData") == "breaching"
    assert health.get("alarmActions") == [dev.of_type("aws:sns/topic:Topic")[0].state["arn"]]
    for alarm in (recover, health):
        assert alarm.get("dimensions") == {"InstanceId": i.id}


def test_on_premises_names_go_through_the_forwarder_without_an_outbound_endpoint():
    d = deploy("dev", sections={"dns": {"forwardTargets": ONPREM}})
    assert not d.of_type(R53_ENDPOINT) and not d.of_type(RULE)
    assert 'name: "corp.example.com."\n    forward-addr: 192.168.10.53' in forwarder(d).get("userData")
    group = d.named(SG, "private-dns-forwarder-sg")
    assert any(r["cidrBlocks"] == ["192.168.10.53/32"] and r["fromPort"] == 53 for r in group.get("egress"))
    assert any(z.name.startswith("private-dns-onprem-zone-") for z in d.of_type(ZONE))  # GCP side unchanged


def test_the_policy_pack_passes_the_forwarder(dev):
    violations = run_rules(views(dev), "dev")
    assert any(v.resource.endswith("::private-dns-forwarder-instance") for v in violations) is False
    mandatory = [v for v in violations if v.level == "mandatory" and "private-dns-forwarder" in v.resource]
    assert mandatory == []
    assert not [v for v in violations if v.policy in ("no-open-ingress", "cloud-dns-range-dns-only",
                                                       "volumes-encrypted")]


def test_an_unencrypted_forwarder_volume_would_fail_the_policy(dev):
    from policy.rules import RULES, evaluate
    rule = next(r for r in RULES if r.name == "volumes-encrypted")
    view = next(v for v in views(dev) if v.type == INSTANCE)
    assert evaluate(rule, view, "dev")[0] == []
    props = {**view.props, "rootBlockDevice": {**view.props["rootBlockDevice"], "encrypted": False}}
    assert evaluate(rule, dataclasses.replace(view, props=props), "dev")[0] == [
        "rootBlockDevice.encrypted must be true"]


def test_priced_and_dev_within_the_target_of_prod(dev):
    prod = deploy("prod")
    summaries = {s: describe(s, stack_config(s), d) for s, d in (("dev", dev), ("prod", prod))}

    def fixed(s):
        return sum(i["monthly"] for i in summaries[s]["cost"]["items"] if i["basis"] == "fixed")

    items = {i["item"]: i for i in summaries["dev"]["cost"]["items"]}
    assert items["EC2 instances t4g.nano (DNS forwarder)"]["monthly"] == pytest.approx(0.0054 * 730)
    assert items["EBS gp3 volumes (instance root volumes)"]["quantity"] == 8
    assert fixed("dev") <= 0.35 * fixed("prod"), (fixed("dev"), fixed("prod"))


def test_an_instance_type_without_a_price_names_the_setting():
    d = deploy("dev", sections={"dns": {"forwarderInstanceType": "m7g.medium"}})
    estimate = cost.assess(d, "ap-northeast-1", "asia-northeast1")
    assert [m.key for m in estimate.missing] == ["multicloud-vpn:dns.forwarderInstanceType"]
