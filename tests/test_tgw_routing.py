"""`siteToSite.transitGatewayRouting` and `reservedInsideCidrs`: joining an adopted Transit
Gateway's routing, under mocks, and every bad value naming its key."""

import ipaddress

import pytest

from components.planning import ike, inside_cidrs
from components.planning.estate_settings import parse_offices
from tests.estate import ATTACHED_VPC, OFFICES, estate_config
from tests.harness import run_program
from tests.stacks import TGW_ASSOC, TGW_PROP, TGW_RT, TGW_VPC_ATTACHMENT, TUNNEL, VPN, config_for, deploy
from tests.test_settings import assert_names_key, error_for, settings_with

TGW_ID = "tgw-0123456789abcdef0"
JOINED = "tgw-rtb-0a1b2c3d4e5f60718"
FROM = ["tgw-attach-0a1b2c3d4e5f60718", "tgw-attach-1a1b2c3d4e5f60718"]
TO = ["tgw-rtb-1a1b2c3d4e5f60718", "tgw-rtb-2a1b2c3d4e5f60718"]
KEY = "multicloud-vpn:siteToSite"
ROUTING = f"{KEY}.transitGatewayRouting"


def estate(**site_to_site):
    """Prod with offices and an attached VPC on the adopted gateway."""
    return run_program(estate_config(config_for("prod", transitGatewayId=TGW_ID, **site_to_site)), stack="prod")


@pytest.fixture(scope="module")
def joined():
    return estate(transitGatewayRouting={"mode": "join", "routeTableId": JOINED})


@pytest.fixture(scope="module")
def own():
    return estate(transitGatewayRouting={"mode": "own", "propagateFrom": FROM, "propagateTo": TO})


def vpn_attachments(d) -> set[str]:
    """The program's VPN attachments: site-to-site connections and offices."""
    return {r.state["transitGatewayAttachmentId"] for r in d.of_type(VPN)}


def vpc_attachment(d) -> str:
    return d.named(TGW_VPC_ATTACHMENT, "aws-network-tgw-attachment").id


def attached_vpc(d) -> str:
    return d.named(TGW_VPC_ATTACHMENT, f"attached-vpcs-attachment-{ATTACHED_VPC['name']}").id


# ------------------------------------------------------------------------------- join mode
def test_join_mode_creates_no_route_table(joined):
    assert joined.count(TGW_RT) == 0
    assert joined.output("transitGatewayId") == TGW_ID
    tables = {v for r in joined.resources for k, v in r.inputs.items()
              if k.endswith("RouteTableId") and isinstance(v, str) and v.startswith("tgw-rtb-")}
    assert tables == {JOINED}


def test_join_mode_associates_and_propagates_every_attachment_into_the_joined_table(joined):
    vpns = vpn_attachments(joined)
    assert len(vpns) == 2 + len(OFFICES)  # prod: two connections
    every = vpns | {vpc_attachment(joined), attached_vpc(joined)}
    for kind in (TGW_ASSOC, TGW_PROP):
        rows = joined.of_type(kind)
        assert sorted(r.get("transitGatewayAttachmentId") for r in rows) == sorted(every), kind
        assert {r.get("transitGatewayRouteTableId") for r in rows} == {JOINED}, kind


def test_join_mode_never_replaces_an_existing_association(joined):
    """Not the program's table: an attachment associated elsewhere must fail, not be moved."""
    rows = [r for r in joined.of_type(TGW_ASSOC) if r.get("transitGatewayAttachmentId") != vpc_attachment(joined)]
    assert len(rows) == 2 + len(OFFICES) + 1
    assert all(not r.get("replaceExistingAssociation") for r in rows), [r.name for r in rows]


def test_join_mode_the_programs_vpc_attachment_does_not_replace_either(joined):
    row = next(r for r in joined.of_type(TGW_ASSOC)
               if r.get("transitGatewayAttachmentId") == vpc_attachment(joined))
    assert not row.get("replaceExistingAssociation")


def test_join_mode_static_office_routes_go_into_the_joined_table(joined):
    routes = joined.of_type("aws:ec2transitgateway/route:Route")
    assert routes and {r.get("transitGatewayRouteTableId") for r in routes} == {JOINED}


