"""Every setting that is accepted but would do nothing in the chosen combination: refused with one
error naming the key, or one warning line. The catalogue below is the list; add to it with each
new combination."""

import copy

import pytest

from components.planning.errors import SettingsError
from components.planning.settings import load_settings
from tests.harness import ROOT_DIR, stack_config, to_pulumi_config

CVPN = "multicloud-vpn:clientVpn"
GROUP = "906754a0e1-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
CERTS = {"authentication": "certificate", "clientCertificates": ["alice"], "samlMetadataFile": None}
DEV_SAML = "saml/examples/dev-client-vpn-idp-metadata.xml"
PORTAL_SAML = "saml/examples/prod-self-service-idp-metadata.xml"


def load(stack="dev", **sections):
    config = copy.deepcopy(stack_config(stack))
    for name, fields in sections.items():
        target = config.setdefault(f"multicloud-vpn:{name}", {})
        for key, value in fields.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return load_settings(to_pulumi_config(config), ROOT_DIR)


REFUSED = [
    ("split destinations in full tunnel", {"clientVpn": {"splitTunnelDestinations": ["203.0.113.0/24"]}},
     f"{CVPN}.splitTunnelDestinations"),
    ("SAML metadata with certificate sign-in", {"clientVpn": {**CERTS, "samlMetadataFile": DEV_SAML}},
     f"{CVPN}.samlMetadataFile"),
    ("a portal without SAML", {"clientVpn": {**CERTS, "selfServiceSamlMetadataFile": PORTAL_SAML}},
     f"{CVPN}.selfServiceSamlMetadataFile"),
    ("certificates with SAML alone", {"clientVpn": {"clientCertificates": ["alice"]}}, f"{CVPN}.clientCertificates"),
    ("certificate validity with SAML alone", {"clientVpn": {"clientCertificateDays": 90}},
     f"{CVPN}.clientCertificateDays"),
    ("revocations with SAML alone", {"clientVpn": {"revokedClientCertificates": [{"name": "b", "serial": "1"}]}},
     f"{CVPN}.revokedClientCertificates"),
    ("groups without SAML", {"clientVpn": {**CERTS, "authorization": [{"cidr": "10.10.0.0/16", "groups": [GROUP]}]}},
     f"{CVPN}.authorization"),
    ("a rule for a range split tunnel does not route",
     {"clientVpn": {"splitTunnel": True, "authorization": [{"cidr": "192.168.9.0/24", "allUsers": True}]}},
     f"{CVPN}.authorization[0].cidr"),
    ("both authorization forms", {"clientVpn": {"authorization": [{"cidr": "10.10.0.0/16", "allUsers": True}],
                                                "accessGroups": [{"groupId": GROUP}]}}, f"{CVPN}.accessGroups"),
    ("0.0.0.0/0 as a split destination", {"clientVpn": {"splitTunnel": True, "splitTunnelDestinations": ["0.0.0.0/0"]}},
     f"{CVPN}.splitTunnelDestinations"),
    ("an existing VPC with a range of the program's", {"network": {"existingVpc": {
        "vpcId": "vpc-0123456789abcdef0", "cidr": "10.50.0.0/16", "privateSubnetIds": ["subnet-0123456789abcdef0"],
        "routeTableIds": ["rtb-0123456789abcdef0"], "natGatewayId": "nat-0123456789abcdef0"}}},
     "multicloud-vpn:network.vpcCidr"),
    ("an existing address with a NAT gateway per zone", {"network": {
        "natGateways": "perZone", "egress": {"eipAllocationId": "eipalloc-0123456789abcdef0"}}},
     "multicloud-vpn:network.egress.eipAllocationId"),
]


@pytest.mark.parametrize("case,sections,key", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused(case, sections, key):
    with pytest.raises(SettingsError) as caught:
        load(**sections)
    assert str(caught.value).startswith(key + ":"), caught.value


WARNED = [
    ("split tunnel leaves the internet to users' own connections", {"clientVpn": {"splitTunnel": True}},
     f"{CVPN}.splitTunnel: internet traffic leaves from each user's own connection"),
    ("public split destinations still leave from the Elastic IP",
     {"clientVpn": {"splitTunnel": True, "splitTunnelDestinations": ["52.219.0.0/16", "10.200.0.0/24"]}},
     f"{CVPN}.splitTunnelDestinations: 52.219.0.0/16 are public"),
    ("a switched-off endpoint's settings", {"clientVpn": {"enabled": False}},
     f"{CVPN}.enabled: false: the other clientVpn settings are checked and build nothing"),
    ("example SAML metadata", {}, f"{CVPN}: saml/examples/dev-client-vpn-idp-metadata.xml is example metadata"),
]


@pytest.mark.parametrize("case,sections,start", WARNED, ids=[c[0] for c in WARNED])
def test_warned_in_one_line(case, sections, start):
    warnings = load(**sections).warnings
    matching = [w for w in warnings if w.startswith(start)]
    assert len(matching) == 1 and "\n" not in matching[0], warnings


def test_a_plain_full_tunnel_stack_draws_no_client_vpn_notice_but_the_example_metadata():
    assert [w for w in load().warnings if w.startswith(CVPN)] == [WARNED[-1][2] + ": IAM would trust a throwaway "
                                                                  "signing key; download your IAM Identity Center "
                                                                  "application's metadata instead"]
