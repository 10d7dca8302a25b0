"""Every bad value a user can write ends in one SettingsError that names the key."""

import copy
import json

import pytest

from components.planning.errors import SettingsError
from components.planning.settings import load_settings
from tests.harness import stack_config, to_pulumi_config


def settings_with(**changes):
    """Dev's stack config with `siteToSite`/`gcpHub` fields replaced (None removes a field)."""
    config = copy.deepcopy(stack_config("dev"))
    for dotted, value in changes.items():
        section, _, field = dotted.partition("__")
        target = config.setdefault(f"multicloud-vpn:{section}", {})
        if value is None:
            target.pop(field, None)
        else:
            target[field] = value
    return load_settings(to_pulumi_config(config))


def error_for(**changes) -> str:
    with pytest.raises(SettingsError) as caught:
        settings_with(**changes)
    return str(caught.value)


def test_stack_files_parse():
    for stack in ("dev", "prod"):
        settings = load_settings(to_pulumi_config(stack_config(stack)))
        assert settings.gcp_region == "asia-northeast1"
    dev = load_settings(to_pulumi_config(stack_config("dev"))).site_to_site
    assert (dev.connections, dev.tunnels_per_connection) == (1, 1)
    prod = load_settings(to_pulumi_config(stack_config("prod"))).site_to_site
    assert (prod.connections, prod.tunnels_per_connection) == (2, 2)


def test_defaults():
    s = settings_with(siteToSite__awsAsn=None, siteToSite__gcpAsn=None).site_to_site
    assert (s.aws_asn, s.gcp_asn) == (64512, 65000)
    assert s.ike_profile.name == "aes256-sha256-ecp384"
    assert s.inside_cidrs == ("169.254.10.0/30", "169.254.10.4/30")
    assert s.transit_gateway_id is None


