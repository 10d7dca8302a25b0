"""`ikeProfile` as a preset or an object: every accepted value builds a one-value proposal spelled
for each cloud, every refused value gets one error naming the key, the value and both sides' lists."""

import copy

import pytest

from components.planning import ike, ike_ciphers, reference
from components.planning.errors import SettingsError
from components.planning.fields import Section
from components.planning.settings import load_settings
from tests.estate import OFFICES
from tests.harness import ROOT_DIR, stack_config, to_pulumi_config

S2S = "multicloud-vpn:siteToSite.ikeProfile"
OFFICE = "multicloud-vpn:offices[0].ikeProfile"
BASE = {"encryption": "AES256", "integrity": "SHA2-256", "dhGroup": 20}

# What the sources say (ike_ciphers.json); written out again so a changed data file fails here.
AWS_ENCRYPTION = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
AWS_INTEGRITY = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
GCP_TUNNEL_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24)    # AWS phase 1 and 2, and GCP: not 22
OFFICE_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)      # AWS phase 1 and 2
GCP_ENCRYPTION = {"AES128": "AES-CBC-128", "AES256": "AES-CBC-256",
                  "AES128-GCM-16": "AES-GCM-16-128", "AES256-GCM-16": "AES-GCM-16-256"}
GCP_INTEGRITY = {"SHA1": ("HMAC-SHA1-96", "PRF-HMAC-SHA1"),
                 "SHA2-256": ("HMAC-SHA2-256-128", "PRF-HMAC-SHA2-256"),
                 "SHA2-384": ("HMAC-SHA2-384-192", "PRF-HMAC-SHA2-384"),
                 "SHA2-512": ("HMAC-SHA2-512-256", "PRF-HMAC-SHA2-512")}


def profile(with_gcp=True, **changes):
    raw = {**BASE, **changes}
    return ike.parse_profile(S2S if with_gcp else OFFICE, {k: v for k, v in raw.items() if v is not None},
                             with_gcp=with_gcp)


def refusal(with_gcp=True, **changes) -> str:
    with pytest.raises(SettingsError) as caught:
        profile(with_gcp, **changes)
    return str(caught.value)


def assert_one_value_per_role(p: ike.IkeProfile) -> None:
    for n in (1, 2):
        options = p.aws_tunnel_options(n)
        assert options[f"tunnel{n}_ike_versions"] == ["ikev2"]
        assert all(len(v) == 1 for v in options.values() if isinstance(v, list))
    assert all(len(v) == 1 for phase in p.gcp_cipher_suite().values() for v in phase.values())


# ------------------------------------------------------------------------------ the data file
def test_the_data_file_names_its_sources_and_dates():
    data = ike_ciphers.data()
    for side in ("aws", "gcp"):
        assert "read 2026-12-02" in data[side]["source"], side
    assert "cloud.google.com/network-connectivity/docs/vpn/concepts/supported-ike-ciphers" in data["gcp"]["source"]
    assert "API_VpnTunnelOptionsSpecification" in data["aws"]["source"]


def test_the_accepted_lists_are_the_intersections():
    assert ike_ciphers.accepted("encryption", with_gcp=True) == AWS_ENCRYPTION
    assert ike_ciphers.accepted("integrity", with_gcp=True) == AWS_INTEGRITY
    assert ike_ciphers.accepted("dhGroup", with_gcp=True) == GCP_TUNNEL_GROUPS
    assert ike_ciphers.accepted("encryption", with_gcp=False) == AWS_ENCRYPTION
    assert ike_ciphers.accepted("dhGroup", with_gcp=False) == OFFICE_GROUPS


def test_every_aws_spelling_has_its_gcp_spelling_in_gcps_lists():
    gcp = ike_ciphers.data()["gcp"]
    for value, name in GCP_ENCRYPTION.items():
        assert ike_ciphers.gcp_name("encryption", value) == name
        assert all(name in gcp[p]["encryption"] for p in ("phase1", "phase2"))
    for value, (name, prf) in GCP_INTEGRITY.items():
        assert (ike_ciphers.gcp_name("integrity", value), ike_ciphers.gcp_prf(value)) == (name, prf)
        assert name in gcp["phase1"]["integrity"] and prf in gcp["phase1"]["prf"]


