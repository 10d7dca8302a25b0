"""Client VPN: SAML sign-in, fixed egress through the NAT, logs, chaining, client file."""

import pytest

from components.planning.client_vpn_plan import client_configuration
from tests.harness import contains_secret, is_secret, reveal
from tests.stacks import (
    ACM_CERT,
    ASSOCIATION,
    AWS_ROUTE,
    AWS_SUBNET,
    CVPN_ROUTE,
    ENDPOINT,
    LOG_GROUP,
    RULE,
    SAML,
    SG,
    TLS_KEY,
    deploy,
)

GCP_DEV = {"10.110.0.0/20", "10.111.0.0/20"}  # dev hub subnet and spoke
ADMINS = "906754a0e1-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
PARTNERS = "c4a8d4b8-1111-4222-8333-944455556666"


@pytest.fixture(params=["dev", "prod"])
def stack(request):
    return request.param, deploy(request.param)


def private_subnet_ids(d):
    return {s.id for s in d.of_type(AWS_SUBNET) if s.name.startswith("aws-network-private")}


def test_counts_per_stack(stack):
    name, d = stack
    zones = {"dev": 1, "prod": 2}[name]
    assert len(d.of_type(ENDPOINT)) == 1
    assert len(d.of_type(ASSOCIATION)) == zones
    assert len(d.of_type(CVPN_ROUTE)) == zones          # full tunnel: 0.0.0.0/0 per association
    # dev: one 0.0.0.0/0 rule for every SSO user; prod: the internet for everyone, the VPC and GCP
    # for two groups, the VPC resolver for everyone
    assert len(d.of_type(RULE)) == {"dev": 1, "prod": 5}[name]
    assert len(d.of_type(SAML)) == 1                    # no self-service portal unless asked for


def test_prod_gives_internal_ranges_only_to_groups():
    d = deploy("prod")
    rules = {(r.get("targetNetworkCidr"), r.get("accessGroupId") or "everyone") for r in d.of_type(RULE)}
    everyone = {cidr for cidr, who in rules if who == "everyone"}
    assert everyone == {"0.0.0.0/0", "10.0.0.2/32"}
    assert {cidr for cidr, who in rules if who != "everyone"} == {"10.0.0.0/16", "10.100.0.0/14"}
    assert d.of_type(ENDPOINT)[0].get("selfServicePortal") == "disabled"


def test_full_tunnel_sends_everything_to_the_nat(stack):
    _, d = stack
    endpoint = d.of_type(ENDPOINT)[0]
    assert endpoint.get("splitTunnel") is False
    associated = {a.get("subnetId") for a in d.of_type(ASSOCIATION)}
    assert associated <= private_subnet_ids(d)
    routes = d.of_type(CVPN_ROUTE)
    assert {r.get("destinationCidrBlock") for r in routes} == {"0.0.0.0/0"}
    assert {r.get("targetVpcSubnetId") for r in routes} == associated
    [rule] = [r for r in d.of_type(RULE) if r.get("targetNetworkCidr") == "0.0.0.0/0"]
    assert rule.get("authorizeAllGroups") is True   # the internet, through the Elastic IP, for everyone
    # the associated subnets' own default route is the NAT gateway (whose EIP is the egress IP)
    for route in d.of_type(AWS_ROUTE):
        table_subnet = route.name.removesuffix("-default")
        if route.name.startswith("aws-network-private-") and route.name.endswith("-default"):
            assert route.get("natGatewayId").startswith("nat-"), table_subnet


def test_federated_auth_uses_the_saml_provider(stack):
    name, d = stack
    endpoint = d.of_type(ENDPOINT)[0]
    saml = d.named(SAML, "client-vpn-saml")
    assert "IDPSSODescriptor" in saml.get("samlMetadataDocument")
    auth = endpoint.get("authenticationOptions")
    assert len(auth) == 1 and auth[0]["type"] == "federated-authentication"
    assert auth[0]["samlProviderArn"] == saml.state["arn"]
    assert "selfServiceSamlProviderArn" not in auth[0]
    assert endpoint.get("selfServicePortal") == "disabled"
    assert "selfServicePortalUrl" not in d.outputs


