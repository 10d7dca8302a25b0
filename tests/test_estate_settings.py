"""Settings of the estate the program joins: existing spokes, attached VPCs, offices."""

import copy

import pytest

from components.planning.errors import SettingsError
from components.planning.settings import load_settings
from tests.estate import ATTACHED_VPC, EXISTING_SPOKE, OFFICES, estate_config
from tests.harness import ROOT_DIR, stack_config, to_pulumi_config
from tests.test_settings import assert_names_key


def load(config):
    return load_settings(to_pulumi_config(config), ROOT_DIR)


def error(change) -> str:
    config = estate_config(stack_config("prod"))
    change(config)
    with pytest.raises(SettingsError) as caught:
        load(config)
    return str(caught.value)


def test_the_estate_parses():
    s = load(estate_config(stack_config("prod")))
    spoke = s.gcp_hub.spokes[-1]
    assert spoke.existing and spoke.project == "erp-team-prod" and spoke.network == "erp-vpc"
    assert "10.103.16.0/20" in s.gcp_ranges and "10.103.0.0/20" in s.advertised_ranges
    assert s.network.attached_vpcs[0].vpc_id == ATTACHED_VPC["vpcId"]
    bgp, static = s.offices
    assert bgp.bgp_asn == 65010 and not bgp.static and static.static and static.customer_gateway_asn == 65534
    used = {*s.site_to_site.inside_cidrs, *bgp.inside_cidrs, *static.inside_cidrs}
    assert len(used) == 8
    assert "192.168.21.0/24" in s.aws_routes_to_gcp and "10.20.0.0/16" in s.aws_routes_to_gcp


def test_office_inside_cidrs_do_not_move_when_the_layout_grows():
    dev = estate_config(stack_config("dev"))
    grown = copy.deepcopy(dev)
    grown["multicloud-vpn:siteToSite"].update(connections=2, tunnelsPerConnection=2)
    assert [o.inside_cidrs for o in load(dev).offices] == [o.inside_cidrs for o in load(grown).offices]


def test_the_existing_spokes_project_defaults_to_gcp_project():
    config = estate_config(stack_config("prod"))
    del config["multicloud-vpn:gcpHub"]["spokes"][-1]["project"]
    assert load(config).gcp_hub.spokes[-1].project == "example-network-prod"


def _set(path, value):
    def change(config):
        target = config
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


HUB, NET, OFF = "multicloud-vpn:gcpHub", "multicloud-vpn:network", "multicloud-vpn:offices"


@pytest.mark.parametrize("path, value, key, fragment", [
    ((OFF, 0, "cidrs"), ["10.0.5.0/24"], "multicloud-vpn:offices[0].cidrs", "overlaps multicloud-vpn:network.vpcCidr"),
    ((OFF, 1, "cidrs"), ["192.168.10.0/25"], "multicloud-vpn:offices", "overlap"),
    ((OFF, 0, "publicIp"), "10.1.2.3", "multicloud-vpn:offices[0].publicIp", "public IPv4"),
    ((OFF, 0, "publicIp"), "office.example.com", "multicloud-vpn:offices[0].publicIp", "public IPv4"),
    ((OFF, 0, "bgpAsn"), 64512, "multicloud-vpn:offices[0].bgpAsn", "awsAsn"),
    ((OFF, 0, "bgpAsn"), 65000, "multicloud-vpn:offices[0].bgpAsn", "gcpAsn"),
    ((OFF, 0, "bgpAsn"), 123, "multicloud-vpn:offices[0].bgpAsn", "private ASN"),
    ((OFF, 1, "name"), "tokyo-office", "multicloud-vpn:offices[1].name", "unique"),
    ((NET, "attachedVpcs", 0, "vpcId"), "vpc-xyz", "multicloud-vpn:network.attachedVpcs[0].vpcId", "vpc-"),
    ((NET, "attachedVpcs", 0, "subnetIds"), ["sub-1"], "multicloud-vpn:network.attachedVpcs[0].subnetIds[0]",
     "subnet-"),
    ((NET, "attachedVpcs", 0, "routeTableIds"), ["rtb-1"],
     "multicloud-vpn:network.attachedVpcs[0].routeTableIds[0]", "rtb-"),
    ((NET, "attachedVpcs", 0, "cidrs"), ["10.100.0.0/24"], "multicloud-vpn:network.attachedVpcs[0].cidrs",
     "overlaps multicloud-vpn:gcpHub.subnets[0].cidr"),
    ((HUB, "spokes", 2, "project"), "Bad_Project", "multicloud-vpn:gcpHub.spokes[2].project", "project id"),
    ((HUB, "spokes", 2, "cidrs"), [], "multicloud-vpn:gcpHub.spokes[2].cidrs", "at least one"),
    ((HUB, "spokes", 2, "name"), "spoke-prod-apps", "multicloud-vpn:gcpHub.spokes[2].name", "unique"),
])
def test_bad_estate_values_name_the_key(path, value, key, fragment):
    message = error(_set(path, value))
    assert message.startswith(key), message
    assert fragment in message, message


def test_an_existing_spoke_without_cidrs_is_refused():
    spoke = {k: v for k, v in EXISTING_SPOKE.items() if k != "cidrs"}
    message = error(_set((HUB, "spokes", 2), spoke))
    assert_names_key(message, "multicloud-vpn:gcpHub.spokes[2].cidrs", "at least one")


def test_offices_is_a_list():
    assert_names_key(error(_set((OFF,), {"name": "x"})), OFF, "YAML list")


def test_offices_are_optional_and_listed_in_order():
    assert load(stack_config("prod")).offices == ()
    assert [o.name for o in load(estate_config(stack_config("prod"))).offices] == [o["name"] for o in OFFICES]
