"""On-premises DNS (`dns.forwardTargets`): names served by an office's DNS servers, forwarded to
from the GCP hub (its spokes peer with it) and from the VPC through the Route 53 outbound endpoint."""

import copy
import ipaddress

import pulumi
import pytest

from components.planning.dns_settings import DnsSettings, ForwardTarget, check_forward_servers
from components.planning.errors import SettingsError
from components.planning.names import gcp_name
from components.planning.settings import load_settings
from offline.evaluate import CloudMocks
from tests.estate import estate_config
from tests.harness import ROOT_DIR, run_program, stack_config, to_pulumi_config
from tests.stacks import SG, deploy
from tests.test_settings import assert_names_key, error_for

ZONE = "gcp:dns/managedZone:ManagedZone"
POLICY = "gcp:dns/policy:Policy"
ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint"
RULE = "aws:route53/resolverRule:ResolverRule"
RULE_ASSOC = "aws:route53/resolverRuleAssociation:ResolverRuleAssociation"
GCP_NET = "gcp:compute/network:Network"
GCP_SUBNET = "gcp:compute/subnetwork:Subnetwork"
AWS_SUBNET = "aws:ec2/subnet:Subnet"
KEY = "multicloud-vpn:dns.forwardTargets"

TARGETS = [
    {"domain": "corp.example.com", "servers": ["192.168.10.53", "192.168.10.54"]},
    {"domain": "Branch.Example.NET.", "servers": ["192.168.20.53"]},
]
EXPECTED = {"corp.example.com": ["192.168.10.53", "192.168.10.54"], "branch.example.net": ["192.168.20.53"]}

