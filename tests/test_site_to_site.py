"""The HA VPN with BGP, per stack file and for synthetic layouts, under mocks."""

import ipaddress

import pytest

from components.planning.keys import is_valid_aws_psk
from offline.summary import views
from policy.rules import run_rules
from tests.harness import contains_secret, is_secret, reveal, run_program
from tests.stacks import (
    CGW,
    EXT_GW,
    HA_VPN,
    PASSWORD,
    PEER,
    ROUTER,
    ROUTER_IF,
    TGW,
    TGW_ASSOC,
    TGW_PROP,
    TGW_RT,
    TGW_VPC_ATTACHMENT,
    TUNNEL,
    VPN,
    config_for,
    deploy,
)

LAYOUTS = {  # name -> (stack file, overrides, connections, tunnels per connection)
    "dev": ("dev", {}, 1, 1),
    "prod": ("prod", {}, 2, 2),
    "1x2": ("dev", {"tunnelsPerConnection": 2}, 1, 2),
    "2x1": ("dev", {"connections": 2}, 2, 1),
}
REDUNDANCY = {1: "SINGLE_IP_INTERNALLY_REDUNDANT", 2: "TWO_IPS_REDUNDANCY", 4: "FOUR_IPS_REDUNDANCY"}


@pytest.fixture(params=sorted(LAYOUTS))
def case(request):
    stack, overrides, c, t = LAYOUTS[request.param]
    return deploy(stack, **overrides), c, t


def test_counts_and_redundancy(case):
    d, c, t = case
    assert len(d.of_type(TGW)) == 1
    assert len(d.of_type(TGW_RT)) == 1
    assert len(d.of_type(ROUTER)) == 1
    assert len(d.of_type(HA_VPN)) == 1
    assert len(d.of_type(CGW)) == c
    assert len(d.of_type(VPN)) == c
    assert len(d.of_type(EXT_GW)) == 1
    assert len(d.of_type(TUNNEL)) == c * t
    assert len(d.of_type(ROUTER_IF)) == c * t
    assert len(d.of_type(PEER)) == c * t
    assert len(d.of_type(PASSWORD)) == 2 * c  # every AWS tunnel has a key, idle ones too
    assert d.of_type(EXT_GW)[0].get("redundancyType") == REDUNDANCY[c * t]


def test_customer_gateway_i_is_ha_interface_i(case):
    d, c, _ = case
    ha_ips = {i["id"]: i["ipAddress"] for i in reveal(d.of_type(HA_VPN)[0].state["vpnInterfaces"])}
    assert d.output("haVpnInterfaceIps") == [ha_ips[0], ha_ips[1]]
    gcp_asn = d.of_type(ROUTER)[0].get("bgp")["asn"]
    for i in range(c):
        cgw = d.named(CGW, f"site-to-site-cgw-c{i}")
        assert cgw.get("ipAddress") == ha_ips[i]
        assert cgw.get("bgpAsn") == str(int(gcp_asn))
        assert cgw.get("type") == "ipsec.1"
        vpn = d.named(VPN, f"site-to-site-vpn-c{i}")
        assert vpn.get("customerGatewayId") == cgw.id
        assert vpn.get("staticRoutesOnly") is False
        assert vpn.get("transitGatewayId") == d.output("transitGatewayId")


def test_external_interfaces_and_tunnels_follow_the_wiring(case):
    d, c, t = case
    ext = d.of_type(EXT_GW)[0]
    interfaces = {i["id"]: i["ipAddress"] for i in ext.get("interfaces")}
    assert sorted(interfaces) == list(range(c * t))
    for conn in range(c):
        vpn = d.named(VPN, f"site-to-site-vpn-c{conn}")
        for n in range(1, t + 1):
            ext_id = conn * t + (n - 1)
            assert interfaces[ext_id] == vpn.state[f"tunnel{n}Address"]
            tunnel = d.named(TUNNEL, f"site-to-site-tunnel-c{conn}-t{n}")
            assert tunnel.get("vpnGatewayInterface") == conn
            assert tunnel.get("peerExternalGatewayInterface") == ext_id
            assert tunnel.get("ikeVersion") == 2


