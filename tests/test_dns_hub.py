"""GCP hub and spokes, and private DNS both ways between GCP and AWS."""

import ipaddress

import pytest

from tests.stacks import AWS_ROUTE, AWS_ROUTE_TABLE, AWS_SUBNET, ROUTER, SG, deploy

PEERING = "gcp:compute/networkPeering:NetworkPeering"
GCP_NET = "gcp:compute/network:Network"
ZONE = "gcp:dns/managedZone:ManagedZone"
POLICY = "gcp:dns/policy:Policy"
R53_ZONE = "aws:route53/zone:Zone"
ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint"
RULE = "aws:route53/resolverRule:ResolverRule"
RULE_ASSOC = "aws:route53/resolverRuleAssociation:ResolverRuleAssociation"
DNS_SOURCE = "35.199.192.0/19"


def spokes(n):
    return [{"name": f"spoke-{i}", "cidr": f"10.{120 + i}.0.0/20"} for i in range(n)]


# dev itself uses the DNS forwarder instance (tests/test_dns_forwarder.py); here its Route 53 variant.
DEV_ROUTE53 = {"dns": {"resolver": "route53", "awsToGcp": False}}

CASES = {
    "dev-route53": lambda: deploy("dev", sections=DEV_ROUTE53),
    "prod": lambda: deploy("prod"),
    "0-spokes": lambda: deploy("prod", sections={"gcpHub": {"spokes": []}}),
    "1-spoke": lambda: deploy("prod", sections={"gcpHub": {"spokes": spokes(1)}}),
    "5-spokes": lambda: deploy("prod", sections={"gcpHub": {"spokes": spokes(5)}}),
}


@pytest.fixture(params=sorted(CASES))
def d(request):
    return CASES[request.param]()


def hub(d):
    return next(n for n in d.of_type(GCP_NET) if n.name == "gcp-hub-network")


def spoke_nets(d):
    return [n for n in d.of_type(GCP_NET) if n.name.startswith("gcp-hub-spoke-network-")]


def test_hub_routes_globally_and_owns_the_vpn(d):
    assert hub(d).get("routingMode") == "GLOBAL"
    assert d.of_type(ROUTER)[0].get("network") == hub(d).id


def test_peering_pairs_and_their_route_flags(d):
    nets = spoke_nets(d)
    peerings = d.of_type(PEERING)
    assert len(peerings) == 2 * len(nets)
    hub_link = hub(d).state["selfLink"]
    for net in nets:
        name = net.state["name"]
        out = d.named(PEERING, f"gcp-hub-peering-hub-side-{name}")
        back = d.named(PEERING, f"gcp-hub-peering-spoke-side-{name}")
        assert (out.get("network"), out.get("peerNetwork")) == (hub_link, net.state["selfLink"])
        assert (back.get("network"), back.get("peerNetwork")) == (net.state["selfLink"], hub_link)
        assert out.get("exportCustomRoutes") is True and out.get("importCustomRoutes") is False
        assert back.get("importCustomRoutes") is True and back.get("exportCustomRoutes") is False


def test_peerings_are_created_one_after_another(d):
    peerings = d.of_type(PEERING)
    for earlier, later in zip(peerings, peerings[1:], strict=False):
        assert earlier.urn in later.options["dependencies"], (earlier.name, later.name)


def test_cloud_router_advertises_spokes_and_the_dns_source(d):
    bgp = d.of_type(ROUTER)[0].get("bgp")
    assert bgp["advertisedGroups"] == ["ALL_SUBNETS"]
    ranges = [r["range"] for r in bgp.get("advertisedIpRanges", [])]
    spoke_ranges = [s.get("ipCidrRange") for s in d.of_type("gcp:compute/subnetwork:Subnetwork")
                    if s.name.startswith("gcp-hub-spoke-subnet-")]
    assert sorted(ranges) == sorted([*spoke_ranges, DNS_SOURCE])


def test_inbound_endpoint_has_two_addresses_in_two_zones(d):
    endpoint = d.named(ENDPOINT, "private-dns-inbound-endpoint")
    assert endpoint.get("direction") == "INBOUND"
    subnets = {s.id: s for s in d.of_type(AWS_SUBNET)}
    addresses = endpoint.get("ipAddresses")
    assert len(addresses) == 2
    zones = {subnets[a["subnetId"]].get("availabilityZone") for a in addresses}
    assert len(zones) == 2
    for a in addresses:
        assert ipaddress.IPv4Address(a["ip"]) in ipaddress.IPv4Network(subnets[a["subnetId"]].get("cidrBlock"))
    assert [a["ip"] for a in addresses] == d.output("dnsInboundResolverIps")


def test_inbound_security_group_admits_only_cloud_dns_on_port_53(d):
    group = d.named(SG, "private-dns-inbound-sg")
    rules = group.get("ingress")
    assert {r["protocol"] for r in rules} == {"tcp", "udp"}
    for r in rules:
        assert r["cidrBlocks"] == [DNS_SOURCE] and r["fromPort"] == r["toPort"] == 53
        assert not r.get("ipv6CidrBlocks") and not r.get("securityGroups")
    assert d.named(ENDPOINT, "private-dns-inbound-endpoint").get("securityGroupIds") == [group.id]


