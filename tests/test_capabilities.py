"""Each capability on its own: remote access without GCP, a site-to-site VPN without a VPC."""

import pytest

from components.planning.errors import SettingsError
from components.planning.settings import load_settings
from tests.harness import ROOT_DIR, run_program, stack_config, to_pulumi_config
from tests.stacks import ENDPOINT, NAT, TGW, TGW_RT, TGW_VPC_ATTACHMENT, VPC, config_for

REMOTE = ROOT_DIR / "examples" / "Pulumi.remote-access.yaml"
SITE = ROOT_DIR / "examples" / "Pulumi.site-to-site.yaml"


@pytest.fixture(scope="module")
def remote():
    return run_program(stack_config(str(REMOTE)), stack="remote-access")


@pytest.fixture(scope="module")
def site():
    return run_program(stack_config(str(SITE)), stack="site-to-site")


def test_remote_access_alone_creates_no_gcp_resource_and_no_gcp_provider(remote):
    assert not [r for r in remote.resources if r.type.startswith("gcp:") or r.type == "pulumi:providers:gcp"]
    assert remote.count(VPC) == 1 and remote.count(NAT) == 1 and remote.count(ENDPOINT) == 1
    assert not remote.of_type(TGW) and not remote.of_type(TGW_VPC_ATTACHMENT)
    assert remote.output("egressIps") and "transitGatewayId" not in remote.outputs


def test_remote_access_alone_needs_no_gcp_keys():
    config = stack_config(str(REMOTE))
    assert not any(k.startswith("gcp:") for k in config)
    assert load_settings(to_pulumi_config(config), ROOT_DIR).site_to_site is None


def test_site_to_site_alone_creates_no_vpc_nat_or_elastic_ip_and_joins_the_existing_table(site):
    for kind in (VPC, NAT, "aws:ec2/eip:Eip", ENDPOINT, TGW, TGW_RT):
        assert not site.of_type(kind), kind
    assert site.output("transitGatewayId") == "tgw-0123456789abcdef0"
    assert "egressIps" not in site.outputs and site.count("gcp:compute/vPNTunnel:VPNTunnel") == 2


def error(config) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    return str(caught.value)


def without(config, *keys):
    return {k: v for k, v in config.items() if k not in keys}


def test_a_stack_that_enables_nothing_is_refused():
    config = without(stack_config(str(REMOTE)), "multicloud-vpn:clientVpn")
    assert error(config).startswith("multicloud-vpn:siteToSite: a missing value is not accepted; the stack "
                                    "enables nothing")


@pytest.mark.parametrize("extra, key", [
    ({"multicloud-vpn:gcpHub": {"subnets": [{"name": "h", "cidr": "10.1.0.0/20"}]}}, "multicloud-vpn:gcpHub"),
    ({"multicloud-vpn:offices": [{"name": "o", "publicIp": "153.120.10.10", "cidrs": ["192.168.1.0/24"]}]},
     "multicloud-vpn:offices"),
    ({"multicloud-vpn:dns": {"awsDomains": ["aws.example.internal"]}}, "multicloud-vpn:dns.awsDomains"),
])
def test_gcp_settings_without_the_site_to_site_vpn_are_refused(extra, key):
    config = {**stack_config(str(REMOTE)), **extra}
    message = error(config)
    assert message.startswith(key) and "it needs multicloud-vpn:siteToSite" in message, message


def test_remote_access_without_a_vpc_range_is_refused():
    config = without(config_for("dev"), "multicloud-vpn:network")
    assert error(config).startswith("multicloud-vpn:network.vpcCidr: a missing value")


def test_dns_towards_aws_without_the_programs_vpc_is_refused():
    config = stack_config(str(SITE))
    config["multicloud-vpn:dns"] = {"awsDomains": ["aws.example.internal"]}
    assert "Route 53 Resolver endpoints" in error(config)


def test_a_prod_stack_without_site_to_site_is_not_held_to_the_four_tunnel_layout():
    from offline.summary import views
    from policy.rules import run_rules
    d = run_program(stack_config(str(REMOTE)), stack="prod-remote")
    assert not [v for v in run_rules(views(d), "prod-remote") if v.policy == "prod-four-tunnels"]
