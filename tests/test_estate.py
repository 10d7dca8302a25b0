"""A stack joined to what exists: an existing spoke in another project, an attached VPC and two
offices (BGP and static). Only the joints are created."""

import ipaddress

import pytest

from offline.evaluate import contains_secret
from tests.estate import ATTACHED_VPC, EXISTING_SPOKE, OFFICES, estate_config
from tests.harness import run_program, stack_config
from tests.stacks import AWS_ROUTE, CGW, NETWORK, SUBNET, TGW_ASSOC, TGW_PROP, TGW_VPC_ATTACHMENT, VPN, deploy

PEERING = "gcp:compute/networkPeering:NetworkPeering"
ZONE = "gcp:dns/managedZone:ManagedZone"
TGW_ROUTE = "aws:ec2transitgateway/route:Route"
GCP_PROVIDER = "pulumi:providers:gcp"


@pytest.fixture(scope="module")
def d():
    return run_program(estate_config(stack_config("prod")), stack="prod")


@pytest.fixture(scope="module")
def base():
    return deploy("prod")


def test_the_existing_spoke_is_peered_not_created(d):
    assert EXISTING_SPOKE["network"] not in {n.get("name") for n in d.of_type(NETWORK)}
    assert EXISTING_SPOKE["name"] not in {s.get("name") for s in d.of_type(SUBNET)}
    link = "https://www.googleapis.com/compute/v1/projects/erp-team-prod/global/networks/erp-vpc"
    hub_side = d.named(PEERING, "gcp-hub-peering-hub-side-spoke-prod-erp")
    spoke_side = d.named(PEERING, "gcp-hub-peering-spoke-side-spoke-prod-erp")
    assert hub_side.get("peerNetwork") == link and hub_side.get("exportCustomRoutes") is True
    assert spoke_side.get("network") == link and spoke_side.get("importCustomRoutes") is True
    # made in the spoke's own project, after the previous peering (one at a time)
    provider = d.by_urn(spoke_side.provider.rsplit("::", 1)[0])
    assert provider.type == GCP_PROVIDER and provider.inputs["project"] == "erp-team-prod"
    previous = d.named(PEERING, "gcp-hub-peering-spoke-side-spoke-prod-data").urn
    assert previous in hub_side.options["dependencies"]


def test_the_existing_spoke_is_advertised_routed_and_resolves_through_the_hub(d):
    router = d.of_type("gcp:compute/router:Router")[0]
    advertised = {r["range"] for r in router.get("bgp")["advertisedIpRanges"]}
    assert set(EXISTING_SPOKE["cidrs"]) <= advertised
    routes = {r.get("destinationCidrBlock") for r in d.of_type(AWS_ROUTE) if r.name.startswith("aws-network-")}
    assert set(EXISTING_SPOKE["cidrs"]) <= routes
    zone = next(z for z in d.of_type(ZONE) if z.name.startswith("private-dns-peering-zone-spoke-prod-erp."))
    assert zone.get("privateVisibilityConfig")["networks"][0]["networkUrl"].endswith("/networks/erp-vpc")
    assert d.by_urn(zone.provider.rsplit("::", 1)[0]).inputs["project"] == "erp-team-prod"


def test_the_attached_vpc_gets_an_attachment_propagation_and_routes_only(d):
    attachment = d.named(TGW_VPC_ATTACHMENT, "attached-vpcs-attachment-shared-services")
    assert attachment.get("vpcId") == ATTACHED_VPC["vpcId"] and attachment.get("subnetIds") == ATTACHED_VPC["subnetIds"]
    for kind in (TGW_ASSOC, TGW_PROP):
        assert any(r.get("transitGatewayAttachmentId") == attachment.id for r in d.of_type(kind))
    routes = [r for r in d.of_type(AWS_ROUTE) if r.name.startswith("attached-vpcs-")]
    assert {r.get("routeTableId") for r in routes} == set(ATTACHED_VPC["routeTableIds"])
    destinations = {r.get("destinationCidrBlock") for r in routes}
    assert {"10.0.0.0/16", "10.100.0.0/20", "192.168.10.0/24", *EXISTING_SPOKE["cidrs"]} <= destinations
    assert "10.20.0.0/16" not in destinations
    assert not any(r.get("vpcId") == ATTACHED_VPC["vpcId"] for r in d.of_type("aws:ec2/subnet:Subnet"))
    program_routes = {r.get("destinationCidrBlock") for r in d.of_type(AWS_ROUTE) if r.name.startswith("aws-network-")}
    assert "10.20.0.0/16" in program_routes and "192.168.20.0/24" in program_routes