# ------------------------------------------------------------------------- accepted values
@pytest.mark.parametrize("with_gcp", [True, False], ids=["gcp", "office"])
@pytest.mark.parametrize("value", AWS_ENCRYPTION)
def test_every_encryption_both_sides_accept(value, with_gcp):
    p = profile(with_gcp, encryption=value)
    assert_one_value_per_role(p)
    assert p.aws_tunnel_options(1)["tunnel1_phase1_encryption_algorithms"] == [value]
    assert p.aws_tunnel_options(2)["tunnel2_phase2_encryption_algorithms"] == [value]
    suite = p.gcp_cipher_suite()
    assert suite["phase1"]["encryptions"] == suite["phase2"]["encryptions"] == [GCP_ENCRYPTION[value]]
    if "GCM" in value:   # AEAD: no integrity transform on GCP, the integrity value picks the PRF
        assert "integrities" not in suite["phase1"] and "integrities" not in suite["phase2"]
        assert suite["phase1"]["prves"] == ["PRF-HMAC-SHA2-256"]
    else:
        assert suite["phase1"]["integrities"] == suite["phase2"]["integrities"] == ["HMAC-SHA2-256-128"]


@pytest.mark.parametrize("with_gcp", [True, False], ids=["gcp", "office"])
@pytest.mark.parametrize("value", AWS_INTEGRITY)
def test_every_integrity_both_sides_accept(value, with_gcp):
    p = profile(with_gcp, integrity=value)
    assert_one_value_per_role(p)
    for n in (1, 2):
        options = p.aws_tunnel_options(n)
        assert options[f"tunnel{n}_phase1_integrity_algorithms"] == [value]
        assert options[f"tunnel{n}_phase2_integrity_algorithms"] == [value]
    suite = p.gcp_cipher_suite()
    name, prf = GCP_INTEGRITY[value]
    assert suite["phase1"]["integrities"] == suite["phase2"]["integrities"] == [name]
    assert suite["phase1"]["prves"] == [prf]


@pytest.mark.parametrize("value", GCP_TUNNEL_GROUPS)
def test_every_dh_group_both_clouds_accept(value):
    p = profile(dhGroup=value)
    assert_one_value_per_role(p)
    options = p.aws_tunnel_options(1)
    assert options["tunnel1_phase1_dh_group_numbers"] == options["tunnel1_phase2_dh_group_numbers"] == [value]
    suite = p.gcp_cipher_suite()
    assert suite["phase1"]["dhs"] == suite["phase2"]["pfs"] == [f"Group-{value}"]


@pytest.mark.parametrize("value", OFFICE_GROUPS)
def test_every_dh_group_aws_accepts_in_both_phases_for_an_office(value):
    p = profile(False, dhGroup=value)
    assert p.aws_tunnel_options(2)["tunnel2_phase2_dh_group_numbers"] == [value]


@pytest.mark.parametrize("with_gcp", [True, False], ids=["gcp", "office"])
@pytest.mark.parametrize("phase1,phase2", [(900 + 1, 900), (28800, 900), (28800, 3600), (3601, 3600),
                                           (14400, 1800), (None, None)])
def test_lifetimes_in_awss_ranges_phase_2_below_phase_1(phase1, phase2, with_gcp):
    p = profile(with_gcp, phase1LifetimeSeconds=phase1, phase2LifetimeSeconds=phase2, ikeVersion=2)
    assert (p.phase1_lifetime_seconds, p.phase2_lifetime_seconds) == (phase1 or 28800, phase2 or 3600)
    options = p.aws_tunnel_options(1)
    assert options["tunnel1_phase1_lifetime_seconds"] == p.phase1_lifetime_seconds
    assert options["tunnel1_phase2_lifetime_seconds"] == p.phase2_lifetime_seconds


@pytest.mark.parametrize("name", sorted(ike.PROFILES))
def test_a_preset_and_its_object_form_build_the_same_proposal(name):
    preset = ike.parse_profile(S2S, name, with_gcp=True)
    spelled = profile(encryption=preset.encryption, integrity=preset.integrity, dhGroup=preset.dh_group)
    assert preset.name == name and spelled.name == ""
    assert spelled.aws_tunnel_options(1) == preset.aws_tunnel_options(1)
    assert spelled.gcp_cipher_suite() == preset.gcp_cipher_suite()


def test_absent_takes_the_default():
    default = ike.PROFILES["aes256-sha256-modp2048"]
    assert ike.parse_profile(OFFICE, None, with_gcp=False, default=default) is default


# -------------------------------------------------------------------------- refused values
BOTH_ENCRYPTION = "accepted for the GCP tunnels (AWS in both phases and GCP): AES128, AES256, AES128-GCM-16, " \
                  "AES256-GCM-16"
BOTH_GROUPS = "accepted for the GCP tunnels (AWS in both phases and GCP): 2, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24"
OFFICE_GROUP_LIST = "accepted for an office's tunnels (AWS in both phases): 2, 14, 15, 16, 17, 18, 19, 20, 21, 22, " \
                    "23, 24"