def test_inside_addresses_pair_gcp_interfaces_and_peers_with_aws_tunnels(case):
    d, c, t = case
    seen = set()
    for conn in range(c):
        vpn = d.named(VPN, f"site-to-site-vpn-c{conn}")
        for n in range(1, t + 1):
            cidr = ipaddress.IPv4Network(vpn.get(f"tunnel{n}InsideCidr"))
            seen.add(cidr)
            iface = d.named(ROUTER_IF, f"site-to-site-bgp-if-c{conn}-t{n}")
            peer = d.named(PEER, f"site-to-site-bgp-peer-c{conn}-t{n}")
            assert iface.get("ipRange") == f"{vpn.state[f'tunnel{n}CgwInsideAddress']}/30"
            assert ipaddress.IPv4Network(iface.get("ipRange"), strict=False) == cidr
            assert peer.get("peerIpAddress") == vpn.state[f"tunnel{n}VgwInsideAddress"]
            assert peer.get("ipAddress") == vpn.state[f"tunnel{n}CgwInsideAddress"]
            assert ipaddress.IPv4Address(peer.get("peerIpAddress")) in cidr
            assert peer.get("interface") == iface.state["name"]
            assert iface.get("vpnTunnel") == d.named(TUNNEL, f"site-to-site-tunnel-c{conn}-t{n}").state["name"]
    assert len(seen) == c * t  # a unique /30 per BGP session on the one Cloud Router


def test_keys_match_on_both_ends_are_valid_and_secret(case):
    d, c, t = case
    for conn in range(c):
        vpn = d.named(VPN, f"site-to-site-vpn-c{conn}")
        for n in (1, 2):
            raw = vpn.inputs[f"tunnel{n}PresharedKey"]
            assert is_secret(raw)
            assert is_valid_aws_psk(reveal(raw))
            if n <= t:
                tunnel = d.named(TUNNEL, f"site-to-site-tunnel-c{conn}-t{n}")
                assert is_secret(tunnel.inputs["sharedSecret"])
                assert reveal(tunnel.inputs["sharedSecret"]) == reveal(raw)
    keys = [reveal(d.named(VPN, f"site-to-site-vpn-c{x}").inputs[f"tunnel{n}PresharedKey"])
            for x in range(c) for n in (1, 2)]
    assert len(set(keys)) == len(keys)
    flat = repr(reveal(d.outputs))
    assert not any(k in flat for k in keys)
    assert not contains_secret(d.outputs)


def test_a_random_key_starting_with_zero_is_fixed_on_both_ends():
    d = deploy("dev", mock_options={"psk_leading_zero": True})
    password = d.named(PASSWORD, "site-to-site-psk-c0-t1")
    assert reveal(password.state["result"]).startswith("0")
    key = reveal(d.named(VPN, "site-to-site-vpn-c0").inputs["tunnel1PresharedKey"])
    assert is_valid_aws_psk(key)
    assert reveal(d.named(TUNNEL, "site-to-site-tunnel-c0-t1").inputs["sharedSecret"]) == key


def test_ike_pinned_to_one_set_on_both_clouds(case):
    d, c, t = case
    for conn in range(c):
        vpn = d.named(VPN, f"site-to-site-vpn-c{conn}")
        for n in (1, 2):
            assert vpn.get(f"tunnel{n}IkeVersions") == ["ikev2"]
            assert vpn.get(f"tunnel{n}Phase1EncryptionAlgorithms") == ["AES256"]
            assert vpn.get(f"tunnel{n}Phase1IntegrityAlgorithms") == ["SHA2-256"]
            assert vpn.get(f"tunnel{n}Phase1DhGroupNumbers") == [20]
            assert vpn.get(f"tunnel{n}Phase2EncryptionAlgorithms") == ["AES256"]
            assert vpn.get(f"tunnel{n}Phase2IntegrityAlgorithms") == ["SHA2-256"]
            assert vpn.get(f"tunnel{n}Phase2DhGroupNumbers") == [20]
    for tunnel in d.of_type(TUNNEL):
        suite = tunnel.get("cipherSuite")
        assert suite["phase1"] == {"encryptions": ["AES-CBC-256"], "integrities": ["HMAC-SHA2-256-128"],
                                   "prves": ["PRF-HMAC-SHA2-256"], "dhs": ["Group-20"]}
        assert suite["phase2"] == {"encryptions": ["AES-CBC-256"], "integrities": ["HMAC-SHA2-256-128"],
                                   "pfs": ["Group-20"]}


