"""Remote access inside a VPC that already exists (`network.existingVpc`): its subnets, its route
tables and its NAT gateway (the address partners already allowlist); nothing of it is created."""

import copy
import functools
import json

import pytest

from components.planning.errors import SettingsError
from components.planning.settings import load_settings
from tests.harness import ROOT_DIR, run_program, stack_config, to_pulumi_config
from tests.stacks import (
    ASSOCIATION,
    AWS_ROUTE,
    AWS_ROUTE_TABLE,
    AWS_SUBNET,
    EIP,
    ENDPOINT,
    NAT,
    TGW_VPC_ATTACHMENT,
    VPC,
)

REMOTE = ROOT_DIR / "examples" / "Pulumi.remote-access.yaml"
RESERVATION = "aws:ec2/subnetCidrReservation:SubnetCidrReservation"
RESOLVER = "aws:route53/resolverEndpoint:ResolverEndpoint"
ASG = "aws:autoscaling/group:Group"
CREATED_BY_THE_PROGRAMS_VPC = (VPC, AWS_SUBNET, AWS_ROUTE_TABLE, NAT, EIP, RESERVATION,
                               "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                               "aws:ec2/internetGateway:InternetGateway",
                               "aws:ec2/routeTableAssociation:RouteTableAssociation")

SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
TABLES = ["rtb-0bbbbbbbbbbbbbbb1", "rtb-0bbbbbbbbbbbbbbb2"]
NAT_ID = "nat-0ccccccccccccccc1"
RESOLVER_IPS = {"inbound": ["10.50.1.53", "10.50.2.53"], "outbound": ["10.50.1.54", "10.50.2.54"]}
EXISTING = {"vpcId": "vpc-0ddddddddddddddd1", "cidr": "10.50.0.0/16", "privateSubnetIds": SUBNETS,
            "routeTableIds": TABLES, "natGatewayId": NAT_ID}
DNS_SOURCE = "35.199.192.0/19"


def existing(**changes) -> dict:
    value = copy.deepcopy(EXISTING)
    value.update(changes)
    return value


def config(base: str, network: dict, **sections) -> dict:
    """A stack file's config whose network is replaced by `network`."""
    out = copy.deepcopy(stack_config(base))
    out["multicloud-vpn:network"] = network
    for name, value in sections.items():
        out[f"multicloud-vpn:{name}"] = value
    return out


@functools.cache
def _run(base: str, network: str, stack: str) -> object:
    return run_program(config(base, json.loads(network)), stack=stack)


def evaluate(base: str, network: dict, stack: str):
    return _run(base, json.dumps(network, sort_keys=True), stack)


@pytest.fixture(scope="module")
def remote():
    """Client VPN alone (no site-to-site VPN) in an existing VPC."""
    return evaluate(str(REMOTE), {"existingVpc": existing()}, "remote-access")


@pytest.fixture(scope="module")
def prod():
    """The prod stack (site-to-site VPN, DNS both ways) in an existing VPC."""
    return evaluate("prod", {"existingVpc": existing(resolverIps=RESOLVER_IPS)}, "prod")


def test_client_vpn_in_an_existing_vpc_creates_nothing_of_the_vpc(remote):
    for kind in CREATED_BY_THE_PROGRAMS_VPC:
        assert not remote.of_type(kind), kind
    assert remote.count(ENDPOINT) == 1
    assert remote.of_type(ENDPOINT)[0].get("vpcId") == EXISTING["vpcId"]
    assert remote.output("vpcId") == EXISTING["vpcId"]


def test_client_vpn_associates_with_the_given_subnets_in_order(remote):
    assert [a.get("subnetId") for a in remote.of_type(ASSOCIATION)] == SUBNETS


def test_client_vpn_dns_server_is_the_vpc_base_plus_two(remote):
    assert remote.of_type(ENDPOINT)[0].get("dnsServers") == ["10.50.0.2"]


