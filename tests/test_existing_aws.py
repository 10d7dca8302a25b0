"""Keeping what exists on the AWS side: the allowlisted address, routes the VPC already has."""

import pytest

from tests.stacks import CVPN_ROUTE, EIP, NAT, RULE, deploy
from tests.test_settings import assert_names_key, error_for

ALLOCATION = "eipalloc-0123456789abcdef0"


def test_an_existing_elastic_ip_is_used_not_owned():
    d = deploy("prod", sections={"network": {"egress": {"eipAllocationId": ALLOCATION}}})
    assert not d.of_type(EIP)
    assert [n.get("allocationId") for n in d.of_type(NAT)] == [ALLOCATION]
    lookup = [a for token, a in d.calls if token == "aws:ec2/getElasticIp:getElasticIp"]
    assert lookup == [{"id": ALLOCATION}]
    assert d.output("egressIps")[0].startswith("54.250.")


def test_keeping_an_address_renames_nothing_else():
    before = deploy("prod").names() - {(EIP, "aws-network-egress-ip-0")}
    after = deploy("prod", sections={"network": {"egress": {"eipAllocationId": ALLOCATION}}}).names()
    assert before == after


@pytest.mark.parametrize("egress, nat, key, fragment", [
    ({"eipAllocationId": "eip-123"}, "shared", "egress.eipAllocationId", "eipalloc-"),
    ({"eipAllocationId": ALLOCATION}, "perZone", "egress.eipAllocationId", "natGateways: shared"),
    ({"allocationId": ALLOCATION}, "shared", "egress.allocationId", "did you mean eipAllocationId"),
])
def test_bad_egress_settings_name_the_key(egress, nat, key, fragment):
    message = error_for(network__egress=egress, network__natGateways=nat)
    assert_names_key(message, f"multicloud-vpn:network.{key}", fragment)


@pytest.mark.parametrize("split", [False, True])
def test_extra_routes_get_client_vpn_routes_and_rules_in_both_modes(split):
    # without `authorization` every routed range gets an every-user rule (prod lists its own)
    d = deploy("prod", sections={"clientVpn": {"splitTunnel": split, "extraRoutes": ["192.168.50.0/24"],
                                               "authorization": None}})
    routes = [r for r in d.of_type(CVPN_ROUTE) if r.get("destinationCidrBlock") == "192.168.50.0/24"]
    assert len(routes) == 2  # one per associated zone
    assert any(r.get("targetNetworkCidr") == "192.168.50.0/24" for r in d.of_type(RULE))


@pytest.mark.parametrize("extra, fragment", [
    (["172.20.1.0/24"], "overlaps multicloud-vpn:clientVpn.clientCidr"),
    (["10.10.8.0/24"], "overlaps multicloud-vpn:network.vpcCidr"),
    (["0.0.0.0/0"], "full tunnel"),
])
def test_extra_routes_that_overlap_are_refused(extra, fragment):
    message = error_for(clientVpn__extraRoutes=extra)
    assert "multicloud-vpn:clientVpn.extraRoutes" in message and fragment in message, message
