"""Policies on remote access: who reaches the internal ranges in production, which IdP is trusted."""


import pytest
from cryptography.hazmat.primitives import serialization

from offline.summary import views
from policy.rules import ADVISORY, MANDATORY, ResourceView, _not_after, run_rules
from tests.idp import REAL_ENTITY, idp_metadata
from tests.stacks import deploy

SAML = "aws:iam/samlProvider:SamlProvider"


def found(resources, stack, policy, **options):
    return [(v.level, v.message) for v in run_rules(resources, stack, **options) if v.policy == policy]


def test_prod_as_shipped_gives_internal_ranges_to_groups():
    assert found(views(deploy("prod")), "prod", "client-vpn-authorization-scope") == []


def test_prod_where_everyone_reaches_everything_is_stopped():
    d = deploy("prod", sections={"clientVpn": {"authorization": None}})
    [(level, message)] = found(views(d), "prod", "client-vpn-authorization-scope")
    assert level == MANDATORY and "10.0.0.0/16" in message and "10.100.0.0/20" in message
    assert found(views(d), "prod-tokyo", "client-vpn-authorization-scope")   # every prod* stack
    assert found(views(d), "dev", "client-vpn-authorization-scope") == []


def test_saying_it_is_intended_lets_it_pass():
    d = deploy("prod", sections={"clientVpn": {"authorization": None, "allUsersReachAllRanges": True}})
    assert found(views(d), "prod", "client-vpn-authorization-scope") == []


def test_one_internal_range_for_a_group_is_enough():
    d = deploy("prod", sections={"clientVpn": {"authorization": [
        {"cidr": "0.0.0.0/0", "allUsers": True},
        {"cidr": "10.102.0.0/20", "groups": ["906754a0e1-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"]}]}})
    assert found(views(d), "prod", "client-vpn-authorization-scope") == []


ENDPOINT = "aws:ec2clientvpn/endpoint:Endpoint"


@pytest.mark.parametrize("props,stopped", [
    ({"splitTunnel": False, "clientRouteEnforcementOptions": {"enforced": True}}, False),
    ({"splitTunnel": False, "clientRouteEnforcementOptions": {"enforced": False}}, True),
    ({"splitTunnel": False}, True),
    ({"splitTunnel": True, "clientRouteEnforcementOptions": {"enforced": False}}, False),
])
def test_full_tunnel_enforces_client_routes(props, stopped):
    result = found([ResourceView(ENDPOINT, "e", props)], "dev", "client-route-enforcement")
    assert [level for level, _ in result] == ([MANDATORY] if stopped else [])


def test_both_stacks_enforce_client_routes():
    for stack in ("dev", "prod"):
        assert found(views(deploy(stack)), stack, "client-route-enforcement") == []


@pytest.mark.parametrize("days,entity,fragment", [
    (300, REAL_ENTITY, None),
    (-2, REAL_ENTITY, "signing certificate expired"),
    (300, "https://idp.example.com/metadata", "is an example"),
])
def test_saml_metadata_must_be_real_and_current(days, entity, fragment):
    provider = ResourceView(SAML, "client-vpn-saml", {"samlMetadataDocument": idp_metadata(days, entity)})
    pack = found([provider], "dev", "saml-metadata-trusted")
    offline = found([provider], "dev", "saml-metadata-trusted", offline=True)
    if fragment is None:
        assert pack == offline == []
    else:
        assert [level for level, _ in pack] == [MANDATORY] and fragment in pack[0][1]
        assert [level for level, _ in offline] == [ADVISORY]


def test_the_example_stacks_are_advised_offline_and_stopped_in_the_pack():
    resources = views(deploy("dev"))
    assert [level for level, _ in found(resources, "dev", "saml-metadata-trusted", offline=True)] == [ADVISORY]
    assert [level for level, _ in found(resources, "dev", "saml-metadata-trusted")] == [MANDATORY]


def test_the_stdlib_reading_of_not_after_matches_cryptography():
    for path in ("saml/examples/dev-client-vpn-idp-metadata.xml",):
        from components.planning.saml_metadata import signing_certificates
        from tests.harness import ROOT_DIR
        [cert] = signing_certificates((ROOT_DIR / path).read_text())
        der = cert.public_bytes(serialization.Encoding.DER)
        assert _not_after(der) == cert.not_valid_after_utc.strftime("%Y%m%d%H%M%S")
    assert _not_after(b"\x30\x03\x02\x01\x01") is None