def test_the_self_service_portal_when_asked_for():
    d = deploy("prod", sections={"clientVpn": {
        "selfServiceSamlMetadataFile": "saml/examples/prod-self-service-idp-metadata.xml"}})
    endpoint = d.of_type(ENDPOINT)[0]
    auth = endpoint.get("authenticationOptions")
    portal = d.named(SAML, "client-vpn-saml-self-service")
    assert auth[0]["selfServiceSamlProviderArn"] == portal.state["arn"]
    assert endpoint.get("selfServicePortal") == "enabled"
    assert d.output("selfServicePortalUrl").startswith("https://self-service.clientvpn")


def test_endpoint_settings_are_explicit(stack):
    name, d = stack
    e = d.of_type(ENDPOINT)[0]
    assert e.get("transportProtocol") == "udp" and e.get("vpnPort") == 443
    assert e.get("sessionTimeoutHours") == {"dev": 12, "prod": 8}[name]
    assert e.get("disconnectOnSessionTimeout") is True
    # dev: the DNS forwarder instance (.52 of the first private subnet); prod: the VPC resolver.
    assert e.get("dnsServers") == [{"dev": "10.10.128.52", "prod": "10.0.0.2"}[name]]
    assert e.get("clientCidrBlock") == {"dev": "172.20.0.0/22", "prod": "172.16.0.0/20"}[name]
    banner = e.get("clientLoginBannerOptions")
    assert banner["enabled"] is (name == "prod")
    assert e.get("serverCertificateArn") == d.of_type(ACM_CERT)[0].state["arn"]


def test_connection_logs_go_to_cloudwatch_with_retention(stack):
    name, d = stack
    group = d.named(LOG_GROUP, "client-vpn-connection-logs")
    assert group.get("retentionInDays") == {"dev": 30, "prod": 365}[name]
    logs = d.of_type(ENDPOINT)[0].get("connectionLogOptions")
    assert logs["enabled"] is True and logs["cloudwatchLogGroup"] == group.state["name"]
    assert logs["cloudwatchLogStream"]


def test_security_group_admits_nothing_inbound(stack):
    _, d = stack
    sg = d.named(SG, "client-vpn-endpoint-sg")
    assert sg.get("ingress") in ([], None)
    assert not d.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert d.of_type(ENDPOINT)[0].get("securityGroupIds") == [sg.id]


def test_private_keys_stay_secret(stack):
    _, d = stack
    keys = d.of_type(TLS_KEY)
    assert {k.get("rsaBits") for k in keys} == {2048} and {k.get("algorithm") for k in keys} == {"RSA"}
    cert = d.of_type(ACM_CERT)[0]
    assert is_secret(cert.inputs["privateKey"])
    assert not is_secret(cert.inputs["certificateBody"])
    assert not contains_secret(d.outputs)
    flat = repr(reveal(d.outputs))
    assert "PRIVATE KEY" not in flat
    for key in keys:
        assert reveal(key.state["privateKeyPem"]) not in flat


def test_server_certificate_has_a_dns_name_and_server_use(stack):
    _, d = stack
    csr = d.of_type("tls:index/certRequest:CertRequest")[0]
    assert csr.get("dnsNames") == ["vpn.multicloud-vpn.internal"]
    signed = d.of_type("tls:index/locallySignedCert:LocallySignedCert")[0]
    assert "server_auth" in signed.get("allowedUses")
    assert d.of_type(ACM_CERT)[0].get("certificateChain") == d.of_type(
        "tls:index/selfSignedCert:SelfSignedCert")[0].state["certPem"]