CASES = {
    "prod": lambda: deploy("prod", sections={"dns": {"forwardTargets": TARGETS}}),
    "prod-without-awsToGcp": lambda: deploy("prod", sections={"dns": {"forwardTargets": TARGETS,
                                                                      "awsToGcp": False}}),
    "dev-route53": lambda: deploy("dev", sections={"dns": {"forwardTargets": TARGETS, "resolver": "route53",
                                                          "awsToGcp": False}}),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    return request.param, CASES[request.param]()


def hub(d):
    return next(n for n in d.of_type(GCP_NET) if n.name == "gcp-hub-network")


def spoke_nets(d):
    return [n for n in d.of_type(GCP_NET) if n.name.startswith("gcp-hub-spoke-network-")]


def onprem_rules(d):
    return [r for r in d.of_type(RULE) if r.name.startswith("private-dns-onprem-rule-")]


# ------------------------------------------------------------------------------- GCP side
def test_a_forwarding_zone_in_the_hub_per_target(case):
    _, d = case
    zones = {z.get("dnsName"): z for z in d.of_type(ZONE) if z.name.startswith("private-dns-onprem-zone-")}
    assert set(zones) == {f"{domain}." for domain in EXPECTED}
    for domain, servers in EXPECTED.items():
        zone = d.named(ZONE, f"private-dns-onprem-zone-{domain}")
        assert zone is zones[f"{domain}."]
        assert zone.get("name") == gcp_name("onprem", f"{domain}.")
        assert zone.get("visibility") == "private"
        assert [n["networkUrl"] for n in zone.get("privateVisibilityConfig")["networks"]] == [hub(d).state["selfLink"]]
        targets = zone.get("forwardingConfig")["targetNameServers"]
        assert [t["ipv4Address"] for t in targets] == servers
        assert {t["forwardingPath"] for t in targets} == {"private"}


def test_every_spoke_reaches_the_targets_through_the_hub(case):
    """Spokes peer with the hub for the domain: Cloud DNS forwards from the network that asked,
    and only the hub has the VPN the answers come back over."""
    _, d = case
    hub_link = hub(d).state["selfLink"]
    spokes = spoke_nets(d)
    assert spokes
    for domain in EXPECTED:
        peering = [z for z in d.of_type(ZONE) if z.get("peeringConfig") and z.get("dnsName") == f"{domain}."]
        assert len(peering) == len(spokes)
        visible = {z.get("privateVisibilityConfig")["networks"][0]["networkUrl"] for z in peering}
        assert visible == {n.state["selfLink"] for n in spokes}
        assert {z.get("peeringConfig")["targetNetwork"]["networkUrl"] for z in peering} == {hub_link}
        for net in spokes:
            spoke = net.state["name"]
            zone = d.named(ZONE, f"private-dns-onprem-peering-zone-{spoke}.{domain}")
            assert zone.get("name") == gcp_name(spoke, "onprem-peer", f"{domain}.")


def test_the_cloud_router_still_advertises_the_dns_source(case):
    _, d = case
    ranges = [r["range"] for r in d.of_type("gcp:compute/router:Router")[0].get("bgp")["advertisedIpRanges"]]
    assert "35.199.192.0/19" in ranges


# ------------------------------------------------------------------------------- AWS side
def test_one_outbound_endpoint_at_the_fixed_addresses(case):
    name, d = case
    outbound = [e for e in d.of_type(ENDPOINT) if e.get("direction") == "OUTBOUND"]
    assert [e.name for e in outbound] == ["private-dns-outbound-endpoint"]
    endpoint = outbound[0]
    subnets = {s.id: s for s in d.of_type(AWS_SUBNET)}
    private = sorted((s for s in d.of_type(AWS_SUBNET) if s.name.startswith("aws-network-private")),
                     key=lambda s: s.name)
    # .54 of the first two private subnets, as the plan fixes them
    fixed = [str(ipaddress.IPv4Network(s.get("cidrBlock")).network_address + 54) for s in private[:2]]
    addresses = endpoint.get("ipAddresses")
    assert [a["ip"] for a in addresses] == fixed
    assert [subnets[a["subnetId"]].get("cidrBlock") for a in addresses] == [s.get("cidrBlock") for s in private[:2]]
    label = "to-gcp" if name == "prod" else "to-onprem"
    assert endpoint.get("name").endswith(f"-{label}")


def test_the_outbound_security_group_allows_dns_out_to_the_servers_and_nothing_in(case):
    name, d = case
    group = d.named(SG, "private-dns-outbound-sg")
    endpoint = d.named(ENDPOINT, "private-dns-outbound-endpoint")
    assert endpoint.get("securityGroupIds") == [group.id]
    assert group.get("ingress") in ([], None)
    egress = group.get("egress")
    assert all(r["fromPort"] == r["toPort"] == 53 and r["protocol"] in ("udp", "tcp") for r in egress)
    onprem = [r for r in egress if r["description"].startswith("On-premises DNS")]
    assert {r["protocol"] for r in onprem} == {"udp", "tcp"}
    servers = [f"{ip}/32" for ips in EXPECTED.values() for ip in ips]
    assert all(r["cidrBlocks"] == servers for r in onprem)
    hub_ranges = [s.get("ipCidrRange") for s in d.of_type(GCP_SUBNET) if s.name.startswith("gcp-hub-subnet-")]
    to_hub = [r for r in egress if r["description"].startswith("Cloud DNS inbound")]
    if name == "prod":  # awsToGcp: the group it always had, plus the servers
        assert {r["protocol"] for r in to_hub} == {"udp", "tcp"}
        assert all(r["cidrBlocks"] == hub_ranges for r in to_hub)
        assert group.get("description") == "Route 53 outbound endpoint: DNS to the GCP hub only; nothing inbound"
        assert len(egress) == 4
    else:
        assert not to_hub and len(egress) == 2


def test_a_forward_rule_and_an_association_per_target(case):
    _, d = case
    endpoint = d.named(ENDPOINT, "private-dns-outbound-endpoint")
    rules = onprem_rules(d)
    assert sorted(r.get("domainName") for r in rules) == sorted(EXPECTED)
    for domain, servers in EXPECTED.items():
        rule = d.named(RULE, f"private-dns-onprem-rule-{domain}")
        assert rule.get("ruleType") == "FORWARD" and rule.get("domainName") == domain
        assert rule.get("name") == f"to-onprem-{domain}"
        assert rule.get("resolverEndpointId") == endpoint.id
        assert rule.get("targetIps") == [{"ip": ip, "port": 53} for ip in servers]
        assoc = d.named(RULE_ASSOC, f"private-dns-onprem-rule-{domain}")
        assert assoc.get("resolverRuleId") == rule.id and assoc.get("vpcId") == d.output("vpcId")


def test_aws_to_gcp_is_kept_or_left_off_as_set(case):
    name, d = case
    gcp_rules = [r for r in d.of_type(RULE) if not r.name.startswith("private-dns-onprem-")]
    inbound = [p for p in d.of_type(POLICY) if p.get("enableInboundForwarding")]  # others only log
    if name == "prod":
        assert inbound and len(gcp_rules) == 1 and "gcpDnsForwarderIps" in d.outputs
    else:
        assert not inbound and not gcp_rules and "gcpDnsForwarderIps" not in d.outputs


def test_adding_targets_to_prod_changes_no_existing_resource_but_the_outbound_group():
    before = {(r.type, r.name): r.inputs for r in deploy("prod").resources}
    after = {(r.type, r.name): r.inputs for r in CASES["prod"]().resources}
    assert set(before) <= set(after)
    changed = {k for k in before if before[k] != after[k]}
    assert {name for _, name in changed} <= {"private-dns-outbound-sg"}
    added = {name for _, name in set(after) - set(before)}
    assert added and all(n.startswith("private-dns-onprem-") for n in added)


def test_an_existing_spoke_peers_for_the_targets_in_its_own_project():
    config = estate_config(stack_config("prod"))
    config["multicloud-vpn:dns"]["forwardTargets"] = copy.deepcopy(TARGETS)
    d = run_program(config, stack="prod")
    zone = d.named(ZONE, "private-dns-onprem-peering-zone-spoke-prod-erp.corp.example.com")
    assert zone.get("privateVisibilityConfig")["networks"][0]["networkUrl"].endswith("/networks/erp-vpc")
    assert d.by_urn(zone.provider.rsplit("::", 1)[0]).inputs["project"] == "erp-team-prod"


def test_long_domains_keep_bounded_distinct_names():
    long_a = ".".join(["a" * 40, "b" * 40, "example", "com"])
    long_b = ".".join(["a" * 40, "b" * 40, "example", "org"])
    d = deploy("dev", sections={"dns": {"resolver": "route53", "awsToGcp": False, "forwardTargets": [
        {"domain": long_a, "servers": ["192.168.10.53"]}, {"domain": long_b, "servers": ["192.168.10.53"]}]}})
    names = [r.get("name") for r in onprem_rules(d)]
    assert len(set(names)) == 2 and all(len(n) <= 64 for n in names)
    zones = [z.get("name") for z in d.of_type(ZONE) if "onprem" in z.name]
    assert len(set(zones)) == len(zones) == 4 and all(len(z) <= 63 for z in zones)
    group = d.named(SG, "private-dns-outbound-sg")
    assert all(r["cidrBlocks"] == ["192.168.10.53/32"] for r in group.get("egress"))  # one /32 per server


# ------------------------------------------------------------------------------- settings
def test_targets_parse_normalised():
    config = copy.deepcopy(stack_config("dev"))
    config["multicloud-vpn:dns"]["forwardTargets"] = TARGETS
    dns = load_settings(to_pulumi_config(config), ROOT_DIR).dns
    assert [(t.domain, t.servers) for t in dns.forward_targets] == [
        ("corp.example.com.", ("192.168.10.53", "192.168.10.54")), ("branch.example.net.", ("192.168.20.53",))]
    assert dns.aws_to_gcp and dns.gcp_to_aws


def targets(*entries):
    return {"dns__forwardTargets": list(entries)}


def target(domain="corp.example.com", servers=("192.168.10.53",)):
    return {"domain": domain, "servers": list(servers)}


@pytest.mark.parametrize("changes,key,fragment", [
    # server addresses
    (targets(target(servers=["8.8.8.8"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=["127.0.0.1"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=["169.254.169.253"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=["0.0.0.1"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=["100.64.0.10"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=["192.168.10.0/24"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=["fd00::53"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=["dns.corp.example.com"])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(servers=[53])), f"{KEY}[0].servers[0]", "private IPv4 address"),
    (targets(target(), target("b.example.com", ["192.168.10.53", "10.1.2.3", "10.1.2.3"])),
     f"{KEY}[1].servers[2]", "listed twice"),
    (targets(target(servers=["10.110.0.2"])), f"{KEY}[0].servers[0]", "GCP range 10.110.0.0/20"),   # hub subnet
    (targets(target(servers=["192.168.1.1", "10.111.15.254"])), f"{KEY}[0].servers[1]",
     "GCP range 10.111.0.0/20"),                                                                     # spoke
    # no servers
    (targets(target(servers=[])), f"{KEY}[0].servers", "at least one DNS server"),
    (targets({"domain": "corp.example.com"}), f"{KEY}[0].servers", "required"),
    (targets({"domain": "corp.example.com", "servers": "192.168.10.53"}), f"{KEY}[0].servers", "YAML list"),
    # domains
    (targets(target("aws.dev.example.internal")), f"{KEY}[0].domain", "multicloud-vpn:dns.awsDomains"),
    (targets(target("db.aws.dev.example.internal")), f"{KEY}[0].domain", "multicloud-vpn:dns.awsDomains"),
    (targets(target("example.internal")), f"{KEY}[0].domain", "multicloud-vpn:dns.awsDomains"),
    (targets(target("GCP.dev.example.internal.")), f"{KEY}[0].domain", "multicloud-vpn:dns.gcpDomains"),
    (targets(target("x.gcp.dev.example.internal")), f"{KEY}[0].domain", "multicloud-vpn:dns.gcpDomains"),
    (targets(target("dev.example.internal")), f"{KEY}[0].domain", "overlaps"),
    (targets(target(), target("Corp.Example.com.")), f"{KEY}[1].domain", "listed twice"),
    (targets(target("corp")), f"{KEY}[0].domain", "expected a DNS name"),
    (targets(target("corp..example.com")), f"{KEY}[0].domain", "expected a DNS name"),
    (targets(target("-corp.example.com")), f"{KEY}[0].domain", "expected a DNS name"),
    (targets(target("corp_dc.example.com")), f"{KEY}[0].domain", "expected a DNS name"),
    (targets(target(42)), f"{KEY}[0].domain", "expected a DNS name"),
    (targets({"servers": ["192.168.10.53"]}), f"{KEY}[0].domain", "required"),
    # shape
    (targets(target() | {"port": 5353}), f"{KEY}[0].port", "unknown setting"),
    (targets("corp.example.com"), f"{KEY}[0]", "YAML object"),
    ({"dns__forwardTargets": {"domain": "corp.example.com"}}, KEY, "YAML list"),
    (targets(target()) | {"dns__awsDomains": []}, KEY, "multicloud-vpn:dns.awsDomains"),
])
def test_bad_forward_targets_are_refused_naming_the_key(changes, key, fragment):
    assert_names_key(error_for(**changes), key, fragment)


def test_a_bad_target_stops_the_program_before_any_resource(monkeypatch):
    created = []
    original = CloudMocks.new_resource
    monkeypatch.setattr(CloudMocks, "new_resource", lambda self, args: created.append(args.typ) or original(self, args))
    config = copy.deepcopy(stack_config("dev"))
    config["multicloud-vpn:dns"]["forwardTargets"] = [target(servers=["10.110.0.2"])]
    with pytest.raises(pulumi.RunError) as caught:
        run_program(config, stack="dev")
    assert str(caught.value).startswith(f"invalid stack setting: {KEY}[0].servers[0]:"), str(caught.value)
    assert not [typ for typ in created if not typ.startswith("pulumi:providers:")]


def test_the_gcp_range_check_on_its_own():
    dns = DnsSettings(aws_domains=("a.example.",), forward_targets=(
        ForwardTarget("corp.example.", ("192.168.0.1", "10.5.0.9"), key="k[0]"),))
    check_forward_servers(dns, ("10.4.0.0/16",))          # outside: accepted
    dns.check_servers_outside(())
    with pytest.raises(SettingsError) as caught:
        check_forward_servers(dns, ("10.4.0.0/16", "10.5.0.0/16"))
    assert caught.value.key == "k[0].servers[1]" and "10.5.0.0/16" in str(caught.value)
