"""The pure planning code: layout, wiring, inside addresses, keys, IKE profiles."""

import ipaddress
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.planning import ike, inside_cidrs
from components.planning.errors import SettingsError
from components.planning.keys import aws_safe_psk, is_valid_aws_psk
from components.planning.layout import REDUNDANCY_TYPES, plan_layout

LAYOUTS = list(itertools.product((1, 2), (1, 2)))
POOL = ipaddress.IPv4Network(inside_cidrs.DEFAULT_POOL)


def layout(c, t):
    return plan_layout(c, t, inside_cidrs.allocate(POOL, c * 2))


@pytest.mark.parametrize("c,t", LAYOUTS)
def test_wiring_follows_gcp_aws_guide(c, t):
    plan = layout(c, t)
    assert len(plan.aws_tunnels) == 2 * c  # AWS always creates two tunnels per connection
    assert len(plan.tunnels) == c * t
    assert plan.redundancy_type == REDUNDANCY_TYPES[c * t]
    assert [x.external_interface for x in plan.tunnels] == list(range(c * t))
    for x in plan.tunnels:
        assert x.ha_interface == x.connection  # one customer gateway IP per connection
        assert x.external_interface == x.connection * t + (x.number - 1)
    idle = [x for x in plan.aws_tunnels if not x.connected]
    assert len(idle) == c * (2 - t)
    assert all(x.number == 2 for x in idle)


def test_redundancy_types_per_tunnel_count():
    assert layout(1, 1).redundancy_type == "SINGLE_IP_INTERNALLY_REDUNDANT"
    assert layout(1, 2).redundancy_type == "TWO_IPS_REDUNDANCY"
    assert layout(2, 1).redundancy_type == "TWO_IPS_REDUNDANCY"
    assert layout(2, 2).redundancy_type == "FOUR_IPS_REDUNDANCY"


def test_prod_layout_is_a_superset_of_dev_layout():
    dev, prod = layout(1, 1), layout(2, 2)
    dev_tunnels = {(x.key, x.inside_cidr, x.external_interface) for x in dev.tunnels}
    prod_tunnels = {(x.key, x.inside_cidr, x.external_interface) for x in prod.tunnels}
    assert dev_tunnels <= prod_tunnels
    assert {(x.key, x.inside_cidr) for x in dev.aws_tunnels} <= {(x.key, x.inside_cidr)
                                                                 for x in prod.aws_tunnels}


def test_sla_bandwidth_and_maintenance():
    assert layout(2, 2).sla.startswith("99.99%")
    assert not layout(1, 2).sla.startswith("99.99%")
    assert layout(2, 2).aggregate_gbps == 5.0
    assert layout(1, 1).aggregate_gbps == 1.25
    assert not layout(1, 1).survives_aws_maintenance
    assert layout(1, 2).survives_aws_maintenance


def test_layout_rejects_unsupported_shapes():
    with pytest.raises(ValueError):
        plan_layout(3, 1, ("169.254.10.0/30",) * 6)
    with pytest.raises(ValueError):
        plan_layout(1, 1, ("169.254.10.0/30",))


# --------------------------------------------------------------------------- inside addresses
def test_aws_reserved_blocks_are_skipped():
    pool = ipaddress.IPv4Network("169.254.0.0/24")
    got = inside_cidrs.allocate(pool, 4)
    assert got == ("169.254.0.4/30", "169.254.0.8/30", "169.254.0.12/30", "169.254.0.16/30")
    low = inside_cidrs.allocate(ipaddress.IPv4Network("169.254.5.0/29"), 1)
    assert low == ("169.254.5.4/30",)
    top = inside_cidrs.allocate(ipaddress.IPv4Network("169.254.169.248/29"), 1)
    assert top == ("169.254.169.248/30",)


link_local_pools = st.builds(
    lambda third, prefix: ipaddress.IPv4Network(f"169.254.{third}.0/24").supernet(new_prefix=prefix)
    if prefix < 24 else ipaddress.IPv4Network(f"169.254.{third}.0/{prefix}"),
    st.integers(0, 255), st.integers(16, 28))


@given(pool=link_local_pools, count=st.integers(2, 8))
def test_allocation_is_unique_usable_and_prefix_stable(pool, count):
    try:
        got = inside_cidrs.allocate(pool, count)
    except SettingsError:
        assert len(inside_cidrs.usable_in(pool)) < count
        return
    nets = [ipaddress.IPv4Network(c) for c in got]
    assert len(set(nets)) == count
    assert all(inside_cidrs.is_usable(n) and n.subnet_of(pool) for n in nets)
    # Growing the count never moves an existing tunnel's /30.
    assert got[: count - 1] == inside_cidrs.allocate(pool, count - 1)[: count - 1]


KNOWN_ALLOCATIONS = [  # recorded from the list-based allocate before it became lazy
    ("169.254.10.0/24", 4, ("169.254.10.0/30", "169.254.10.4/30", "169.254.10.8/30", "169.254.10.12/30")),
    ("169.254.0.0/16", 3, ("169.254.0.4/30", "169.254.0.8/30", "169.254.0.12/30")),
    ("169.254.0.0/28", 3, ("169.254.0.4/30", "169.254.0.8/30", "169.254.0.12/30")),
    ("169.254.0.0/22", 2, ("169.254.0.4/30", "169.254.0.8/30")),
    ("169.254.1.0/24", 2, ("169.254.1.4/30", "169.254.1.8/30")),
    ("169.254.4.0/23", 2, ("169.254.4.4/30", "169.254.4.8/30")),
    ("169.254.169.240/28", 3, ("169.254.169.240/30", "169.254.169.244/30", "169.254.169.248/30")),
    ("169.254.255.240/28", 4, ("169.254.255.240/30", "169.254.255.244/30", "169.254.255.248/30",
                               "169.254.255.252/30")),
]