# ------------------------------------------------------------------------------- own mode
def test_own_mode_is_the_default():
    explicit = deploy("prod", transitGatewayId=TGW_ID, transitGatewayRouting={"mode": "own"})
    default = deploy("prod", transitGatewayId=TGW_ID)
    assert explicit.names() == default.names()
    assert {(r.type, r.name): r.inputs for r in explicit.resources} == \
           {(r.type, r.name): r.inputs for r in default.resources}
    assert explicit.count(TGW_RT) == 1
    assert all(r.get("replaceExistingAssociation") is True for r in explicit.of_type(TGW_ASSOC))


def test_own_mode_propagates_the_given_attachments_into_the_vpns_table(own):
    table = own.of_type(TGW_RT)[0].id
    into_own = {r.get("transitGatewayAttachmentId") for r in own.of_type(TGW_PROP)
                if r.get("transitGatewayRouteTableId") == table}
    assert set(FROM) <= into_own
    assert into_own == vpn_attachments(own) | {vpc_attachment(own), attached_vpc(own)} | set(FROM)
    # The existing attachments are only propagated: never associated, never moved.
    assert not set(FROM) & {r.get("transitGatewayAttachmentId") for r in own.of_type(TGW_ASSOC)}


def test_own_mode_propagates_the_vpn_attachments_into_the_given_tables(own):
    for table in TO:
        into = [r.get("transitGatewayAttachmentId") for r in own.of_type(TGW_PROP)
                if r.get("transitGatewayRouteTableId") == table]
        # site-to-site connections and offices; not the VPC attachments
        assert sorted(into) == sorted(vpn_attachments(own)), table
    assert not {r.get("transitGatewayRouteTableId") for r in own.of_type(TGW_ASSOC)} & set(TO)
    assert all(r.get("replaceExistingAssociation") is True for r in own.of_type(TGW_ASSOC))


# ------------------------------------------------------------------------------- reserved /30s
POOL = ipaddress.IPv4Network("169.254.10.0/24")


def test_the_allocator_skips_reserved_30s():
    plain = inside_cidrs.allocate(POOL, 6)
    assert inside_cidrs.allocate(POOL, 6, reserved=()) == plain
    got = inside_cidrs.allocate(POOL, 6, reserved=("169.254.10.4/30", "169.254.10.12/30"))
    assert got == ("169.254.10.0/30", "169.254.10.8/30", "169.254.10.16/30", "169.254.10.20/30",
                   "169.254.10.24/30", "169.254.10.28/30")
    small = ipaddress.IPv4Network("169.254.10.0/29")
    with pytest.raises(inside_cidrs.SettingsError, match="holds 1 usable /30s besides the reserved"):
        inside_cidrs.allocate(small, 2, reserved=("169.254.10.0/30",))


def test_site_to_site_tunnels_skip_reserved_30s():
    s = settings_with(siteToSite__transitGatewayId=TGW_ID,
                      siteToSite__reservedInsideCidrs=["169.254.10.0/30", "169.254.10.8/30"]).site_to_site
    assert s.inside_cidrs == ("169.254.10.4/30", "169.254.10.12/30")
    d = deploy("prod", transitGatewayId=TGW_ID, reservedInsideCidrs=["169.254.20.4/30"])  # pool .20.0/24
    used = {v.get(f"tunnel{n}InsideCidr") for v in d.of_type(VPN) for n in (1, 2)}
    assert used == {"169.254.20.0/30", "169.254.20.8/30", "169.254.20.12/30", "169.254.20.16/30"}
    assert all(t.get("region") for t in d.of_type(TUNNEL))


def test_explicit_site_to_site_30s_that_are_reserved_are_refused():
    message = error_for(siteToSite__transitGatewayId=TGW_ID,
                        siteToSite__insideCidrs=["169.254.30.0/30", "169.254.30.4/30"],
                        siteToSite__reservedInsideCidrs=["169.254.30.4/30"])
    assert_names_key(message, f"{KEY}.insideCidrs[1]", f"{KEY}.reservedInsideCidrs lists it")


def offices(value, reserved=()):
    return parse_offices("multicloud-vpn:offices", value, pool=POOL,
                         site_to_site_cidrs=inside_cidrs.allocate(POOL, 4, reserved=reserved),
                         default_profile=ike.PROFILES["aes256-sha256-ecp384"], reserved_asns={}, reserved=reserved)