def test_offices_get_a_pinned_vpn_each_bgp_or_static(d):
    cgws = {c.get("ipAddress"): c for c in d.of_type(CGW)}
    bgp, static = OFFICES
    assert cgws[bgp["publicIp"]].get("bgpAsn") == "65010"
    vpns = {v.name: v for v in d.of_type(VPN)}
    tokyo, osaka = vpns["offices-vpn-tokyo-office"], vpns["offices-vpn-osaka-office"]
    assert tokyo.get("staticRoutesOnly") is False and osaka.get("staticRoutesOnly") is True
    for vpn in (tokyo, osaka):
        assert vpn.get("tunnel1IkeVersions") == ["ikev2"] and contains_secret(vpn.inputs["tunnel1PresharedKey"])
    static_routes = [r for r in d.of_type(TGW_ROUTE) if r.get("transitGatewayAttachmentId") == osaka.state[
        "transitGatewayAttachmentId"]]
    assert sorted(r.get("destinationCidrBlock") for r in static_routes) == static["cidrs"]
    inside = [v.get(f"tunnel{n}InsideCidr") for v in d.of_type(VPN) for n in (1, 2)]
    assert len(inside) == len(set(inside)) == 8


def test_office_outputs_and_the_secret_device_configuration(d):
    offices = d.output("offices")
    tunnels = offices["tokyo-office"]["tunnels"]
    assert offices["osaka-office"]["routing"] == "static" and len(tunnels) == 2
    assert all(ipaddress.IPv4Address(t["outsideIp"]) for t in tunnels)
    net = ipaddress.IPv4Network(tunnels[0]["insideCidr"])
    assert ipaddress.IPv4Address(tunnels[0]["awsInsideAddress"]) in net
    assert contains_secret(d.outputs["officeDeviceConfigurations"])
    assert "pre_shared_key" in d.output("officeDeviceConfigurations")["tokyo-office"]


def test_joining_the_estate_renames_or_replaces_nothing_that_exists(d, base):
    before = {(r.type, r.name): r for r in base.resources}
    after = {(r.type, r.name): r for r in d.resources}
    assert set(before) <= set(after)
    for key in (k for k in before if k[0] in (VPN, CGW, "gcp:compute/vPNTunnel:VPNTunnel", NETWORK, SUBNET)):
        assert before[key].inputs == after[key].inputs, key


def test_split_tunnel_reaches_offices_attached_vpcs_and_existing_spokes():
    config = estate_config(stack_config("prod"))
    config["multicloud-vpn:clientVpn"].update(splitTunnel=True, splitTunnelDestinations=[], authorization=None)
    d = run_program(config, stack="prod")
    routes = {r.get("destinationCidrBlock") for r in d.of_type("aws:ec2clientvpn/route:Route")}
    assert {"192.168.10.0/24", "10.20.0.0/16", *EXISTING_SPOKE["cidrs"]} <= routes


def test_the_offline_plan_reads_the_layout_not_the_vpn_count(tmp_path):
    import yaml

    from offline.plan import main
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(yaml.safe_dump({"config": estate_config(stack_config("prod"))}))
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([str(stack)]) == 0
    text = out.getvalue()
    assert "2 connections x 2 tunnels" in text and "Offices: 2 (osaka-office, tokyo-office)." in text