AWS_GROUPS = "AWS accepts 2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 in phase 1 and 2, 5, 14,"
GCP_GROUPS = "GCP accepts 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 31"
GCP_CIPHERS = "GCP accepts AES-CBC-128 (AES128), AES-CBC-256 (AES256), AES-GCM-16-128 (AES128-GCM-16)"


@pytest.mark.parametrize("with_gcp,changes,key,fragments", [
    # encryption
    (True, {"encryption": "aes256"}, "encryption", ["'aes256'", "did you mean 'AES256'?", BOTH_ENCRYPTION,
                                                    GCP_CIPHERS, "AWS accepts AES128, AES256"]),
    (True, {"encryption": "AES192"}, "encryption", ["AWS's tunnel options do not accept it", BOTH_ENCRYPTION]),
    (True, {"encryption": "3DES"}, "encryption", ["'3DES'", BOTH_ENCRYPTION]),
    (True, {"encryption": "AES-CBC-256"}, "encryption", ["did you mean", BOTH_ENCRYPTION]),
    (True, {"encryption": ["AES256", "AES128"]}, "encryption", ["one value, not a list", "fail to rekey",
                                                                BOTH_ENCRYPTION]),
    (True, {"encryption": 256}, "encryption", ["256", "expected a name", BOTH_ENCRYPTION]),
    (True, {"encryption": None}, "encryption", ["a missing value", "required"]),
    (False, {"encryption": "AES192"}, "encryption", ["accepted for an office's tunnels (AWS in both phases): "
                                                     "AES128, AES256"]),
    # integrity
    (True, {"integrity": "MD5"}, "integrity", ["'MD5'", "AWS's tunnel options do not accept it",
                                               "HMAC-SHA2-256-128 (SHA2-256)", "SHA1, SHA2-256, SHA2-384, SHA2-512"]),
    (True, {"integrity": "sha2-256"}, "integrity", ["did you mean 'SHA2-256'?"]),
    (True, {"integrity": ["SHA2-256"]}, "integrity", ["one value, not a list"]),
    (True, {"integrity": True}, "integrity", ["True", "expected a name"]),
    # DH group
    (True, {"dhGroup": 22}, "dhGroup", ["22", "GCP does not accept it", AWS_GROUPS, GCP_GROUPS, BOTH_GROUPS]),
    (True, {"dhGroup": 31}, "dhGroup", ["31", "AWS's tunnel options do not accept it", GCP_GROUPS, BOTH_GROUPS]),
    (True, {"dhGroup": 5}, "dhGroup", ["AWS accepts it in phase 2 only, and one value serves both phases",
                                       BOTH_GROUPS]),
    (True, {"dhGroup": 1}, "dhGroup", ["AWS's tunnel options do not accept it", BOTH_GROUPS]),
    (True, {"dhGroup": "20"}, "dhGroup", ["'20'", "did you mean 20?", "expected a number", BOTH_GROUPS]),
    (True, {"dhGroup": 20.0}, "dhGroup", ["20.0", "expected a number"]),
    (True, {"dhGroup": True}, "dhGroup", ["True", "expected a number"]),
    (True, {"dhGroup": [14, 20]}, "dhGroup", ["[14, 20]", "one value, not a list", BOTH_GROUPS]),
    (False, {"dhGroup": 5}, "dhGroup", ["phase 2 only", OFFICE_GROUP_LIST]),
    (False, {"dhGroup": 31}, "dhGroup", ["AWS's tunnel options do not accept it", OFFICE_GROUP_LIST]),
    # IKE version
    (True, {"ikeVersion": 1}, "ikeVersion", ["IKEv1 is refused", "ike-pinned", "accepted values: 2 (IKEv2)"]),
    (False, {"ikeVersion": 1}, "ikeVersion", ["IKEv1 is refused"]),
    (True, {"ikeVersion": "ikev2"}, "ikeVersion", ["'ikev2'", "accepted values: 2 (IKEv2)"]),
    (True, {"ikeVersion": 3}, "ikeVersion", ["accepted values: 2 (IKEv2)"]),
    (True, {"ikeVersion": True}, "ikeVersion", ["accepted values: 2"]),
    # lifetimes
    (True, {"phase1LifetimeSeconds": 899}, "phase1LifetimeSeconds", ["899", "expected 900-28800 seconds",
                                                                     "fixed at 36000 s"]),
    (True, {"phase1LifetimeSeconds": 28801}, "phase1LifetimeSeconds", ["900-28800"]),
    (True, {"phase1LifetimeSeconds": 36000}, "phase1LifetimeSeconds", ["36000 is not accepted", "AWS's range"]),
    (False, {"phase1LifetimeSeconds": 899}, "phase1LifetimeSeconds", ["expected 900-28800 seconds (AWS's range)"]),
    (True, {"phase1LifetimeSeconds": "28800"}, "phase1LifetimeSeconds", ["expected an integer"]),
    (True, {"phase2LifetimeSeconds": 899}, "phase2LifetimeSeconds", ["expected 900-3600 seconds", "10800 s"]),
    (True, {"phase2LifetimeSeconds": 3601}, "phase2LifetimeSeconds", ["900-3600"]),
    (True, {"phase2LifetimeSeconds": 10800}, "phase2LifetimeSeconds", ["10800 is not accepted"]),
    (True, {"phase2LifetimeSeconds": 1800.5}, "phase2LifetimeSeconds", ["expected an integer"]),
    (True, {"phase1LifetimeSeconds": 1800, "phase2LifetimeSeconds": 1800}, "phase2LifetimeSeconds",
     ["must be less than multicloud-vpn:siteToSite.ikeProfile.phase1LifetimeSeconds (1800)"]),
    (True, {"phase1LifetimeSeconds": 900, "phase2LifetimeSeconds": 900}, "phase2LifetimeSeconds",
     ["must be less than"]),
    (False, {"phase1LifetimeSeconds": 1200, "phase2LifetimeSeconds": 2400}, "phase2LifetimeSeconds",
     ["must be less than multicloud-vpn:offices[0].ikeProfile.phase1LifetimeSeconds (1200)"]),
    # a key nobody reads
    (True, {"pfsGroup": 20}, "pfsGroup", ["unknown setting", "dhGroup"]),
    (True, {"dhGroups": 20}, "dhGroups", ["did you mean dhGroup?"]),
])
def test_each_refused_value_names_its_key_the_value_and_both_lists(with_gcp, changes, key, fragments):
    message = refusal(with_gcp, **changes)
    assert message.startswith(f"{S2S if with_gcp else OFFICE}.{key}: "), message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("raw", ["aes128-sha1", "", 20, ["aes256-sha256-ecp384"], True])
