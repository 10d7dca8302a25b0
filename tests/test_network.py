"""The AWS VPC: subnets, NAT, protected Elastic IPs, Transit Gateway attachment and routes."""

import ipaddress

import pytest

from components.planning.network_plan import plan_network
from tests.stacks import (
    AWS_ROUTE,
    AWS_ROUTE_TABLE,
    AWS_SUBNET,
    EIP,
    NAT,
    TGW_ASSOC,
    TGW_PROP,
    TGW_RT,
    TGW_VPC_ATTACHMENT,
    VPC,
    deploy,
)

CASES = {  # name -> (stack, network overrides, zones, NAT gateways, private subnets)
    "dev": ("dev", {}, 1, 1, 2),
    "prod": ("prod", {}, 2, 1, 2),
    "prod-per-zone-nat": ("prod", {"natGateways": "perZone"}, 2, 2, 2),
    "three-zones": ("prod", {"availabilityZones": 3, "natGateways": "perZone"}, 3, 3, 3),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    stack, overrides, zones, nats, private = CASES[request.param]
    return deploy(stack, sections={"network": overrides}), zones, nats, private


def subnets(d, public):
    return [s for s in d.of_type(AWS_SUBNET) if s.name.startswith(f"aws-network-{'public' if public else 'private'}")]


def test_subnets_span_zones_and_private_ones_at_least_two(case):
    d, zones, _, private = case
    vpc = ipaddress.IPv4Network(d.of_type(VPC)[0].get("cidrBlock"))
    assert len(subnets(d, True)) == zones
    assert len(subnets(d, False)) == private >= 2
    zone_names = {s.get("availabilityZone") for s in subnets(d, False)}
    assert len(zone_names) == private
    cidrs = [ipaddress.IPv4Network(s.get("cidrBlock")) for s in d.of_type(AWS_SUBNET)]
    assert all(c.subnet_of(vpc) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])


def test_private_subnets_leave_through_nat_and_public_through_igw(case):
    d, zones, nats, _ = case
    nat_ids = {n.id for n in d.of_type(NAT)}
    assert len(nat_ids) == nats
    defaults = {r.name: r for r in d.of_type(AWS_ROUTE) if r.get("destinationCidrBlock") == "0.0.0.0/0"}
    assert defaults["aws-network-public-default"].get("gatewayId").startswith("igw-")
    private_defaults = [r for n, r in defaults.items() if n.startswith("aws-network-private-")]
    assert len(private_defaults) == len(subnets(d, False))
    assert {r.get("natGatewayId") for r in private_defaults} == nat_ids
    for nat in d.of_type(NAT):
        subnet_ids = {s.id for s in subnets(d, True)}
        assert nat.get("subnetId") in subnet_ids


def test_elastic_ips_are_protected_retained_and_exported(case):
    d, _, nats, _ = case
    eips = d.of_type(EIP)
    assert len(eips) == nats
    for eip in eips:
        assert eip.options["protect"] is True
        assert eip.options["retain_on_delete"] is True
        assert eip.get("domain") == "vpc"
    assert sorted(d.output("egressIps")) == sorted(e.state["publicIp"] for e in eips)
    assert {n.get("allocationId") for n in d.of_type(NAT)} == {e.state["allocationId"] for e in eips}


def test_vpc_is_attached_to_the_transit_gateway_and_routes_gcp_there(case):
    d, _, _, _ = case
    attachment = d.named(TGW_VPC_ATTACHMENT, "aws-network-tgw-attachment")
    private_ids = {s.id for s in subnets(d, False)}
    assert set(attachment.get("subnetIds")) == private_ids
    assert attachment.get("transitGatewayId") == d.output("transitGatewayId")
    assert attachment.get("transitGatewayDefaultRouteTableAssociation") is False
    table = d.of_type(TGW_RT)[0].id
    for kind in (TGW_ASSOC, TGW_PROP):  # propagation is what makes AWS advertise the VPC to GCP
        suffix = "association" if kind == TGW_ASSOC else "propagation"
        row = d.named(kind, f"aws-network-tgw-attachment-{suffix}")
        assert row.get("transitGatewayAttachmentId") == attachment.id
        assert row.get("transitGatewayRouteTableId") == table
    # every GCP range (hub subnets and spokes) and Cloud DNS's forwarding source go to the TGW
    gcp = {s.get("ipCidrRange") for s in d.of_type("gcp:compute/subnetwork:Subnetwork")}
    gcp.add("35.199.192.0/19")
    private_tables = {t.id for t in d.of_type(AWS_ROUTE_TABLE) if t.name.startswith("aws-network-private")}
    to_tgw = [r for r in d.of_type(AWS_ROUTE) if r.get("transitGatewayId")]
    assert {(r.get("routeTableId"), r.get("destinationCidrBlock")) for r in to_tgw} == {
        (t, c) for t in private_tables for c in gcp}
    assert all(attachment.urn in r.options["dependencies"] for r in to_tgw)


def test_subnet_plan_is_stable_when_zones_are_added():
    one, three = plan_network("10.0.0.0/16", 1, False), plan_network("10.0.0.0/16", 3, True)
    assert set(one.public_subnets) <= set(three.public_subnets)
    assert set(one.private_subnets) <= set(three.private_subnets)
    assert one.resolver_ip == "10.0.0.2"
    assert three.nat_for_private(2) == 2 and one.nat_for_private(1) == 0