def test_office_allocation_skips_reserved_30s_and_is_unchanged_without_them():
    plain = offices(OFFICES)
    assert [o.inside_cidrs for o in plain] == [("169.254.10.16/30", "169.254.10.20/30"),
                                               ("169.254.10.24/30", "169.254.10.28/30")]
    reserved = ("169.254.10.4/30", "169.254.10.20/30")
    got = offices(OFFICES, reserved)
    assert [o.inside_cidrs for o in got] == [("169.254.10.24/30", "169.254.10.28/30"),
                                             ("169.254.10.32/30", "169.254.10.36/30")]
    assert not {c for o in got for c in o.inside_cidrs} & set(reserved)


def test_explicit_office_30s_that_are_reserved_are_refused():
    office = {**OFFICES[0], "insideCidrs": ["169.254.40.0/30", "169.254.40.4/30"]}
    with pytest.raises(inside_cidrs.SettingsError) as caught:
        offices([office], ("169.254.40.0/30",))
    assert_names_key(str(caught.value), "multicloud-vpn:offices[0].insideCidrs[0]",
                     f"{KEY}.reservedInsideCidrs lists it")


# ------------------------------------------------------------------------------- bad values
@pytest.mark.parametrize("changes,key,fragment", [
    ({"transitGatewayRouting": {"mode": "join", "routeTableId": JOINED}}, ROUTING,
     "only with multicloud-vpn:siteToSite.transitGatewayId"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"mode": "share"}}, f"{ROUTING}.mode",
     "accepted values: 'own', 'join'"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": "join"}, ROUTING, "expected a YAML object"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"mode": "join"}}, f"{ROUTING}.routeTableId",
     "required"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"mode": "join", "routeTableId": "rtb-0a1b2c3d"}},
     f"{ROUTING}.routeTableId", "tgw-rtb-0123456789abcdef0"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"mode": "own", "routeTableId": JOINED}},
     f"{ROUTING}.routeTableId", "only with mode: join"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"routeTableId": JOINED}},
     f"{ROUTING}.routeTableId", "only with mode: join"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"propagateFrom": ["tgw-attach-xyz"]}},
     f"{ROUTING}.propagateFrom[0]", "tgw-attach-0123456789abcdef0"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"propagateFrom": [TO[0]]}},
     f"{ROUTING}.propagateFrom[0]", "tgw-attach-0123456789abcdef0"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"propagateFrom": [FROM[0], FROM[0]]}},
     f"{ROUTING}.propagateFrom[1]", "listed twice"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"propagateTo": [FROM[0]]}},
     f"{ROUTING}.propagateTo[0]", "tgw-rtb-0123456789abcdef0"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"propagateTo": "tgw-rtb-1a1b2c3d4e5f60718"}},
     f"{ROUTING}.propagateTo", "expected a YAML list"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"mode": "join", "routeTableId": JOINED,
                                                            "propagateTo": TO}},
     f"{ROUTING}.propagateTo", "only with mode: own"),
    ({"transitGatewayId": TGW_ID, "transitGatewayRouting": {"mode": "own", "propagateForm": FROM}},
     f"{ROUTING}.propagateForm", "did you mean propagateFrom?"),
    ({"reservedInsideCidrs": ["169.254.20.0/29"]}, f"{KEY}.reservedInsideCidrs[0]", "a /30 inside 169.254.0.0/16"),
    ({"reservedInsideCidrs": ["10.0.0.0/30"]}, f"{KEY}.reservedInsideCidrs[0]", "a /30 inside 169.254.0.0/16"),
    ({"reservedInsideCidrs": ["169.254.20.0/30", "169.254.20.1/30"]}, f"{KEY}.reservedInsideCidrs[1]",
     "a /30 inside 169.254.0.0/16"),
    ({"reservedInsideCidrs": ["169.254.20.0/30", "169.254.20.0/30"]}, f"{KEY}.reservedInsideCidrs[1]",
     "listed twice"),
    ({"reservedInsideCidrs": "169.254.20.0/30"}, f"{KEY}.reservedInsideCidrs", "expected a YAML list"),
])
def test_bad_routing_values_name_the_key(changes, key, fragment):
    message = error_for(**{f"siteToSite__{k}": v for k, v in changes.items()})
    assert_names_key(message, key, fragment)