def test_egress_ips_is_the_looked_up_address_of_the_existing_nat_gateway(remote):
    lookups = [a for token, a in remote.calls if token == "aws:ec2/getNatGateway:getNatGateway"]
    assert lookups == [{"id": NAT_ID}]
    (address,) = remote.output("egressIps")
    assert address.startswith("54.250.")


def test_without_site_to_site_no_route_and_no_attachment(remote):
    assert not remote.of_type(AWS_ROUTE) and not remote.of_type(TGW_VPC_ATTACHMENT)


def test_with_site_to_site_nothing_of_the_vpc_is_created(prod):
    for kind in CREATED_BY_THE_PROGRAMS_VPC:
        assert not prod.of_type(kind), kind


def test_with_site_to_site_the_attachment_uses_the_given_subnets(prod):
    (attachment,) = [a for a in prod.of_type(TGW_VPC_ATTACHMENT) if a.name.startswith("existing-vpc-")]
    assert attachment.get("vpcId") == EXISTING["vpcId"]
    assert attachment.get("subnetIds") == SUBNETS


def test_routes_go_only_into_the_given_route_tables(prod):
    settings = load_settings(to_pulumi_config(config("prod", {"existingVpc": existing(resolverIps=RESOLVER_IPS)})),
                             ROOT_DIR)
    routes = [r for r in prod.of_type(AWS_ROUTE) if r.name.startswith("existing-vpc-")]
    assert {r.get("routeTableId") for r in routes} == set(TABLES)
    expected = {(t, c) for t in TABLES for c in settings.aws_routes_to_gcp}
    assert {(r.get("routeTableId"), r.get("destinationCidrBlock")) for r in routes} == expected
    assert all(r.get("transitGatewayId") for r in routes)
    assert all(r.get("routeTableId") in TABLES for r in prod.of_type(AWS_ROUTE)
               if not r.name.startswith("attached-vpcs-"))


def test_gcp_query_source_is_routed_when_dns_needs_it(prod):
    routes = [r for r in prod.of_type(AWS_ROUTE) if r.get("destinationCidrBlock") == DNS_SOURCE]
    assert {r.get("routeTableId") for r in routes} == set(TABLES)


def test_dns_uses_the_chosen_resolver_addresses_in_the_first_two_subnets(prod):
    inbound = prod.named(RESOLVER, "private-dns-inbound-endpoint")
    outbound = prod.named(RESOLVER, "private-dns-outbound-endpoint")
    for endpoint, ips in ((inbound, RESOLVER_IPS["inbound"]), (outbound, RESOLVER_IPS["outbound"])):
        given = [(a["subnetId"], a["ip"]) for a in endpoint.get("ipAddresses")]
        assert given == list(zip(SUBNETS[:2], ips, strict=True))
    assert prod.output("dnsInboundResolverIps") == RESOLVER_IPS["inbound"]


def test_the_gcp_firewall_admits_the_existing_vpc_range(prod):
    sources = {s for f in prod.of_type("gcp:compute/firewall:Firewall") for s in f.get("sourceRanges") or ()}
    assert EXISTING["cidr"] in sources


def test_twingate_connectors_live_in_the_given_subnets():
    base = config(str(REMOTE), {"existingVpc": existing()},
                  twingate={"enabled": True, "groups": ["eng"], "amiId": "ami-0123456789abcdef0",
                            "resources": [{"name": "portal", "address": "portal.example.com"}]})
    base["twingate:apiToken"] = "tw-api-token-secret"
    base["twingate:network"] = "example"
    d = run_program(base, stack="remote-access")
    subnets = [s for g in d.of_type(ASG) for s in g.get("vpcZoneIdentifiers")]
    assert subnets and set(subnets) <= set(SUBNETS)
    for kind in CREATED_BY_THE_PROGRAMS_VPC:
        assert not d.of_type(kind), kind


def error(base, network: dict, **sections) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(to_pulumi_config(config(base, network, **sections)), ROOT_DIR)
    return str(caught.value)


KEY = "multicloud-vpn:network"


