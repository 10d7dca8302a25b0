"""Client VPN sign-in (SAML, certificates, both) and who may reach what, as AWS allows them."""

import copy

import pytest

from components.planning.client_vpn_plan import RulePlan, longest_match, plan_rules
from components.planning.errors import SettingsError
from components.planning.saml_metadata import metadata_problems
from components.planning.settings import load_settings
from tests.harness import ROOT_DIR, contains_secret, is_secret, run_program, stack_config, to_pulumi_config
from tests.idp import idp_metadata
from tests.stacks import ENDPOINT, RULE, SAML

CVPN = "multicloud-vpn:clientVpn"
ADMINS = "906754a0e1-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
OPS = "c4a8d4b8-1111-4222-8333-944455556666"
LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
CERT_ONLY = {"authentication": "certificate", "clientCertificates": ["alice", "laptop-07"]}


def config(stack="dev", remove=(), **fields):
    values = copy.deepcopy(stack_config(stack))
    section = values.setdefault(CVPN, {})
    for name in remove:
        section.pop(name, None)
    section.update(fields)
    return values


def settings(stack="dev", remove=(), **fields):
    return load_settings(to_pulumi_config(config(stack, remove, **fields)), ROOT_DIR)


def error(stack="dev", remove=(), **fields) -> str:
    with pytest.raises(SettingsError) as caught:
        settings(stack, remove, **fields)
    return str(caught.value)


@pytest.fixture(scope="module")
def cert_stack():
    return run_program(config("dev", remove=("samlMetadataFile",), **CERT_ONLY), stack="dev")


@pytest.fixture(scope="module")
def both_stack():
    return run_program(config("prod", authentication="saml+certificate", clientCertificates=["alice"],
                              remove=("selfServiceSamlMetadataFile",),
                              revokedClientCertificates=[{"name": "bob", "serial": "4711"}]), stack="prod")


# ------------------------------------------------------------------------------ authentication
def test_certificate_stack_signs_in_with_the_endpoint_ca(cert_stack):
    endpoint = cert_stack.of_type(ENDPOINT)[0]
    [option] = endpoint.get("authenticationOptions")
    assert option["type"] == "certificate-authentication"
    assert option["rootCertificateChainArn"] == endpoint.get("serverCertificateArn")
    assert not cert_stack.of_type(SAML)
    certs = {r.name: r for r in cert_stack.of_type(LOCALLY_SIGNED)}
    assert set(certs) == {"client-vpn-server-cert", "client-vpn-user-alice-cert", "client-vpn-user-laptop-07-cert"}
    alice = certs["client-vpn-user-alice-cert"]
    assert alice.get("allowedUses") == ["digital_signature", "key_encipherment", "client_auth"]
    assert alice.get("validityPeriodHours") == 365 * 24 and alice.get("earlyRenewalHours") == 30 * 24


def test_each_person_gets_a_secret_profile_with_their_key(cert_stack):
    profiles = cert_stack.outputs["clientProfiles"]
    assert is_secret(profiles)
    text = cert_stack.output("clientProfiles")["alice"]
    key = cert_stack.named("tls:index/privateKey:PrivateKey", "client-vpn-user-alice-key")
    assert "<cert>" in text and "<key>" in text
    assert cert_stack.output("clientProfiles")["alice"] != cert_stack.output("clientProfiles")["laptop-07"]
    assert "auth-federate" not in text
    assert key.state["privateKeyPem"] is not None
    assert "clientConfiguration" not in cert_stack.outputs


def test_no_key_or_profile_in_plain_outputs(cert_stack, both_stack):
    for deployment in (cert_stack, both_stack):
        for name, value in deployment.outputs.items():
            if name != "clientProfiles":
                assert not contains_secret(value) or name == "officeDeviceConfigurations", name
                assert "PRIVATE KEY" not in repr(value), name


def test_certificate_serials_and_ends_are_plain_outputs(cert_stack):
    listed = cert_stack.output("clientCertificates")
    cert = cert_stack.named(LOCALLY_SIGNED, "client-vpn-user-alice-cert")
    assert listed["alice"] == {"serial": cert.id, "expires": cert.state["validityEndTime"]}
    assert listed["alice"]["serial"].isdigit()
    assert cert_stack.output("revokedClientCertificates") == {}


def test_saml_and_certificate_together(both_stack):
    endpoint = both_stack.of_type(ENDPOINT)[0]
    types = [o["type"] for o in endpoint.get("authenticationOptions")]
    assert types == ["certificate-authentication", "federated-authentication"]
    text = both_stack.output("clientProfiles")["alice"]
    assert "auth-federate" in text and "<key>" in text
    assert both_stack.output("revokedClientCertificates") == {"bob": ["4711"]}
    assert endpoint.get("selfServicePortal") == "disabled"