def test_neither_a_preset_nor_an_object_is_refused(raw):
    with pytest.raises(SettingsError) as caught:
        ike.parse_profile(S2S, raw, with_gcp=True)
    message = str(caught.value)
    assert message.startswith(f"{S2S}: ")
    assert "'aes256-sha256-ecp384', 'aes256-sha256-modp2048', or an object {encryption, integrity, dhGroup" in message


def test_the_object_reads_exactly_the_reference_tables_fields():
    section = Section(S2S, {**BASE})
    ike.parse_object(section, with_gcp=True)
    table = reference.BY_KEY["siteToSite.ikeProfile"]
    assert section.fields_read == {f.name for f in table.fields}


# ---------------------------------------------------------------------- through the settings
def settings(site_to_site_profile=None, offices=None):
    config = copy.deepcopy(stack_config("dev"))
    if site_to_site_profile is not None:
        config["multicloud-vpn:siteToSite"]["ikeProfile"] = site_to_site_profile
    if offices is not None:
        config["multicloud-vpn:offices"] = offices
    return load_settings(to_pulumi_config(config), ROOT_DIR)


def test_an_object_profile_reaches_the_settings_and_offices_inherit_it():
    custom = {"encryption": "AES256-GCM-16", "integrity": "SHA2-384", "dhGroup": 21,
              "phase1LifetimeSeconds": 14400, "phase2LifetimeSeconds": 1800}
    s = settings(custom, copy.deepcopy(OFFICES))
    expected = ike.IkeProfile("AES256-GCM-16", "SHA2-384", 21, 14400, 1800)
    assert s.site_to_site.ike_profile == expected
    assert all(o.ike_profile == expected for o in s.offices)


def test_an_office_may_use_a_group_only_aws_accepts_but_the_site_to_site_vpn_may_not():
    offices = copy.deepcopy(OFFICES)
    offices[0]["ikeProfile"] = {**BASE, "dhGroup": 22}
    offices[1]["ikeProfile"] = "aes256-sha256-modp2048"
    tokyo, osaka = settings(offices=offices).offices
    assert tokyo.ike_profile.dh_group == 22 and osaka.ike_profile.dh_group == 14
    with pytest.raises(SettingsError) as caught:
        settings({**BASE, "dhGroup": 22})
    assert str(caught.value).startswith(f"{S2S}.dhGroup: 22 is not accepted; GCP does not accept it")


def test_a_bad_office_value_is_one_error_naming_the_office():
    offices = copy.deepcopy(OFFICES)
    offices[1]["ikeProfile"] = {**BASE, "dhGroup": 31}
    with pytest.raises(SettingsError) as caught:
        settings(offices=offices)
    message = str(caught.value)
    assert message.startswith("multicloud-vpn:offices[1].ikeProfile.dhGroup: 31 is not accepted")
    assert "\n" not in message
