"""A second `pulumi up` with nothing changed changes nothing; keys rotate only when asked;
quotas are checked before anything exists."""

import ipaddress
import json

import pytest

from components.planning import quotas
from components.planning.errors import SettingsError
from tests.harness import ROOT_DIR
from tests.stacks import HA_VPN, PASSWORD, TUNNEL, VPN, deploy
from tests.test_first_up import RESERVATION, RESOLVER
from tests.test_settings import assert_names_key, error_for, settings_with

KNOWN_DIFFS = json.loads((ROOT_DIR / "components/planning/known_diffs.json").read_text())["fields"]
TAG = "aws:ec2/tag:Tag"


def _values(value, path):
    """Every value at a dotted path; `x[]` walks a list."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = value.get(head[:-2]) or [None]
        return [v for item in items for v in (_values(item, rest) if rest and item else [item])]
    got = value.get(head) if isinstance(value, dict) else None
    return _values(got, rest) if rest and got is not None else [got]


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("entry", KNOWN_DIFFS, ids=lambda e: f"{e['type'].split(':')[-1]}.{e['field']}")
def test_every_known_perpetual_diff_field_is_set(stack, entry):
    d = deploy(stack, sections={"dns": {"awsToGcp": True, "gcpDomains": ["gcp.x.internal"], "resolver": "route53"}})
    resources = d.of_type(entry["type"])
    assert resources, entry["type"]
    for r in resources:
        values = _values(r.inputs, entry["field"])
        assert values and all(v is not None for v in values), (r.name, entry["field"], entry["reason"])


def test_both_resolver_endpoints_use_fixed_addresses_inside_the_reservations():
    d = deploy("prod")
    reserved = [ipaddress.IPv4Network(r.get("cidrBlock")) for r in d.of_type(RESERVATION)]
    addresses = [a["ip"] for e in d.of_type(RESOLVER) for a in e.get("ipAddresses")]
    assert len(addresses) == 4 and len(set(addresses)) == 4
    assert all(any(ipaddress.IPv4Address(ip) in net for net in reserved) for ip in addresses)


def test_the_ha_vpn_gateway_stack_type_is_explicit():
    assert deploy("prod").of_type(HA_VPN)[0].get("stackType") == "IPV4_ONLY"


def test_every_implicit_vpn_attachment_gets_a_name_tag():
    d = deploy("prod")
    tags = {t.get("resourceId"): t for t in d.of_type(TAG)}
    for vpn in d.of_type(VPN):
        tag = tags[vpn.state["transitGatewayAttachmentId"]]
        assert tag.get("key") == "Name" and tag.get("value").startswith("multicloud-vpn-prod-")


# ------------------------------------------------------------------------------ key rotation
def test_keys_change_only_for_the_connection_whose_version_changes():
    before, after = deploy("prod"), deploy("prod", keyVersions=[1, 2])
    for pw in before.of_type(PASSWORD):
        version = after.named(PASSWORD, pw.name).get("keepers")["version"]
        assert pw.get("keepers") == {"version": "1"}
        assert version == ("2" if "-c1-" in pw.name else "1"), pw.name
    # GCP tunnels of connection 1 take the new key (GCP replaces them); connection 0 is untouched.
    for t in before.of_type(TUNNEL):
        same = t.get("sharedSecret") == after.named(TUNNEL, t.name).get("sharedSecret")
        assert same == ("-c0-" in t.name), t.name


@pytest.mark.parametrize("value, key, fragment", [([0], "keyVersions[0]", "from 1"),
                                                 (["2"], "keyVersions[0]", "from 1"),
                                                 ([1, 1, 1], "keyVersions", "at most one")])
def test_bad_key_versions_name_the_key(value, key, fragment):
    assert_names_key(error_for(siteToSite__keyVersions=value), f"multicloud-vpn:siteToSite.{key}", fragment)


# ------------------------------------------------------------------------------------ quotas
def _spokes(n):
    return [{"name": f"s{i}", "cidr": f"10.{128 + i // 16}.{(i % 16) * 16}.0/20"} for i in range(n)]


def test_a_layout_over_the_vpn_route_quota_is_refused_before_anything_exists():
    limit = quotas.quotas()["aws_vpn_routes_from_customer_gateway"]["limit"]
    with pytest.raises(SettingsError) as caught:
        settings_with(gcpHub__spokes=_spokes(limit), gcpHub__peeringLimit=500)
    assert_names_key(str(caught.value), "multicloud-vpn:gcpHub", f"the limit is {limit}")
    assert "vpn-limits" in str(caught.value)


def test_a_layout_near_a_quota_warns():
    settings = settings_with(gcpHub__spokes=_spokes(80), gcpHub__peeringLimit=500)
    assert any("of at most 100" in w for w in settings.warnings)
    assert not [w for w in settings_with().warnings if w.startswith("near a quota")]
