"""Policy rules without the engine, their pulumi-policy wrappers, and both stacks against them."""

import functools
from types import SimpleNamespace

import pulumi
import pytest
from pulumi.output import UNKNOWN
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.evaluate import run_program
from offline.summary import views
from policy.rules import ADVISORY, MANDATORY, RULES, ResourceView, Violation, run_rules, unknown_fields
from tests.stacks import config_for, deploy

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
    found = run_rules(views(d), stack, outputs={}, secret_values=[], offline=True)
    assert [v for v in found if v.level == MANDATORY] == []
    # in a real preview the example SAML metadata, and only it, stops the stack
    pack = run_rules(views(d), stack, outputs={}, secret_values=[])
    assert {(v.policy, v.level) for v in pack if v.level == MANDATORY} == {("saml-metadata-trusted", MANDATORY)}


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


# ----------------------------------------------------------------------------- preview unknowns
COULD_NOT = "could not check at preview"
MANDATORY_RULES = [r.name for r in RULES if r.level == MANDATORY]


@functools.cache
def preview_views(stack):
    return views(run_program(config_for(stack), stack=stack, preview=True))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_mandatory_rules_use_inputs_known_at_preview(stack):
    resources = preview_views(stack)
    assert any(unknown_fields(r.props) for r in resources)  # the preview does hide outputs
    found = run_rules(resources, stack, outputs={}, secret_values=[])
    assert [v for v in found if COULD_NOT in v.message] == []
    # only the example SAML metadata stops them, and it is known at preview
    assert {v.policy for v in found if v.level == MANDATORY} == {"saml-metadata-trusted"}
    checked = {r.type for r in resources}  # every mandatory rule had something to look at
    assert {"aws:ec2/vpnConnection:VpnConnection", "gcp:compute/vPNTunnel:VPNTunnel",
            "aws:ec2/securityGroup:SecurityGroup", "aws:ec2clientvpn/endpoint:Endpoint",
            "aws:cloudwatch/logGroup:LogGroup", "aws:ec2/eip:Eip"} <= checked


def test_prod_preview_is_refused_under_a_dev_layout_without_unknowns():
    found = run_rules(preview_views("dev"), "prod")
    assert any(v.policy == "prod-four-tunnels" and v.level == MANDATORY for v in found)
    assert [v for v in found if COULD_NOT in v.message] == []


def only(policy, resources, stack="prod"):
    return [v for v in run_rules(resources, stack) if v.policy == policy]


@pytest.mark.parametrize("unknown", [UNKNOWN, UNKNOWN_STRING_VALUE], ids=["offline", "engine"])
def test_an_unknown_input_gives_exactly_one_advisory(unknown):
    vpn = pinned_vpn(tunnel1IkeVersions=unknown, tunnel2Phase1DhGroupNumbers=[unknown, unknown])
    assert only("ike-pinned", [vpn]) == [Violation(
        "ike-pinned", ADVISORY, f"{VPN}::vpn-c0",
        "could not check at preview: tunnel1IkeVersions is unknown until the resource it comes from exists")]
    sg = ResourceView("aws:ec2/securityGroup:SecurityGroup", "sg",
                      {"ingress": [{"protocol": "tcp", "fromPort": 443, "cidrBlocks": [unknown]},
                                   {"protocol": "tcp", "fromPort": 22, "cidrBlocks": [unknown]}]})
    assert [v.message for v in only("no-open-ingress", [sg])] == [
        "could not check at preview: ingress[0].cidrBlocks[0] is unknown until aws:ec2/vpc:Vpc exists"]
    endpoint = ResourceView("aws:ec2clientvpn/endpoint:Endpoint", "e",
                            {"connectionLogOptions": {"enabled": True, "cloudwatchLogGroup": unknown}})
    assert [(v.level, v.message) for v in only("client-vpn-logging", [endpoint])] == [
        (ADVISORY, "could not check at preview: connectionLogOptions.cloudwatchLogGroup is unknown "
                   "until aws:cloudwatch/logGroup:LogGroup exists")]
    gateway = ResourceView("gcp:compute/externalVpnGateway:ExternalVpnGateway", "peer",
                           {"redundancyType": unknown},
                           unknown_sources={"redundancyType": "aws:ec2/vpnConnection:VpnConnection"})
    tunnels = [ResourceView("gcp:compute/vPNTunnel:VPNTunnel", f"t{i}", {}) for i in range(4)]
    assert only("prod-four-tunnels", [gateway, *tunnels]) == [Violation(
        "prod-four-tunnels", ADVISORY, "gcp:compute/externalVpnGateway:ExternalVpnGateway::peer",
        "could not check at preview: redundancyType is unknown until aws:ec2/vpnConnection:VpnConnection exists")]
    split = ResourceView("aws:ec2clientvpn/endpoint:Endpoint", "e", {"splitTunnel": unknown})
    assert [(v.level, COULD_NOT in v.message) for v in only("split-tunnel-egress", [split])] == [
        (ADVISORY, True)]