def test_dns_source_routes_back_over_the_vpn_from_the_endpoint_subnets(d):
    tables = {t.id for t in d.of_type(AWS_ROUTE_TABLE) if t.name.startswith("aws-network-private")}
    back = {r.get("routeTableId") for r in d.of_type(AWS_ROUTE)
            if r.get("destinationCidrBlock") == DNS_SOURCE and r.get("transitGatewayId")}
    assert back == tables


def test_forwarding_zones_in_the_hub_and_peering_zones_in_every_spoke(d):
    hub_link = hub(d).state["selfLink"]
    inbound = d.output("dnsInboundResolverIps")
    forwarding = [z for z in d.of_type(ZONE) if z.get("forwardingConfig")]
    assert len(forwarding) == 1  # one AWS domain per stack file
    zone = forwarding[0]
    assert zone.get("visibility") == "private"
    assert [n["networkUrl"] for n in zone.get("privateVisibilityConfig")["networks"]] == [hub_link]
    targets = zone.get("forwardingConfig")["targetNameServers"]
    assert [t["ipv4Address"] for t in targets] == inbound
    assert {t["forwardingPath"] for t in targets} == {"private"}
    peering = [z for z in d.of_type(ZONE) if z.get("peeringConfig")]
    assert len(peering) == len(spoke_nets(d))
    spoke_links = {n.state["selfLink"] for n in spoke_nets(d)}
    assert {z.get("privateVisibilityConfig")["networks"][0]["networkUrl"] for z in peering} == spoke_links
    for z in peering:
        assert z.get("dnsName") == zone.get("dnsName")
        assert z.get("peeringConfig")["targetNetwork"]["networkUrl"] == hub_link


def test_private_zones_are_created_and_visible_everywhere(d):
    r53 = d.of_type(R53_ZONE)
    assert len(r53) == 1 and r53[0].get("vpcs")[0]["vpcId"] == d.output("vpcId")
    gcp_zone = next(z for z in d.of_type(ZONE) if z.name.startswith("private-dns-private-zone-"))
    visible = {n["networkUrl"] for n in gcp_zone.get("privateVisibilityConfig")["networks"]}
    assert visible == {hub(d).state["selfLink"], *(n.state["selfLink"] for n in spoke_nets(d))}


def test_prod_resolves_aws_to_gcp():
    d = deploy("prod")
    policy = d.named(POLICY, "private-dns-hub-inbound-policy")
    assert policy.get("enableInboundForwarding") is True
    assert policy.get("networks") == [{"networkUrl": hub(d).id}]
    outbound = d.named(ENDPOINT, "private-dns-outbound-endpoint")
    assert outbound.get("direction") == "OUTBOUND" and len(outbound.get("ipAddresses")) == 2
    forwarders = d.output("gcpDnsForwarderIps")
    hub_ranges = [ipaddress.IPv4Network(s.get("ipCidrRange"))
                  for s in d.of_type("gcp:compute/subnetwork:Subnetwork") if s.name.startswith("gcp-hub-subnet-")]
    assert len(forwarders) == 1  # one inbound forwarder in the hub subnet of the VPN region
    assert all(any(ipaddress.IPv4Address(ip) in r for r in hub_ranges) for ip in forwarders)
    rule = d.of_type(RULE)[0]
    assert rule.get("ruleType") == "FORWARD" and rule.get("domainName") == "gcp.example.internal"
    assert rule.get("resolverEndpointId") == outbound.id
    assert sorted(t["ip"] for t in rule.get("targetIps")) == sorted(forwarders)
    assoc = d.of_type(RULE_ASSOC)[0]
    assert assoc.get("resolverRuleId") == rule.id and assoc.get("vpcId") == d.output("vpcId")
    group = d.named(SG, "private-dns-outbound-sg")
    assert group.get("ingress") in ([], None)
    assert {c for r in group.get("egress") for c in r["cidrBlocks"]} == {str(r) for r in hub_ranges}


def test_route53_without_aws_to_gcp_keeps_only_the_inbound_endpoint():
    d = deploy("dev", sections=DEV_ROUTE53)
    assert not any(p.get("enableInboundForwarding") for p in d.of_type(POLICY))  # logging only
    assert not d.of_type(RULE) and not d.of_type(RULE_ASSOC)
    assert [e.name for e in d.of_type(ENDPOINT)] == ["private-dns-inbound-endpoint"]
    assert "gcpDnsForwarderIps" not in d.outputs


def test_explicit_forwarder_addresses_skip_the_lookup():
    d = deploy("prod", sections={"dns": {"gcpForwarderIps": ["10.100.0.2", "10.100.16.2"]}})
    assert sorted(t["ip"] for t in d.of_type(RULE)[0].get("targetIps")) == ["10.100.0.2", "10.100.16.2"]
    assert not any(token.endswith("getAddresses") for token, _ in d.calls)


def test_no_aws_domains_means_no_inbound_endpoint_and_no_dns_route():
    d = deploy("dev", sections={"dns": {"awsDomains": []}})
    assert not d.of_type(ENDPOINT)
    assert not [r for r in d.of_type(AWS_ROUTE) if r.get("destinationCidrBlock") == DNS_SOURCE]
    ranges = [r["range"] for r in d.of_type(ROUTER)[0].get("bgp").get("advertisedIpRanges", [])]
    assert DNS_SOURCE not in ranges
