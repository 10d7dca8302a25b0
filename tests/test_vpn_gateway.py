"""Terminating a one-connection layout on a virtual private gateway (`siteToSite.termination:
vpnGateway`) instead of the Transit Gateway."""

import copy

import pytest

from components.planning.errors import SettingsError
from components.planning.settings import load_settings
from offline.summary import describe, views
from policy.rules import run_rules
from tests.harness import ROOT_DIR, stack_config, to_pulumi_config
from tests.stacks import TGW, TGW_RT, TGW_VPC_ATTACHMENT, VPN, deploy
from tests.test_settings import assert_names_key

VGW = "aws:ec2/vpnGateway:VpnGateway"
VGW_ATTACH = "aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment"
AWS_ROUTE = "aws:ec2/route:Route"
KEY = "multicloud-vpn:siteToSite.termination"
ON_VGW = {"siteToSite": {"termination": "vpnGateway"}}


@pytest.fixture(scope="module")
def d():
    return deploy("dev", sections=ON_VGW)


def settings_error(**sections) -> str:
    """The error for dev on a virtual private gateway with `sections` merged in (a list replaces)."""
    config = copy.deepcopy(stack_config("dev"))
    config["multicloud-vpn:siteToSite"]["termination"] = "vpnGateway"
    for name, fields in sections.items():
        if isinstance(fields, list):
            config[f"multicloud-vpn:{name}"] = fields
        else:
            config.setdefault(f"multicloud-vpn:{name}", {}).update(fields)
    with pytest.raises(SettingsError) as caught:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    return str(caught.value)


def test_the_default_is_the_transit_gateway():
    for stack in ("dev", "prod"):
        assert load_settings(to_pulumi_config(stack_config(stack)), ROOT_DIR).site_to_site.on_transit_gateway


def test_a_bad_value_names_the_key():
    config = copy.deepcopy(stack_config("dev"))
    config["multicloud-vpn:siteToSite"]["termination"] = "vgw"
    with pytest.raises(SettingsError) as caught:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    assert_names_key(str(caught.value), KEY, "accepted values: 'transitGateway', 'vpnGateway'")


@pytest.mark.parametrize("sections,fragment", [
    ({"siteToSite": {"connections": 2}}, "siteToSite.connections is 2"),
    ({"siteToSite": {"transitGatewayId": "tgw-0123456789abcdef0"}}, "transitGatewayId"),
    ({"offices": [{"name": "tokyo", "publicIp": "153.120.10.10", "cidrs": ["192.168.10.0/24"]}]},
     "offices join the Transit Gateway"),
    ({"network": {"attachedVpcs": [{"name": "shared", "vpcId": "vpc-0123456789abcdef0",
                                    "subnetIds": ["subnet-0123456789abcdef0"],
                                    "routeTableIds": ["rtb-0123456789abcdef0"], "cidrs": ["10.60.0.0/16"]}]}},
     "network.attachedVpcs"),
])
def test_every_transit_gateway_need_is_refused_in_one_error(sections, fragment):
    message = settings_error(**sections)
    assert "\n" not in message
    assert_names_key(message, KEY, fragment)
    assert "Use transitGateway" in message


def test_several_conflicts_are_listed_in_the_same_error():
    message = settings_error(siteToSite={"connections": 2, "tunnelsPerConnection": 2,
                                         "transitGatewayId": "tgw-0123456789abcdef0"})
    assert "\n" not in message and "connections is 2" in message and "transitGatewayId" in message


def test_no_transit_gateway_and_the_connection_ends_on_the_vgw(d):
    assert not d.of_type(TGW) and not d.of_type(TGW_RT) and not d.of_type(TGW_VPC_ATTACHMENT)
    (vgw,) = d.of_type(VGW)
    assert vgw.get("amazonSideAsn") == "64512"
    (vpn,) = d.of_type(VPN)
    assert vpn.get("vpnGatewayId") == vgw.id and not vpn.get("transitGatewayId")
    assert vpn.get("staticRoutesOnly") is False  # BGP, as on the Transit Gateway
    assert d.output("vpnGatewayId") == vgw.id
    assert "transitGatewayId" not in d.outputs and "routeTableId" not in d.outputs


def test_the_vpc_attaches_and_routes_gcp_and_the_dns_source_to_it(d):
    (vgw,) = d.of_type(VGW)
    attachment = d.named(VGW_ATTACH, "aws-network-vgw-attachment")
    assert attachment.get("vpcId") == d.output("vpcId") and attachment.get("vpnGatewayId") == vgw.id
    routes = [r for r in d.of_type(AWS_ROUTE) if r.get("gatewayId") == vgw.id]
    destinations = {r.get("destinationCidrBlock") for r in routes}
    assert destinations == {"10.110.0.0/20", "10.111.0.0/20", "35.199.192.0/19"}
    assert len(routes) == 2 * len(destinations)  # both private route tables
    assert all(attachment.urn in r.options["dependencies"] for r in routes)


def test_priced_without_attachments_and_described_without_ecmp(d):
    summary = describe("dev", stack_config("dev"), d)
    items = {i["item"]: i for i in summary["cost"]["items"]}
    assert "Transit Gateway attachments (VPN + VPC)" not in items
    assert "Transit Gateway data processed" not in items
    assert items["AWS Site-to-Site VPN connections"]["quantity"] == 1
    assert summary["topology"]["termination"] == "vpnGateway"
    on_tgw = describe("dev", stack_config("dev"), deploy("dev"))
    assert on_tgw["cost"]["fixedMonthly"] - summary["cost"]["fixedMonthly"] == pytest.approx(2 * 0.07 * 730)
    two_tunnels = describe("dev", stack_config("dev"), deploy("dev", sections={"siteToSite": {
        "termination": "vpnGateway", "tunnelsPerConnection": 2}}))
    assert two_tunnels["topology"]["aggregateGbps"] == 1.25  # no ECMP: one tunnel carries the traffic


def test_policy_holds_and_the_tunnel_is_alarmed(d):
    assert not [v for v in run_rules(views(d), "dev") if v.level == "mandatory" and "site-to-site" in v.resource]
    alarms = [a for a in d.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.get("metricName") == "TunnelState"]
    assert [a.get("dimensions")["VpnId"] for a in alarms] == [d.of_type(VPN)[0].id]


def test_switching_termination_is_flagged_as_an_interruption(tmp_path, capsys):
    import json

    import yaml

    from offline.plan import main
    data = yaml.safe_load((ROOT_DIR / "Pulumi.dev.yaml").read_text())
    data["config"]["multicloud-vpn:siteToSite"]["termination"] = "vpnGateway"
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["dev", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    text = json.dumps(out["flags"])
    assert "site-to-site-vpn-c0" in text and "vpnGatewayId" in text
    assert out["after"]["topology"]["termination"] == "vpnGateway"