def test_rules_that_need_no_unknown_value_still_decide():
    eip = ResourceView("aws:ec2/eip:Eip", "ip", {"domain": UNKNOWN, "tags": {"Name": UNKNOWN}})
    assert [v.message for v in only("eip-protected", [eip])] == [
        "Elastic IPs are allowlisted by partners: protect them"]
    assert only("eip-protected", [ResourceView("aws:ec2/eip:Eip", "ip", {"domain": UNKNOWN}, protect=True)]) == []
    # a generated key is unknown at preview, but whether it is a secret is not
    marked = ResourceView(VPN, "v", {"tunnel1PresharedKey": UNKNOWN},
                          secret_props=frozenset({"tunnel1PresharedKey"}), secrets_known=True)
    assert only("keys-secret", [marked]) == []
    plain = ResourceView(VPN, "v", {"tunnel1PresharedKey": UNKNOWN}, secrets_known=True)
    assert [(v.level, v.message) for v in only("keys-secret", [plain])] == [
        (MANDATORY, "tunnel1PresharedKey must be a Pulumi secret")]


def engine_args(type_, props, protect=False):
    """What pulumi-policy hands a resource policy: props behind its unknown-checking proxy."""
    return SimpleNamespace(resource_type=type_, name="r", props=unknown_checking_proxy(props),
                           opts=SimpleNamespace(protect=protect))


def test_pack_reads_engine_proxies_and_never_fails_a_mandatory_policy_on_unknowns():
    from policy.policies import POLICIES
    by_name = {p.name: p for p in POLICIES}
    reports = []
    report = lambda message, urn=None: reports.append(message)  # noqa: E731
    pinned = dict(pinned_vpn().props)
    by_name["ike-pinned"].validate(engine_args(VPN, pinned), report)
    assert reports == []  # lists behind the proxy compare as lists
    by_name["ike-pinned"].validate(engine_args(VPN, {**pinned, "tunnel1IkeVersions": ["ikev1"]}), report)
    assert reports and "IKE versions" in reports[0]
    reports.clear()
    with pytest.raises(UnknownValueError) as raised:  # pulumi-policy turns it into an advisory
        by_name["ike-pinned"].validate(engine_args(VPN, {**pinned, "tunnel1IkeVersions": UNKNOWN_STRING_VALUE}),
                                       report)
    assert raised.value.message.startswith("could not check at preview: tunnel1IkeVersions is unknown")
    assert reports == []
    by_name["split-tunnel-egress"].validate(
        engine_args("aws:ec2clientvpn/endpoint:Endpoint", {"splitTunnel": UNKNOWN_STRING_VALUE}), report)
    assert reports == ["could not check at preview: splitTunnel is unknown until the resource it comes from exists"]


def test_pack_stack_policy_names_the_resource_an_unknown_comes_from():
    from policy.policies import POLICIES
    policy = next(p for p in POLICIES if p.name == "prod-four-tunnels")
    pulumi.runtime.reset_options(project="multicloud-vpn", stack="prod")
    vpn = SimpleNamespace(resource_type=VPN)
    gateway = SimpleNamespace(resource_type="gcp:compute/externalVpnGateway:ExternalVpnGateway", name="peer",
                              props=unknown_checking_proxy({"redundancyType": UNKNOWN_STRING_VALUE}),
                              opts=SimpleNamespace(protect=False),
                              property_dependencies={"redundancyType": [vpn]})
    tunnels = [SimpleNamespace(resource_type="gcp:compute/vPNTunnel:VPNTunnel", name=f"t{i}",
                               props=unknown_checking_proxy({}), opts=SimpleNamespace(protect=False))
               for i in range(4)]
    with pytest.raises(UnknownValueError) as raised:
        policy.validate(SimpleNamespace(resources=[gateway, *tunnels]), lambda message, urn=None: None)
    assert raised.value.message == (
        f"could not check at preview: redundancyType is unknown until {VPN} exists")
