"""What the engine and the providers do that plain mocks hide: provider settings, stable zones,
replacements that can succeed, and addresses known before anything exists."""

import json

import pytest

from components.planning.names import gcp_label_value
from tests.harness import run_program
from tests.stacks import AWS_SUBNET, NAT, PEER, ROUTER_IF, VPN, config_for, deploy
from tests.test_settings import assert_names_key

AZ_CALL = "aws:index/getAvailabilityZones:getAvailabilityZones"


def provider(d, kind):
    return next(r for r in d.resources if r.type == f"pulumi:providers:{kind}")


def evaluate(stack="dev", extra=None, sections=None, **mock_options):
    config = config_for(stack, sections)
    config.update(extra or {})
    return run_program(config, stack=stack, **mock_options)


def settings_error(extra, sections=None) -> str:
    with pytest.raises(Exception) as caught:
        evaluate(extra=extra, sections=sections)
    return str(caught.value).split("invalid stack setting: ", 1)[-1]


# ----------------------------------------------------------------------- provider settings
def test_the_stacks_aws_profile_and_assumed_role_reach_the_provider():
    d = evaluate(extra={
        "aws:profile": "network-admin",
        "aws:allowedAccountIds": ["123456789012"],
        "aws:assumeRoles": [{"roleArn": "arn:aws:iam::123456789012:role/deployer",
                             "sessionName": "pulumi", "externalId": "x-1", "duration": "1h"}],
    })
    aws = provider(d, "aws").inputs
    assert aws["profile"] == "network-admin"
    assert json.loads(aws["allowedAccountIds"]) == ["123456789012"]
    assert json.loads(aws["assumeRoles"]) == [{"roleArn": "arn:aws:iam::123456789012:role/deployer",
                                               "sessionName": "pulumi", "externalId": "x-1",
                                               "duration": "1h"}]


def test_gcp_impersonation_and_secret_credentials_reach_the_provider():
    d = evaluate(extra={"gcp:impersonateServiceAccount": "deployer@p.iam.gserviceaccount.com",
                        "gcp:credentials": "{\"type\": \"service_account\"}"})
    gcp = provider(d, "gcp").inputs
    assert gcp["impersonateServiceAccount"] == "deployer@p.iam.gserviceaccount.com"
    assert "credentials" in gcp


@pytest.mark.parametrize("extra, key, fragment", [
    ({"aws:assumeRole": {"roleArn": "arn:aws:iam::123456789012:role/x"}}, "aws:assumeRole",
     "aws:assumeRoles"),
    ({"aws:skipCredentialsValidation": "true"}, "aws:skipCredentialsValidation", "would be ignored"),
    ({"gcp:zone": "asia-northeast1-a"}, "gcp:zone", "gcp:impersonateServiceAccount"),
    ({"aws:allowedAccountIds": ["12345"]}, "aws:allowedAccountIds[0]", "12-digit"),
    ({"aws:allowedAccountIds": ["123456789012"], "aws:forbiddenAccountIds": ["210987654321"]},
     "aws:forbiddenAccountIds", "not both"),
    ({"aws:assumeRoles": [{"roleArn": "deployer"}]}, "aws:assumeRoles[0].roleArn", "IAM role ARN"),
    ({"aws:assumeRoles": [{"roleArn": "arn:aws:iam::123456789012:role/x", "sesionName": "a"}]},
     "aws:assumeRoles[0].sesionName", "unknown setting"),
    ({"aws:accessKey": "AKIA0000"}, "aws:secretKey", "go together"),
])
def test_provider_settings_that_cannot_work_are_refused(extra, key, fragment):
    assert_names_key(settings_error(extra), key, fragment)


def test_gcp_label_values_are_sanitised_for_any_stack_name():
    d = run_program(config_for("dev"), stack="Team.Dev")
    labels = json.loads(provider(d, "gcp").inputs["defaultLabels"])
    assert labels["stack"] == gcp_label_value("Team.Dev") and labels["stack"].startswith("team-dev-")
    assert gcp_label_value("team.dev") != gcp_label_value("team-dev")
    assert gcp_label_value("dev") == "dev"


# ------------------------------------------------------------------------------------ zones
def test_zone_lookup_has_no_state_filter_and_subnets_ignore_later_changes():
    d = deploy("prod")
    args = next(a for token, a in d.calls if token == AZ_CALL)
    assert "state" not in args
    for subnet in d.of_type(AWS_SUBNET):
        assert subnet.options["ignore_changes"] == ["availabilityZone"], subnet.name


def test_explicit_zones_place_subnets_by_position():
    d = deploy("prod", sections={"network": {"zones": ["ap-northeast-1c", "ap-northeast-1d"]}})
    zones = {s.name: s.get("availabilityZone") for s in d.of_type(AWS_SUBNET)}
    assert zones == {"aws-network-public-0": "ap-northeast-1c", "aws-network-public-1": "ap-northeast-1d",
                     "aws-network-private-0": "ap-northeast-1c", "aws-network-private-1": "ap-northeast-1d"}
    assert not any(token == AZ_CALL for token, _ in d.calls)
    assert all(not s.options["ignore_changes"] for s in d.of_type(AWS_SUBNET))


@pytest.mark.parametrize("zones, key, fragment", [
    (["ap-northeast-1a"], "zones", "at least 2 zones"),
    (["us-east-1a", "us-east-1b"], "zones[0]", "aws:region ap-northeast-1"),
    (["ap-northeast-1a", "ap-northeast-1a"], "zones[1]", "listed twice"),
    (["tokyo-a", "b"], "zones[0]", "zone name"),
])
def test_bad_zone_lists_name_the_key(zones, key, fragment):
    assert_names_key(settings_error({}, {"network": {"zones": zones}}),
                     f"multicloud-vpn:network.{key}", fragment)


def test_more_zones_than_the_region_has_is_one_clear_error():
    with pytest.raises(Exception, match=r"availabilityZones: 3 needs 3 zones and the region has 2"):
        evaluate("prod", sections={"network": {"availabilityZones": 3}},
                 availability_zones=("ap-northeast-1a", "ap-northeast-1c"))


# ------------------------------------------------------------------------------- replacements
def test_nat_gateways_release_the_protected_address_before_replacement():
    for nat in deploy("prod", sections={"network": {"natGateways": "perZone"}}).of_type(NAT):
        assert nat.options["delete_before_replace"], nat.name


# ----------------------------------------------------------------- addresses known up front
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_bgp_addresses_come_from_the_plan_and_match_what_aws_assigns(stack):
    d = deploy(stack)
    vpns = {v.name: v for v in d.of_type(VPN)}
    for peer in d.of_type(PEER):
        key = peer.name.removeprefix("site-to-site-bgp-peer-")          # c0-t1
        c, t = key[1], key[-1]
        state = vpns[f"site-to-site-vpn-c{c}"].state
        interface = d.named(ROUTER_IF, f"site-to-site-bgp-if-{key}")
        # Plain inputs (not outputs of the VPN connection) and equal to what AWS reports.
        assert not interface.options["property_dependencies"] or all(
            "VpnConnection" not in u for u in interface.options["property_dependencies"])
        assert interface.get("ipRange") == f"{state[f'tunnel{t}CgwInsideAddress']}/30"
        assert peer.get("peerIpAddress") == state[f"tunnel{t}VgwInsideAddress"]
        assert peer.get("ipAddress") == state[f"tunnel{t}CgwInsideAddress"]