def test_profiles_pin_the_server_name_and_keep_ipv6_in_the_full_tunnel(cert_stack):
    lines = cert_stack.output("clientProfiles")["alice"].splitlines()
    assert "verify-x509-name vpn.multicloud-vpn.internal name" in lines
    assert "route-ipv6 2000::/3" in lines


def test_split_tunnel_profiles_leave_ipv6_alone():
    d = run_program(config("dev", splitTunnel=True), stack="dev")
    assert "route-ipv6" not in d.output("clientConfiguration")


# ------------------------------------------------------------------------------ authorization
def test_mixed_authorization_evaluates_with_groups_and_everyone():
    rules = [{"cidr": "0.0.0.0/0", "allUsers": True}, {"cidr": "10.10.0.0/16", "groups": [ADMINS, OPS]},
             {"cidr": "10.110.0.0/20", "groups": [OPS]}]
    d = run_program(config("dev", authorization=rules), stack="dev")
    found = {(r.get("targetNetworkCidr"), r.get("accessGroupId"), r.get("authorizeAllGroups"))
             for r in d.of_type(RULE)}
    [dns] = d.of_type(ENDPOINT)[0].get("dnsServers")   # the endpoint's own DNS server stays open to all
    assert found == {("0.0.0.0/0", None, True), ("10.10.0.0/16", ADMINS, None), ("10.10.0.0/16", OPS, None),
                     ("10.110.0.0/20", OPS, None), (f"{dns}/32", None, True)}
    names = [r.name for r in d.of_type(RULE)]
    assert len(names) == len(set(names))


def test_dns_stays_open_to_everyone_by_longest_prefix():
    rules = plan_rules(False, "10.0.0.0/16", [], [], [("0.0.0.0/0", ()), ("10.0.0.0/16", (ADMINS,))],
                       dns_servers=["10.0.0.2"])
    assert longest_match(rules, "10.0.0.2/32") == [RulePlan("10.0.0.2/32", None)]
    # an every-user rule that already decides the resolver needs no /32
    open_rules = plan_rules(False, "10.0.0.0/16", [], [], None, dns_servers=["10.0.0.2"])
    assert open_rules == (RulePlan("0.0.0.0/0", None),)


def test_access_groups_shorthand_means_the_same_as_authorization():
    short = settings(accessGroups=[{"groupId": ADMINS}], splitTunnel=True).client_vpn.authorization
    assert [(r.cidr, r.groups) for r in short] == [("", (ADMINS,))]


@pytest.mark.parametrize("fields,key,fragment", [
    ({"authorization": [{"cidr": "10.10.0.0/16", "groups": ["Admins"]}]},
     f"{CVPN}.authorization[0].groups[0]", "IAM Identity Center > Groups"),
    ({"accessGroups": [{"groupId": "g-admins"}]}, f"{CVPN}.accessGroups[0].groupId", "not its display name"),
    ({"authorization": [{"cidr": "10.10.0.0/16"}]}, f"{CVPN}.authorization[0]", "exactly one of allUsers"),
    ({"authorization": [{"cidr": "10.10.0.0/16", "allUsers": True, "groups": [ADMINS]}]},
     f"{CVPN}.authorization[0]", "exactly one of"),
    ({"authorization": [{"cidr": "10.10.0.0/16", "allUsers": True}, {"cidr": "10.10.0.0/16", "allUsers": True}]},
     f"{CVPN}.authorization[1].cidr", "listed twice"),
    ({"authorization": [{"cidr": "10.10.0.0/16", "groups": [ADMINS, ADMINS]}]},
     f"{CVPN}.authorization[0].groups[1]", "listed twice"),
    ({"authorization": [{"cidr": "10.10.0.0/16", "allUsers": True}], "accessGroups": [{"groupId": ADMINS}]},
     f"{CVPN}.accessGroups", "not both"),
    ({"authorization": [{"cidr": "10.10.0.0/16", "allUsers": True, "users": True}]},
     f"{CVPN}.authorization[0].users", "unknown setting"),
    ({"splitTunnel": True, "authorization": [{"cidr": "192.168.0.0/24", "allUsers": True}]},
     f"{CVPN}.authorization[0].cidr", "does not route it"),
    ({"splitTunnel": True, "accessGroups": [{"groupId": ADMINS, "destinations": ["192.168.0.0/24"]}]},
     f"{CVPN}.accessGroups[0].destinations[0]", "does not route it"),
    ({"splitTunnelDestinations": ["203.0.113.0/24"]}, f"{CVPN}.splitTunnelDestinations", "full tunnel"),
])
def test_authorization_refusals(fields, key, fragment):
    message = error(**fields)
    assert message.startswith(key + ":") and fragment in message, message