@pytest.mark.parametrize("changes,key,fragment", [
    ({"siteToSite__tunnelsPerConnection": 3}, "multicloud-vpn:siteToSite.tunnelsPerConnection",
     "accepted values: 1, 2"),
    ({"siteToSite__connections": 4}, "multicloud-vpn:siteToSite.connections", "accepted values: 1, 2"),
    ({"siteToSite__connections": "2"}, "multicloud-vpn:siteToSite.connections", "'2'"),
    ({"siteToSite__connections": True}, "multicloud-vpn:siteToSite.connections", "True"),
    ({"siteToSite__connections": None}, "multicloud-vpn:siteToSite.connections", "required"),
    ({"siteToSite__awsAsn": 65535}, "multicloud-vpn:siteToSite.awsAsn", "64512-65534"),
    ({"siteToSite__awsAsn": 7224}, "multicloud-vpn:siteToSite.awsAsn", "private ASN"),
    ({"siteToSite__gcpAsn": 4294967295}, "multicloud-vpn:siteToSite.gcpAsn", "4200000000-4294967294"),
    ({"siteToSite__gcpAsn": "65000"}, "multicloud-vpn:siteToSite.gcpAsn", "expected an integer"),
    ({"siteToSite__gcpAsn": 64512, "siteToSite__awsAsn": 64512}, "multicloud-vpn:siteToSite.gcpAsn",
     "must differ from multicloud-vpn:siteToSite.awsAsn"),
    ({"siteToSite__insideCidrs": ["169.254.10.0/29", "169.254.10.8/30"]},
     "multicloud-vpn:siteToSite.insideCidrs[0]", "a /30 inside 169.254.0.0/16"),
    ({"siteToSite__insideCidrs": ["10.0.0.0/30", "169.254.10.8/30"]},
     "multicloud-vpn:siteToSite.insideCidrs[0]", "a /30 inside 169.254.0.0/16"),
    ({"siteToSite__insideCidrs": ["169.254.2.0/30", "169.254.10.8/30"]},
     "multicloud-vpn:siteToSite.insideCidrs[0]", "not one AWS reserves"),
    ({"siteToSite__insideCidrs": ["169.254.10.0/30", "169.254.169.252/30"]},
     "multicloud-vpn:siteToSite.insideCidrs[1]", "not one AWS reserves"),
    ({"siteToSite__insideCidrs": ["169.254.10.4/30", "169.254.10.4/30"]},
     "multicloud-vpn:siteToSite.insideCidrs[1]", "repeats multicloud-vpn:siteToSite.insideCidrs[0]"),
    ({"siteToSite__insideCidrs": ["169.254.10.1/30", "169.254.10.8/30"]},
     "multicloud-vpn:siteToSite.insideCidrs[0]", "a /30"),
    ({"siteToSite__insideCidrs": ["169.254.10.0/30"]}, "multicloud-vpn:siteToSite.insideCidrs",
     "exactly 2 entries"),
    ({"siteToSite__insideCidrs": "169.254.10.0/30"}, "multicloud-vpn:siteToSite.insideCidrs",
     "expected a YAML list"),
    ({"siteToSite__insideCidrPool": "10.0.0.0/24"}, "multicloud-vpn:siteToSite.insideCidrPool",
     "inside 169.254.0.0/16"),
    ({"siteToSite__transitGatewayId": "vpc-123"}, "multicloud-vpn:siteToSite.transitGatewayId",
     "tgw-0123456789abcdef0"),
    ({"siteToSite__ikeProfile": "aes128-sha1"}, "multicloud-vpn:siteToSite.ikeProfile",
     "'aes256-sha256-ecp384'"),
    ({"siteToSite__advertisedRoutePriority": 70000},
     "multicloud-vpn:siteToSite.advertisedRoutePriority", "0-65535"),
    ({"siteToSite__tunnelPerConnection": 2}, "multicloud-vpn:siteToSite.tunnelPerConnection",
     "unknown setting"),
    ({"gcpHub__subnets": []}, "multicloud-vpn:gcpHub.subnets", "at least one subnet"),
    ({"gcpHub__subnets": [{"name": "Hub", "cidr": "10.0.0.0/20"}]},
     "multicloud-vpn:gcpHub.subnets[0].name", "GCP resource name"),
    ({"gcpHub__subnets": [{"name": "a", "cidr": "10.0.0.0/20"}, {"name": "b", "cidr": "10.0.8.0/21"}]},
     "multicloud-vpn:gcpHub.subnets[1].cidr", "overlaps multicloud-vpn:gcpHub.subnets[0].cidr"),
    ({"gcpHub__subnets": [{"name": "a", "cidr": "8.8.0.0/20"}]},
     "multicloud-vpn:gcpHub.subnets[0].cidr", "private IPv4 CIDR"),
    ({"gcpHub__subnets": [{"name": "a"}]}, "multicloud-vpn:gcpHub.subnets[0].cidr", "required"),
])
def test_bad_values_name_the_key(changes, key, fragment):
    message = error_for(**changes)
    assert message.startswith(key + ":"), message
    assert fragment in message, message


def test_missing_sections_and_provider_settings():
    config = to_pulumi_config(stack_config("dev"))
    for key in ("multicloud-vpn:siteToSite", "multicloud-vpn:gcpHub", "gcp:project", "aws:region"):
        broken = {k: v for k, v in config.items() if k != key}
        with pytest.raises(SettingsError, match=f"^{key}: a missing value"):
            load_settings(broken)


def test_wrong_shape_of_a_section():
    config = to_pulumi_config(stack_config("dev"))
    config["multicloud-vpn:siteToSite"] = json.dumps([1, 1])
    with pytest.raises(SettingsError, match=r"^multicloud-vpn:siteToSite: \[1, 1\].*YAML object"):
        load_settings(config)
    config["multicloud-vpn:siteToSite"] = "connections=1"
    with pytest.raises(SettingsError, match=r"^multicloud-vpn:siteToSite: 'connections=1'"):
        load_settings(config)