def test_modp2048_profile_switches_both_clouds():
    d = deploy("dev", ikeProfile="aes256-sha256-modp2048")
    assert d.named(VPN, "site-to-site-vpn-c0").get("tunnel1Phase1DhGroupNumbers") == [14]
    assert d.named(TUNNEL, "site-to-site-tunnel-c0-t1").get("cipherSuite")["phase1"]["dhs"] == ["Group-14"]


def test_asns_ecmp_and_equal_priorities(case):
    d, c, t = case
    tgw = d.of_type(TGW)[0]
    assert tgw.get("amazonSideAsn") == 64512
    assert tgw.get("vpnEcmpSupport") == "enable"
    assert tgw.get("defaultRouteTableAssociation") == "disable"
    assert tgw.get("defaultRouteTablePropagation") == "disable"
    bgp = d.of_type(ROUTER)[0].get("bgp")
    assert bgp["asn"] == 65000
    assert bgp["advertiseMode"] == "CUSTOM" and bgp["advertisedGroups"] == ["ALL_SUBNETS"]
    peers = d.of_type(PEER)
    assert {p.get("peerAsn") for p in peers} == {64512}
    assert len({p.get("advertisedRoutePriority") for p in peers}) == 1
    assert all(not p.get("bfd") for p in peers)


def test_route_table_association_and_propagation(case):
    d, c, _ = case
    table_id = d.of_type(TGW_RT)[0].id
    attachments = {d.named(VPN, f"site-to-site-vpn-c{i}").state["transitGatewayAttachmentId"] for i in range(c)}
    attachments.add(d.named(TGW_VPC_ATTACHMENT, "aws-network-tgw-attachment").id)  # the VPC's, see test_network
    for kind in (TGW_ASSOC, TGW_PROP):
        rows = d.of_type(kind)
        assert {r.get("transitGatewayAttachmentId") for r in rows} == attachments
        assert {r.get("transitGatewayRouteTableId") for r in rows} == {table_id}
    assert all(r.get("replaceExistingAssociation") is True for r in d.of_type(TGW_ASSOC))


def test_bgp_interfaces_and_peers_free_their_range_before_replacement(case):
    d, _, _ = case
    for r in d.of_type(ROUTER_IF) + d.of_type(PEER):
        assert r.options["delete_before_replace"] is True, r.name


def test_every_resource_has_an_explicit_provider_and_a_component_parent(case):
    d, _, _ = case
    providers = {r.urn for r in d.resources if r.type.startswith("pulumi:providers:")}
    assert {u.split("::")[-1] for u in providers} == {"aws", "gcp", "random", "tls"}
    for r in d.resources:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            assert r.provider.rsplit("::", 1)[0] in providers, (r.name, r.provider)
            assert "multicloud-vpn:" in r.parent, (r.name, r.parent)


def test_growing_dev_into_prod_keeps_names():
    dev, prod = deploy("dev"), deploy("dev", connections=2, tunnelsPerConnection=2)
    assert dev.names() <= prod.names()
    added = prod.names() - dev.names()
    assert (VPN, "site-to-site-vpn-c1") in added and (TUNNEL, "site-to-site-tunnel-c1-t2") in added
    assert not any(name.endswith("c0-t1") or name.endswith("-c0") for _, name in added)
    # The first AWS connection is untouched: same tunnels, keys and inside addresses.
    assert reveal(dev.named(VPN, "site-to-site-vpn-c0").inputs) == reveal(prod.named(VPN, "site-to-site-vpn-c0").inputs)
    assert reveal(dev.named(CGW, "site-to-site-cgw-c0").inputs) == reveal(prod.named(CGW, "site-to-site-cgw-c0").inputs)


def test_outputs_describe_each_tunnel():
    d = deploy("prod")
    tunnels = d.output("tunnels")
    assert [t["name"] for t in tunnels] == ["c0-t1", "c0-t2", "c1-t1", "c1-t2"]
    for row in tunnels:
        vpn = d.named(VPN, f"site-to-site-vpn-c{int(row['connection'])}")
        assert row["awsOutsideIp"] == vpn.state[f"tunnel{int(row['awsTunnel'])}Address"]
        assert row["insideCidr"] == vpn.get(f"tunnel{int(row['awsTunnel'])}InsideCidr")
        assert row["gcpHaInterface"] == row["connection"]
    assert d.output("transitGatewayId").startswith("tgw-")
    assert d.output("layout")["redundancyType"] == "FOUR_IPS_REDUNDANCY"