def test_associations_routes_and_rules_form_one_chain(stack):
    _, d = stack
    chain = d.of_type(ASSOCIATION) + d.of_type(CVPN_ROUTE) + d.of_type(RULE)
    for earlier, later in zip(chain, chain[1:], strict=False):
        assert earlier.urn in later.options["dependencies"], (earlier.name, later.name)


def test_client_configuration_is_ready_to_import(stack):
    _, d = stack
    text = d.output("clientConfiguration")
    host = d.output("clientVpnDnsName").removeprefix("*.")
    assert f"remote {host} 443" in text.splitlines()
    ca = d.of_type("tls:index/selfSignedCert:SelfSignedCert")[0].state["certPem"].strip()
    assert f"<ca>\n{ca}\n</ca>" in text
    for line in ("proto udp", "auth-federate", "auth-user-pass", "remote-cert-tls server",
                 "cipher AES-256-GCM", "reneg-sec 0"):
        assert line in text.splitlines()
    assert "<cert>" not in text and "<key>" not in text


def test_client_configuration_strips_the_wildcard_and_uses_tcp():
    text = client_configuration("*.cvpn-endpoint-1.prod.clientvpn.x.amazonaws.com", 1194, "tcp", "CA",
                                server_name="vpn.example.internal")
    assert "remote cvpn-endpoint-1.prod.clientvpn.x.amazonaws.com 1194" in text
    assert "proto tcp" in text
    assert "verify-x509-name vpn.example.internal name" in text.splitlines()


def test_split_tunnel_routes_only_destinations_and_internal_ranges():
    d = deploy("dev", sections={"clientVpn": {"splitTunnel": True,
                                              "splitTunnelDestinations": ["203.0.113.0/24"]}})
    assert d.of_type(ENDPOINT)[0].get("splitTunnel") is True
    routes = {r.get("destinationCidrBlock") for r in d.of_type(CVPN_ROUTE)}
    assert routes == {"203.0.113.0/24", *GCP_DEV}  # the VPC route comes with the association
    rules = {r.get("targetNetworkCidr") for r in d.of_type(RULE)}
    assert rules == {"203.0.113.0/24", "10.10.0.0/16", *GCP_DEV}
    assert all(r.get("authorizeAllGroups") is True for r in d.of_type(RULE))


def test_access_groups_get_rules_per_destination():
    groups = [{"groupId": ADMINS}, {"groupId": PARTNERS, "destinations": ["203.0.113.0/24"]}]
    d = deploy("dev", sections={"clientVpn": {"splitTunnel": True, "accessGroups": groups,
                                              "splitTunnelDestinations": ["203.0.113.0/24"]}})
    rules = {(r.get("accessGroupId"), r.get("targetNetworkCidr")) for r in d.of_type(RULE)}
    dns = d.of_type(ENDPOINT)[0].get("dnsServers")[0]
    assert rules == {(ADMINS, "203.0.113.0/24"), (ADMINS, "10.10.0.0/16"),
                     *((ADMINS, r) for r in GCP_DEV), (PARTNERS, "203.0.113.0/24"),
                     (None, f"{dns}/32")}   # everyone may still ask the endpoint's DNS server
    assert [r.get("targetNetworkCidr") for r in d.of_type(RULE) if r.get("authorizeAllGroups")] == [f"{dns}/32"]


def test_client_vpn_can_be_switched_off():
    d = deploy("dev", sections={"clientVpn": {"enabled": False}})
    assert not d.of_type(ENDPOINT) and not d.of_type(SAML)
    assert "clientConfiguration" not in d.outputs
    assert d.output("egressIps")


@pytest.mark.parametrize("split", [False, True])
def test_client_route_enforcement_follows_the_tunnel_mode(split):
    d = deploy("dev", sections={"clientVpn": {"splitTunnel": split}})
    endpoint = d.of_type(ENDPOINT)[0]
    assert endpoint.get("clientRouteEnforcementOptions") == {"enforced": not split}
