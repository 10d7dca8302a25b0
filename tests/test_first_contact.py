"""What a new user writes first: misspelt keys and unknown regions stop the run with one line."""

import copy

import pytest

from components.planning.errors import SettingsError
from components.planning.regions import known_regions
from components.planning.settings import load_settings
from tests.harness import ROOT_DIR, stack_config, to_pulumi_config
from tests.test_settings import assert_names_key


def error_with(change) -> str:
    config = copy.deepcopy(stack_config("dev"))
    change(config)
    with pytest.raises(SettingsError) as caught:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    return str(caught.value)


def test_a_misspelt_top_level_key_is_refused_with_the_nearest_known_one():
    message = error_with(lambda c: c.update({"multicloud-vpn:clientVPN": {"enabled": True}}))
    assert_names_key(message, "multicloud-vpn:clientVPN", "did you mean multicloud-vpn:clientVpn?")


def test_an_unknown_top_level_key_lists_the_known_ones():
    message = error_with(lambda c: c.update({"multicloud-vpn:somethingElse": 1}))
    assert_names_key(message, "multicloud-vpn:somethingElse",
                     "known settings: multicloud-vpn:audit, multicloud-vpn:clientVpn")


def test_nested_typos_suggest_the_nearest_field():
    message = error_with(lambda c: c["multicloud-vpn:siteToSite"].update({"tunelsPerConnection": 2}))
    assert_names_key(message, "multicloud-vpn:siteToSite.tunelsPerConnection",
                     "did you mean tunnelsPerConnection?")


@pytest.mark.parametrize("key, value, near", [
    ("aws:region", "mars-north-1", None),
    ("aws:region", "ap-northeast1", "ap-northeast-1"),
    ("gcp:region", "mars-north1", None),
    ("gcp:region", "asia-northeast-1", "asia-northeast1"),
])
def test_unknown_provider_regions_are_refused(key, value, near):
    message = error_with(lambda c: c.update({key: value}))
    assert_names_key(message, key, "not a known")
    if near:
        assert f"did you mean {near}?" in message


@pytest.mark.parametrize("field", ["subnets", "spokes"])
def test_unknown_hub_and_spoke_regions_are_refused(field):
    def change(c):
        c["multicloud-vpn:gcpHub"][field][0]["region"] = "mars-north1"
    assert_names_key(error_with(change), f"multicloud-vpn:gcpHub.{field}[0].region", "not a known GCP region")


@pytest.mark.parametrize("split", [True, False])
def test_the_internet_is_never_a_split_tunnel_destination(split):
    def change(c):
        c["multicloud-vpn:clientVpn"].update(splitTunnel=split, splitTunnelDestinations=["0.0.0.0/0"])
    assert_names_key(error_with(change), "multicloud-vpn:clientVpn.splitTunnelDestinations", "full tunnel")


def test_the_region_file_holds_the_stacks_regions_and_no_duplicates():
    for cloud in ("aws", "gcp"):
        regions = known_regions(cloud)
        assert len(regions) == len(set(regions)) and list(regions) == sorted(regions)
    assert "ap-northeast-1" in known_regions("aws") and "asia-northeast2" in known_regions("gcp")


def test_one_run_reports_every_wrong_section_each_on_its_own_line():
    def change(c):
        c["multicloud-vpn:siteToSite"]["tunnelsPerConnection"] = 3
        c["multicloud-vpn:network"]["natGateways"] = "each"
        c["multicloud-vpn:dns"]["awsToGcp"] = "yes"
        c["aws:region"] = "mars-north-1"
    lines = error_with(change).splitlines()
    assert len(lines) == 4
    keys = [line.split(" is not accepted")[0].rsplit(":", 1)[0] for line in lines]
    assert keys == ["aws:region", "multicloud-vpn:siteToSite.tunnelsPerConnection",
                    "multicloud-vpn:network.natGateways", "multicloud-vpn:dns.awsToGcp"]


def test_the_program_prints_each_error_on_its_own_line():
    from tests.harness import run_program
    from tests.stacks import config_for
    config = config_for("dev", {"network": {"natGateways": "each"}}, tunnelsPerConnection=3)
    with pytest.raises(Exception) as caught:
        run_program(config, stack="dev")
    lines = [line for line in str(caught.value).splitlines() if line.startswith("invalid stack setting")]
    assert len(lines) == 2
    assert "siteToSite.tunnelsPerConnection" in lines[0] and "network.natGateways" in lines[1]