def test_adopted_transit_gateway_is_used_not_created():
    d = deploy("prod", transitGatewayId="tgw-0123456789abcdef0")
    assert d.of_type(TGW) == []
    assert d.output("transitGatewayId") == "tgw-0123456789abcdef0"
    assert {v.get("transitGatewayId") for v in d.of_type(VPN)} == {"tgw-0123456789abcdef0"}
    assert d.of_type(TGW_RT)[0].get("transitGatewayId") == "tgw-0123456789abcdef0"
    # BGP peers use the adopted gateway's own ASN, looked up from AWS.
    assert {p.get("peerAsn") for p in d.of_type(PEER)} == {64600}
    assert any(tok.endswith("getTransitGateway") and args.get("id") == "tgw-0123456789abcdef0"
               for tok, args in d.calls)


def test_bad_setting_stops_before_any_resource():
    import pulumi
    with pytest.raises(pulumi.RunError, match="multicloud-vpn:siteToSite.tunnelsPerConnection: 3"):
        run_program(config_for("dev", tunnelsPerConnection=3), stack="dev")


def test_an_object_profile_sets_the_aws_tunnel_options_and_the_gcp_cipher_suite():
    config = config_for("dev", ikeProfile={"encryption": "AES256-GCM-16", "integrity": "SHA2-384", "dhGroup": 21,
                                           "phase1LifetimeSeconds": 14400, "phase2LifetimeSeconds": 1800})
    config["multicloud-vpn:offices"] = [{"name": "tokyo-office", "publicIp": "153.120.10.10",
                                         "cidrs": ["192.168.10.0/24"], "bgpAsn": 65010,
                                         "ikeProfile": {"encryption": "AES128", "integrity": "SHA2-256",
                                                        "dhGroup": 22, "phase2LifetimeSeconds": 900}}]
    d = run_program(config, stack="dev")
    vpn, office = d.named(VPN, "site-to-site-vpn-c0"), d.named(VPN, "offices-vpn-tokyo-office")
    for n in (1, 2):   # the idle AWS tunnel 2 of the dev layout too
        assert vpn.get(f"tunnel{n}IkeVersions") == office.get(f"tunnel{n}IkeVersions") == ["ikev2"]
        for phase in (1, 2):
            assert vpn.get(f"tunnel{n}Phase{phase}EncryptionAlgorithms") == ["AES256-GCM-16"]
            assert vpn.get(f"tunnel{n}Phase{phase}IntegrityAlgorithms") == ["SHA2-384"]
            assert vpn.get(f"tunnel{n}Phase{phase}DhGroupNumbers") == [21]
            assert office.get(f"tunnel{n}Phase{phase}EncryptionAlgorithms") == ["AES128"]
            assert office.get(f"tunnel{n}Phase{phase}IntegrityAlgorithms") == ["SHA2-256"]
            assert office.get(f"tunnel{n}Phase{phase}DhGroupNumbers") == [22]
        assert (vpn.get(f"tunnel{n}Phase1LifetimeSeconds"), vpn.get(f"tunnel{n}Phase2LifetimeSeconds")) == (14400, 1800)
        assert (office.get(f"tunnel{n}Phase1LifetimeSeconds"), office.get(f"tunnel{n}Phase2LifetimeSeconds")) == (
            28800, 900)
    suite = d.named(TUNNEL, "site-to-site-tunnel-c0-t1").get("cipherSuite")
    # AES-GCM is AEAD: GCP gets no integrity transform, SHA2-384 picks the PRF
    assert suite == {"phase1": {"encryptions": ["AES-GCM-16-256"], "prves": ["PRF-HMAC-SHA2-384"], "dhs": ["Group-21"]},
                     "phase2": {"encryptions": ["AES-GCM-16-256"], "pfs": ["Group-21"]}}
    assert [v.policy for v in run_rules(views(d), "dev", outputs={}, secret_values=[])
            if v.policy == "ike-pinned"] == []
