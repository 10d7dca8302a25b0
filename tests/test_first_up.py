"""What a first `pulumi up` meets in the clouds: defects the mocks alone would not show."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

import components.private_dns as private_dns
from components.planning.names import GCP_NAME, gcp_name
from offline.cloud_rules import CloudError, check_gcp_resource
from tests.harness import run_program
from tests.stacks import (
    ASSOCIATION,
    CGW,
    NETWORK,
    SUBNET,
    TGW_VPC_ATTACHMENT,
    TUNNEL,
    config_for,
    deploy,
)
from tests.test_settings import assert_names_key, error_for, settings_with

FIREWALL = "gcp:compute/firewall:Firewall"
PEERING = "gcp:compute/networkPeering:NetworkPeering"
SERVICE = "gcp:projects/service:Service"
ZONE = "gcp:dns/managedZone:ManagedZone"
POLICY = "gcp:dns/policy:Policy"
RESERVATION = "aws:ec2/subnetCidrReservation:SubnetCidrReservation"
RESOLVER = "aws:route53/resolverEndpoint:ResolverEndpoint"
RULE = "aws:route53/resolverRule:ResolverRule"


# ------------------------------------------------------------------------------- 4-byte ASNs
def test_a_four_byte_gcp_asn_uses_the_extended_customer_gateway_field():
    d = deploy("dev", gcpAsn=4200000001)
    cgw = d.of_type(CGW)[0]
    assert cgw.get("bgpAsnExtended") == "4200000001" and cgw.get("bgpAsn") is None


def test_a_two_byte_gcp_asn_stays_in_bgp_asn():
    cgw = deploy("dev").of_type(CGW)[0]
    assert cgw.get("bgpAsn") == "65000" and cgw.get("bgpAsnExtended") is None


# ---------------------------------------------------------------------------------- firewall
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_created_network_admits_the_aws_side_only(stack):
    d = deploy(stack)
    vpc_cidr = d.named("aws:ec2/vpc:Vpc", "aws-network-vpc").get("cidrBlock")
    rules = {r.get("network"): r for r in d.of_type(FIREWALL)}
    assert set(rules) == {n.id for n in d.of_type(NETWORK)}
    for rule in rules.values():
        assert rule.get("direction") == "INGRESS"
        assert rule.get("sourceRanges") == [vpc_cidr]
        assert {(a["protocol"], tuple(a.get("ports") or ())) for a in rule.get("allows")} == {
            ("icmp", ()), ("tcp", ("22", "443"))}
        assert rule.get("logConfig") is None


def test_firewall_protocols_ports_and_logging_are_settings():
    d = deploy("dev", sections={"gcpHub": {"firewall": {
        "allow": [{"protocol": "tcp", "ports": [5432, "8000-8100"]}, {"protocol": "udp"}],
        "logging": True}}})
    for rule in d.of_type(FIREWALL):
        assert rule.get("allows") == [{"protocol": "tcp", "ports": ["5432", "8000-8100"]},
                                      {"protocol": "udp"}]
        assert rule.get("logConfig") == {"metadata": "INCLUDE_ALL_METADATA"}


def test_an_empty_allow_list_admits_nothing():
    assert not deploy("dev", sections={"gcpHub": {"firewall": {"allow": []}}}).of_type(FIREWALL)


@pytest.mark.parametrize("firewall, key, fragment", [
    ({"allow": [{"protocol": "icmp", "ports": [22]}]}, "firewall.allow[0].ports[0]", "ports apply only"),
    ({"allow": [{"protocol": "gre"}]}, "firewall.allow[0].protocol", "'tcp'"),
    ({"allow": [{"protocol": "tcp", "ports": ["70000"]}]}, "firewall.allow[0].ports[0]", "0-65535"),
    ({"logging": "yes"}, "firewall.logging", "true or false"),
    ({"alow": []}, "firewall.alow", "unknown setting"),
])
def test_bad_firewall_settings_name_the_key(firewall, key, fragment):
    assert_names_key(error_for(gcpHub__firewall=firewall), f"multicloud-vpn:gcpHub.{key}", fragment)


# ---------------------------------------------------------------- peering and route operations
def test_each_peering_waits_for_both_networks_subnets_and_the_previous_peering():
    d = deploy("prod")
    hub_subnets = {s.urn for s in d.of_type(SUBNET) if s.name.startswith("gcp-hub-subnet-")}
    previous = None
    for spoke in ("spoke-prod-apps", "spoke-prod-data"):
        out = d.named(PEERING, f"gcp-hub-peering-hub-side-{spoke}")
        deps = set(out.options["dependencies"])
        assert hub_subnets <= deps
        assert d.named(SUBNET, f"gcp-hub-spoke-subnet-{spoke}").urn in deps
        if previous:
            assert previous in deps
        back = d.named(PEERING, f"gcp-hub-peering-spoke-side-{spoke}")
        assert out.urn in back.options["dependencies"]
        previous = back.urn


# --------------------------------------------------------------------------- replacements
def test_tunnels_are_deleted_before_they_are_replaced():
    for tunnel in deploy("prod").of_type(TUNNEL):
        assert tunnel.options["delete_before_replace"], tunnel.name


# --------------------------------------------------------------------------- prerequisites
def test_compute_and_dns_apis_are_enabled_first_and_kept_on_destroy():
    d = deploy("prod")
    services = {s.get("service"): s for s in d.of_type(SERVICE)}
    assert set(services) == {"compute.googleapis.com", "dns.googleapis.com"}
    assert all(s.get("disableOnDestroy") is False for s in services.values())
    compute, dns = services["compute.googleapis.com"].urn, services["dns.googleapis.com"].urn
    for network in d.of_type(NETWORK):
        assert compute in network.options["dependencies"], network.name
    for zone in (*d.of_type(ZONE), *d.of_type(POLICY)):
        assert dns in zone.options["dependencies"], zone.name


# ------------------------------------------------------------------ Cloud DNS forwarder lookup
def _lookups(d):
    return [args for token, args in d.calls if token.endswith("getAddresses")]


def test_forwarders_are_polled_until_they_appear(monkeypatch):
    monkeypatch.setattr(private_dns, "FORWARDER_LOOKUP_DELAY_SECONDS", 0)
    d = run_program(config_for("prod"), stack="prod", forwarder_lookups_before_ready=3)
    assert len(d.output("gcpDnsForwarderIps")) == 1
    assert len(_lookups(d)) == 4


def test_forwarders_that_never_appear_stop_the_run_with_a_way_out(monkeypatch):
    monkeypatch.setattr(private_dns, "FORWARDER_LOOKUP_DELAY_SECONDS", 0)
    with pytest.raises(Exception, match="gcpForwarderIps"):
        run_program(config_for("prod"), stack="prod", forwarder_lookups_before_ready=10**6)


def test_route53_rules_target_the_forwarders_in_the_vpn_region():
    d = deploy("prod")
    tokyo = d.named(SUBNET, "gcp-hub-subnet-hub-prod-tokyo")
    lookups = _lookups(d)
    assert [a["region"] for a in lookups] == ["asia-northeast1"]
    assert tokyo.state["selfLink"] in lookups[0]["filter"]
    net = ipaddress.IPv4Network(tokyo.get("ipCidrRange"))
    targets = [t["ip"] for t in d.of_type(RULE)[0].get("targetIps")]
    assert targets and all(ipaddress.IPv4Address(ip) in net for ip in targets)


# ----------------------------------------------------------------- fixed resolver addresses
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_fixed_resolver_addresses_are_reserved_before_anything_uses_the_subnets(stack):
    # dev's own DNS is the forwarder instance (tests/test_dns_forwarder.py): its Route 53 variant here.
    d = deploy(stack, sections={"dns": {"resolver": "route53", "awsToGcp": False}} if stack == "dev" else None)
    reservations = d.of_type(RESERVATION)
    assert len(reservations) == 2
    inbound = d.named(RESOLVER, "private-dns-inbound-endpoint")
    reserved = [ipaddress.IPv4Network(r.get("cidrBlock")) for r in reservations]
    assert all(r.get("reservationType") == "explicit" for r in reservations)
    for address in inbound.get("ipAddresses"):
        assert any(ipaddress.IPv4Address(address["ip"]) in net for net in reserved)
    urns = {r.urn for r in reservations}
    for consumer in (*d.of_type(TGW_VPC_ATTACHMENT), *d.of_type(ASSOCIATION), inbound):
        assert urns & set(consumer.options["property_dependencies"]), consumer.name


# ---------------------------------------------------------------------------------- GCP names
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=120),
                min_size=1, max_size=4))
def test_gcp_names_are_always_valid(parts):
    assert GCP_NAME.match(gcp_name(*parts))


def test_gcp_names_keep_distinct_inputs_apart():
    names = {gcp_name("forward", d) for d in ("corp-aws.internal.", "corp.aws-internal.",
                                               "corp.aws.internal.", "a" * 70 + ".x.", "a" * 70 + ".y.")}
    assert len(names) == 5


def test_long_spoke_names_and_domains_still_deploy():
    long_spoke = "s" + "p" * 61 + "x"   # 63 characters, the longest GCP accepts
    long_domain = ".".join(["label" + str(i) * 50 for i in range(3)]) + ".example.internal"
    d = deploy("prod", sections={
        "gcpHub": {"spokes": [{"name": long_spoke, "cidr": "10.101.0.0/20"}]},
        "dns": {"awsDomains": [long_domain], "gcpDomains": ["g" * 60 + ".example.internal"]}})
    for r in d.resources:
        if r.type.startswith("gcp:compute/") or r.type.startswith("gcp:dns/"):
            assert GCP_NAME.match(r.state["name"]), (r.type, r.state["name"])
    assert all(len(r.get("name")) <= 64 for r in d.of_type(RULE))


def test_the_evaluator_refuses_a_name_gcp_refuses():
    with pytest.raises(CloudError, match="resource.name"):
        check_gcp_resource(ZONE, {"name": "x" * 64})
    with pytest.raises(CloudError, match="resource.name"):
        check_gcp_resource(FIREWALL, {"name": "Hub-From-AWS"})
    check_gcp_resource(ZONE, {"name": "x" * 63})


def test_settings_accept_four_byte_asns():
    assert settings_with(siteToSite__gcpAsn=4200000001).site_to_site.gcp_asn == 4200000001