@pytest.mark.parametrize("network, key, fragment", [
    ({"existingVpc": existing(), "vpcCidr": "10.0.0.0/16"}, "vpcCidr", "not used with"),
    ({"existingVpc": existing(), "egress": {"eipAllocationId": "eipalloc-0123456789abcdef0"}}, "egress",
     "natGatewayId"),
    ({"existingVpc": existing(), "availabilityZones": 2}, "availabilityZones", "privateSubnetIds"),
    ({"existingVpc": existing(), "zones": ["ap-northeast-1a"]}, "zones", "not used with"),
    ({"existingVpc": existing(), "natGateways": "perZone"}, "natGateways", "natGatewayId"),
    ({"existingVpc": existing(vpcId="vpc-123")}, "existingVpc.vpcId", "vpc-"),
    ({"existingVpc": existing(vpcId="subnet-0aaaaaaaaaaaaaaa1")}, "existingVpc.vpcId", "vpc-"),
    ({"existingVpc": existing(privateSubnetIds=["subnet-xyz"])}, "existingVpc.privateSubnetIds[0]", "subnet-"),
    ({"existingVpc": existing(privateSubnetIds=[SUBNETS[0], SUBNETS[0]])}, "existingVpc.privateSubnetIds[1]",
     "listed twice"),
    ({"existingVpc": existing(privateSubnetIds=[])}, "existingVpc.privateSubnetIds", "at least one"),
    ({"existingVpc": existing(routeTableIds=["rtb-1"])}, "existingVpc.routeTableIds[0]", "rtb-"),
    ({"existingVpc": existing(natGatewayId="nat-1")}, "existingVpc.natGatewayId", "nat-"),
    ({"existingVpc": existing(natGatewayId=None)}, "existingVpc.natGatewayId", "required"),
    ({"existingVpc": existing(cidr="8.8.0.0/16")}, "existingVpc.cidr", "private"),
    ({"existingVpc": existing(cidr="10.50.0.1/16")}, "existingVpc.cidr", "private"),
    ({"existingVpc": existing(color="blue")}, "existingVpc.color", "unknown setting"),
    ({"existingVpc": existing(resolverIps={"inbound": ["10.50.1.53"], "outbound": ["10.50.1.54", "10.50.2.54"]})},
     "existingVpc.resolverIps.inbound", "expected 2"),
    ({"existingVpc": existing(resolverIps={**RESOLVER_IPS, "inbound": ["10.60.1.53", "10.50.2.53"]})},
     "existingVpc.resolverIps.inbound[0]", "inside existingVpc.cidr"),
    ({"existingVpc": existing(resolverIps={**RESOLVER_IPS, "outbound": ["10.50.1.53", "10.50.2.54"]})},
     "existingVpc.resolverIps.outbound[0]", "listed twice"),
    ({"existingVpc": existing(privateSubnetIds=SUBNETS[:1], resolverIps=RESOLVER_IPS)},
     "existingVpc.privateSubnetIds", "2 private subnets"),
])
def test_bad_existing_vpc_settings_name_the_key(network, key, fragment):
    message = error(str(REMOTE), network)
    assert message.startswith(f"{KEY}.{key}:"), message
    assert fragment in message, message


def test_dns_towards_aws_without_resolver_addresses_is_refused():
    message = error("prod", {"existingVpc": existing()})
    assert message.startswith(f"{KEY}.existingVpc.resolverIps:"), message
    assert "Route 53 Resolver" in message, message


def test_dns_towards_aws_with_one_private_subnet_is_refused():
    message = error("prod", {"existingVpc": existing(privateSubnetIds=SUBNETS[:1])})
    assert message.startswith(f"{KEY}.existingVpc.privateSubnetIds:"), message


def test_the_existing_range_must_not_overlap_gcp():
    message = error("prod", {"existingVpc": existing(cidr="10.100.0.0/16", resolverIps={
        "inbound": ["10.100.1.53", "10.100.2.53"], "outbound": ["10.100.1.54", "10.100.2.54"]})})
    assert "overlaps" in message, message