# ------------------------------------------------------------------------------ refusals by combination
@pytest.mark.parametrize("remove,fields,key,fragment", [
    ((), {"authentication": "certificate", "clientCertificates": ["a"]}, f"{CVPN}.samlMetadataFile",
     "not used with"),
    (("samlMetadataFile",), {"authentication": "certificate", "clientCertificates": ["a"],
                             "selfServiceSamlMetadataFile": "saml/examples/prod-self-service-idp-metadata.xml"},
     f"{CVPN}.selfServiceSamlMetadataFile", "exists only with SAML"),
    (("samlMetadataFile",), {**CERT_ONLY, "accessGroups": [{"groupId": ADMINS}]}, f"{CVPN}.accessGroups",
     "groups come from SAML"),
    (("samlMetadataFile",), {**CERT_ONLY, "authorization": [{"cidr": "10.10.0.0/16", "groups": [ADMINS]}]},
     f"{CVPN}.authorization", "groups come from SAML"),
    (("samlMetadataFile",), {"authentication": "certificate"}, f"{CVPN}.clientCertificates", "at least one"),
    ((), {"clientCertificates": ["alice"]}, f"{CVPN}.clientCertificates", "not used with"),
    ((), {"clientCertificateDays": 90}, f"{CVPN}.clientCertificateDays", "not used with"),
    ((), {"revokedClientCertificates": [{"name": "bob", "serial": "1"}]}, f"{CVPN}.revokedClientCertificates",
     "not used with"),
    (("samlMetadataFile",), {**CERT_ONLY, "clientCertificateDays": 30}, f"{CVPN}.clientCertificateDays",
     "60 to 1095"),
    (("samlMetadataFile",), {**CERT_ONLY, "clientCertificates": ["Alice"]}, f"{CVPN}.clientCertificates[0]",
     "lower-case"),
    (("samlMetadataFile",), {**CERT_ONLY, "clientCertificates": ["a", "a"]}, f"{CVPN}.clientCertificates[1]",
     "listed twice"),
    (("samlMetadataFile",), {**CERT_ONLY, "revokedClientCertificates": [{"name": "alice", "serial": "1"},
                                                                         {"name": "bob", "serial": "1"}]},
     f"{CVPN}.revokedClientCertificates[1].serial", "listed twice"),
    (("samlMetadataFile",), {**CERT_ONLY, "revokedClientCertificates": [{"name": "bob", "serial": "0x1f"}]},
     f"{CVPN}.revokedClientCertificates[0].serial", "decimal serial"),
    ((), {"authentication": "ad"}, f"{CVPN}.authentication", "'saml', 'certificate', 'saml+certificate'"),
    (("samlMetadataFile",), {}, f"{CVPN}.samlMetadataFile", "required"),
])
def test_combination_refusals(remove, fields, key, fragment):
    message = error("dev", remove, **fields)
    assert message.startswith(key + ":") and fragment in message, message


def test_a_re_issued_certificate_revokes_its_old_serial_under_a_current_name():
    parsed = settings(remove=("samlMetadataFile",), **CERT_ONLY, revokedClientCertificates=[
        {"name": "alice", "serial": "11"}, {"name": "alice", "serial": "12"}]).client_vpn
    assert parsed.revoked_serials == {"alice": ["11", "12"]}


def test_revoked_serial_may_be_a_yaml_number():
    parsed = settings(remove=("samlMetadataFile",), **CERT_ONLY,
                      revokedClientCertificates=[{"name": "bob", "serial": 4711}]).client_vpn
    assert parsed.revoked_client_certificates[0].serial == "4711"


# ------------------------------------------------------------------------------ SAML metadata trust
def _metadata(tmp_path, *, days: int):
    path = tmp_path / f"idp-{days}.xml"
    path.write_text(idp_metadata(days))
    return path


def test_real_looking_metadata_draws_no_warning(tmp_path):
    path = _metadata(tmp_path, days=300)
    assert metadata_problems(path.read_text(), str(path)) == []
    assert not [w for w in settings(samlMetadataFile=str(path)).warnings if "metadata" in w]


def test_expired_and_example_metadata_are_warnings(tmp_path):
    expired = _metadata(tmp_path, days=-1)
    [problem] = metadata_problems(expired.read_text(), str(expired))
    assert "expired on" in problem
    warned = settings(samlMetadataFile="saml/examples/dev-client-vpn-idp-metadata.xml").warnings
    assert any(w.startswith(f"{CVPN}: saml/examples/") and "example metadata" in w for w in warned)