@pytest.mark.parametrize("pool,count,expected", KNOWN_ALLOCATIONS)
def test_allocation_matches_known_results(pool, count, expected):
    assert inside_cidrs.allocate(ipaddress.IPv4Network(pool), count) == expected


def _listed(pool, count):  # the allocation as it was first written: every /30, then a slice
    return tuple(str(n) for n in [n for n in pool.subnets(new_prefix=30)
                                  if n not in inside_cidrs.AWS_RESERVED][:count])


@given(pool=link_local_pools.filter(lambda p: p.prefixlen >= 20), count=st.integers(1, 8))
def test_lazy_allocation_equals_the_listed_one(pool, count):
    expected = _listed(pool, count)
    if len(expected) < count:
        with pytest.raises(SettingsError, match=f"holds {len(inside_cidrs.usable_in(pool))} usable"):
            inside_cidrs.allocate(pool, count)
    else:
        assert inside_cidrs.allocate(pool, count) == expected
    assert inside_cidrs.usable_count(pool) == len(inside_cidrs.usable_in(pool))


def test_allocation_work_is_proportional_to_the_count(monkeypatch):
    made = []
    real = inside_cidrs.ipaddress.IPv4Network

    def counting(*args, **kwargs):
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(inside_cidrs.ipaddress, "IPv4Network", counting)
    monkeypatch.setattr(real, "subnets", lambda *a, **k: pytest.fail("listed every /30 of the pool"))
    pool = real("169.254.0.0/16")
    assert inside_cidrs.allocate(pool, 8)[0] == "169.254.0.4/30"
    assert len(made) <= 8
    assert inside_cidrs.usable_count(pool) == 16384 - len(inside_cidrs.AWS_RESERVED)


def test_pool_too_small_names_the_key():
    with pytest.raises(SettingsError, match=r"insideCidrPool.*holds 0 usable /30s but 2"):
        inside_cidrs.allocate(ipaddress.IPv4Network("169.254.169.252/30"), 2, "insideCidrPool")


def test_tunnel_addresses_are_the_two_hosts_of_the_30():
    assert inside_cidrs.tunnel_addresses("169.254.10.4/30") == ("169.254.10.5", "169.254.10.6")


# -------------------------------------------------------------------------------- pre-shared keys
@given(st.text(alphabet="ABCxyz0123456789", min_size=8, max_size=64).filter(lambda s: s.strip("0")))
def test_safe_psk_is_valid_for_aws_and_keeps_length(raw):
    key = aws_safe_psk(raw)
    assert is_valid_aws_psk(key)
    assert len(key) == len(raw) and sorted(key) == sorted(raw)


def test_safe_psk_leaves_good_keys_alone_and_rejects_all_zeros():
    assert aws_safe_psk("abc12345") == "abc12345"
    assert aws_safe_psk("00abc123") == "abc12300"
    with pytest.raises(ValueError):
        aws_safe_psk("00000000")


@pytest.mark.parametrize("key,ok", [("abcdefgh", True), ("a.b_c1234", True), ("0abcdefg", False),
                                    ("short", False), ("a" * 65, False), ("abc-defgh", False),
                                    ("abc/defgh", False)])
def test_psk_rules(key, ok):
    assert is_valid_aws_psk(key) is ok


# ---------------------------------------------------------------------------------- IKE profiles
AWS_ENCRYPTION = {"AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"}
AWS_INTEGRITY = {"SHA1", "SHA2-256", "SHA2-384", "SHA2-512"}
AWS_PHASE1_DH = {2, *range(14, 25)}
AWS_PHASE2_DH = {2, 5, *range(14, 25)}
GCP_DH = {14: "Group-14", 19: "Group-19", 20: "Group-20", 21: "Group-21"}


@pytest.mark.parametrize("name", sorted(ike.PROFILES))
def test_profiles_pin_one_algorithm_per_role_and_match_across_clouds(name):
    profile = ike.PROFILES[name]
    for n in (1, 2):
        opts = profile.aws_tunnel_options(n)
        assert opts[f"tunnel{n}_ike_versions"] == ["ikev2"]
        for key, value in opts.items():
            if isinstance(value, list):
                assert len(value) == 1, key
        assert set(opts[f"tunnel{n}_phase1_encryption_algorithms"]) <= AWS_ENCRYPTION
        assert set(opts[f"tunnel{n}_phase2_integrity_algorithms"]) <= AWS_INTEGRITY
        assert set(opts[f"tunnel{n}_phase1_dh_group_numbers"]) <= AWS_PHASE1_DH
        assert set(opts[f"tunnel{n}_phase2_dh_group_numbers"]) <= AWS_PHASE2_DH
        assert 900 <= opts[f"tunnel{n}_phase1_lifetime_seconds"] <= 28800
        assert 900 <= opts[f"tunnel{n}_phase2_lifetime_seconds"] <= 3600
    suite = profile.gcp_cipher_suite()
    assert all(len(v) == 1 for phase in suite.values() for v in phase.values())
    assert suite["phase1"]["dhs"] == [GCP_DH[profile.dh_group]]
    assert suite["phase2"]["pfs"] == [GCP_DH[profile.dh_group]]
    assert profile.encryption == "AES256" and suite["phase1"]["encryptions"] == ["AES-CBC-256"]
    assert profile.integrity == "SHA2-256" and suite["phase1"]["integrities"] == ["HMAC-SHA2-256-128"]


def test_default_profile_exists():
    assert ike.DEFAULT_PROFILE in ike.PROFILES
