"""Policy rules without the engine, their pulumi-policy wrappers, and both stacks against them."""

from types import SimpleNamespace

import pulumi
import pytest

from offline.summary import views
from policy.rules import MANDATORY, RULES, ResourceView, run_rules
from tests.stacks import deploy

VPN = "aws:ec2/vpnConnection:VpnConnection"
RULE_BY_NAME = {r.name: r for r in RULES}


def check(rule, view, stack="dev"):
    rule = RULE_BY_NAME[rule]
    return list(rule.check([view], stack) if rule.stack_level else rule.check(view))


def pinned_vpn(**changes):
    props = {}
    for n in (1, 2):
        props[f"tunnel{n}IkeVersions"] = ["ikev2"]
        for phase in (1, 2):
            props[f"tunnel{n}Phase{phase}EncryptionAlgorithms"] = ["AES256"]
            props[f"tunnel{n}Phase{phase}IntegrityAlgorithms"] = ["SHA2-256"]
            props[f"tunnel{n}Phase{phase}DhGroupNumbers"] = [20]
    props.update(changes)
    return ResourceView(VPN, "vpn-c0", props)


def test_ike_pinned():
    assert check("ike-pinned", pinned_vpn()) == []
    assert check("ike-pinned", pinned_vpn(tunnel2IkeVersions=["ikev1", "ikev2"]))
    assert check("ike-pinned", pinned_vpn(tunnel1Phase2DhGroupNumbers=[14, 20]))
    assert check("ike-pinned", pinned_vpn(tunnel1Phase1EncryptionAlgorithms=None))
    gcp = "gcp:compute/vPNTunnel:VPNTunnel"
    suite = {"phase1": {"encryptions": ["AES-CBC-256"], "dhs": ["Group-20"]},
             "phase2": {"encryptions": ["AES-CBC-256"], "pfs": ["Group-20"]}}
    assert check("ike-pinned", ResourceView(gcp, "t", {"ikeVersion": 2, "cipherSuite": suite})) == []
    assert check("ike-pinned", ResourceView(gcp, "t", {"ikeVersion": 2}))
    assert check("ike-pinned", ResourceView(gcp, "t", {"ikeVersion": 1, "cipherSuite": suite}))


@pytest.mark.parametrize("view,bad", [
    (ResourceView("aws:ec2/securityGroup:SecurityGroup", "sg",
                  {"ingress": [{"protocol": "tcp", "fromPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}), True),
    (ResourceView("aws:ec2/securityGroup:SecurityGroup", "sg",
                  {"ingress": [{"protocol": "udp", "fromPort": 53, "ipv6CidrBlocks": ["::/0"]}]}), True),
    (ResourceView("aws:ec2/securityGroup:SecurityGroup", "sg",
                  {"ingress": [{"protocol": "udp", "fromPort": 53, "cidrBlocks": ["35.199.192.0/19"]}],
                   "egress": [{"cidrBlocks": ["0.0.0.0/0"]}]}), False),
    (ResourceView("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r",
                  {"cidrIpv4": "0.0.0.0/0"}), True),
    (ResourceView("aws:ec2/securityGroupRule:SecurityGroupRule", "r",
                  {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"]}), True),
    (ResourceView("aws:ec2/securityGroupRule:SecurityGroupRule", "r",
                  {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]}), False),
])
def test_no_open_ingress(view, bad):
    assert bool(check("no-open-ingress", view)) is bad


def test_logging_protection_and_secrets():
    endpoint = "aws:ec2clientvpn/endpoint:Endpoint"
    assert check("client-vpn-logging", ResourceView(endpoint, "e", {"connectionLogOptions": {"enabled": False}}))
    assert not check("client-vpn-logging", ResourceView(endpoint, "e", {"connectionLogOptions": {
        "enabled": True, "cloudwatchLogGroup": "g"}}))
    assert check("client-vpn-logging", ResourceView("aws:cloudwatch/logGroup:LogGroup", "g", {}))
    assert check("eip-protected", ResourceView("aws:ec2/eip:Eip", "ip", {}, protect=False))
    assert not check("eip-protected", ResourceView("aws:ec2/eip:Eip", "ip", {}, protect=True))
    plain = ResourceView(VPN, "v", {"tunnel1PresharedKey": "abcdefgh"}, secrets_known=True)
    assert check("keys-secret", plain)
    hidden = ResourceView(VPN, "v", {"tunnel1PresharedKey": "abcdefgh"},
                          secret_props=frozenset({"tunnel1PresharedKey"}), secrets_known=True)
    assert not check("keys-secret", hidden)


def test_plaintext_secret_in_outputs_is_caught():
    found = run_rules([], "dev", outputs={"key": "abcdefgh12"}, secret_values=["abcdefgh12"])
    assert [v.policy for v in found] == ["no-plaintext-secret-outputs"]
    assert run_rules([], "dev", outputs={"key": "other"}, secret_values=["abcdefgh12"]) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stacks_break_no_mandatory_policy(stack):
    d = deploy(stack)
    found = run_rules(views(d), stack, outputs={}, secret_values=[])
    assert [v for v in found if v.level == MANDATORY] == []


def test_dev_layout_under_a_prod_stack_name_is_refused_and_advised_against():
    found = run_rules(views(deploy("dev")), "prod")
    assert any(v.policy == "prod-four-tunnels" and v.level == MANDATORY for v in found)
    assert any(v.policy == "single-tunnel" for v in found)


def test_pack_wrappers_report_through_pulumi_policy():
    from policy.policies import POLICIES
    by_name = {p.name: p for p in POLICIES}
    assert set(by_name) == set(RULE_BY_NAME)
    reports = []
    args = SimpleNamespace(resource_type="aws:ec2/eip:Eip", name="egress-ip-0", props={},
                           opts=SimpleNamespace(protect=False))
    by_name["eip-protected"].validate(args, lambda message, urn=None: reports.append(message))
    assert reports and "protect" in reports[0]
    pulumi.runtime.reset_options(project="multicloud-vpn", stack="prod")
    reports.clear()
    tunnel = SimpleNamespace(resource_type="gcp:compute/vPNTunnel:VPNTunnel", name="t", props={},
                             opts=SimpleNamespace(protect=False))
    by_name["prod-four-tunnels"].validate(SimpleNamespace(resources=[tunnel]),
                                          lambda message, urn=None: reports.append(message))
    assert reports and "2 connections x 2 tunnels" in reports[0]
