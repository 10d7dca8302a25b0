"""Audit trails: the settings, the logs each stack writes, and the policy that wants them."""

import json

import pytest

from components.planning.audit_settings import VPC_FLOW_LOG_FORMAT, AuditSettings
from offline.summary import views
from policy.rules import ADVISORY, MANDATORY, ResourceView, run_rules
from tests.harness import ROOT_DIR, run_program, stack_config
from tests.stacks import LOG_GROUP, TGW, TGW_VPC_ATTACHMENT, VPC, deploy
from tests.test_settings import assert_names_key, error_for, settings_with

AUDIT = "multicloud-vpn:audit"


def test_audit_defaults_log_everything_but_gcp_subnet_flows():
    audit = settings_with(audit__logRetentionDays=None).audit  # dev sets 30
    assert audit == AuditSettings()
    assert audit.log_retention_days == 365 and audit.kms_key_arn is None
    assert audit.vpc_flow_logs and audit.transit_gateway_flow_logs and audit.resolver_query_logs
    assert audit.vpn_tunnel_logs and audit.cloud_dns_logging and not audit.gcp_subnet_flow_logs
    assert "${pkt-srcaddr}" in VPC_FLOW_LOG_FORMAT and "${pkt-dstaddr}" in VPC_FLOW_LOG_FORMAT


def test_audit_settings_are_read():
    key = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    audit = settings_with(audit__logRetentionDays=90, audit__kmsKeyArn=key, audit__vpcFlowLogs=False,
                          audit__gcpSubnetFlowLogs=True, audit__gcpFlowSampling=1).audit
    assert (audit.log_retention_days, audit.kms_key_arn, audit.vpc_flow_logs) == (90, key, False)
    assert audit.gcp_subnet_flow_logs and audit.gcp_flow_sampling == 1.0


@pytest.mark.parametrize("changes,key,fragment", [
    ({"audit__logRetentionDays": 10}, f"{AUDIT}.logRetentionDays", "accepted values: 1, 3, 5"),
    ({"audit__logRetentionDays": 0}, f"{AUDIT}.logRetentionDays", "accepted values: 1, 3, 5"),
    ({"audit__logRetentionDays": "30"}, f"{AUDIT}.logRetentionDays", "accepted values"),
    ({"audit__kmsKeyArn": "alias/logs"}, f"{AUDIT}.kmsKeyArn", "not an alias"),
    ({"audit__kmsKeyArn": "arn:aws:kms:ap-northeast-1:123456789012:alias/logs"}, f"{AUDIT}.kmsKeyArn",
     "not an alias"),
    ({"audit__kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
     f"{AUDIT}.kmsKeyArn", "must be in aws:region (ap-northeast-1)"),
    ({"audit__vpcFlowLogs": "yes"}, f"{AUDIT}.vpcFlowLogs", "expected true or false"),
    ({"audit__gcpFlowSampling": 0}, f"{AUDIT}.gcpFlowSampling", "above 0 and at most 1"),
    ({"audit__gcpFlowSampling": 1.5}, f"{AUDIT}.gcpFlowSampling", "above 0 and at most 1"),
    ({"audit__gcpFlowSampling": True}, f"{AUDIT}.gcpFlowSampling", "above 0 and at most 1"),
    ({"audit__flowLogs": True}, f"{AUDIT}.flowLogs", "unknown setting"),
])
def test_bad_audit_settings_name_the_key(changes, key, fragment):
    assert_names_key(error_for(**changes), key, fragment)


def test_gcp_subnet_flow_logs_need_gcp():
    from components.planning.audit_settings import parse_audit
    from components.planning.errors import SettingsError
    from components.planning.fields import Section
    with pytest.raises(SettingsError) as caught:
        parse_audit(Section(AUDIT, {"gcpSubnetFlowLogs": True}), with_gcp=False)
    assert_names_key(str(caught.value), f"{AUDIT}.gcpSubnetFlowLogs", "needs multicloud-vpn:siteToSite")
    assert parse_audit(Section(AUDIT, {}), with_gcp=False).cloud_dns_logging  # on by default, harmless


# ------------------------------------------------------------------------------ flow logs
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
QUERY_LOG = "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig"
DNS_POLICY = "gcp:dns/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TGW_ID = "tgw-0123456789abcdef0"


def audit_children(d):
    (trail,) = d.of_type("multicloud-vpn:index:AuditTrail")
    return trail, [r for r in d.resources if r.parent == trail.urn]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_egress_vpc_logs_all_traffic_with_the_packets_own_addresses(stack):
    d = deploy(stack)
    (vpc,) = d.of_type(VPC)
    log = d.named(FLOW_LOG, "audit-vpc-flow-log")
    assert log.get("vpcId") == vpc.id and log.get("trafficType") == "ALL"
    assert log.get("logFormat") == VPC_FLOW_LOG_FORMAT
    assert log.get("maxAggregationInterval") == 60
    group = d.named(LOG_GROUP, "audit-vpc-flow-logs")
    assert log.get("logDestination") == group.state["arn"] and log.get("logDestinationType") == "cloud-watch-logs"
    assert group.get("name") == f"/multicloud-vpn/{stack}/vpc-flow-logs"
    assert group.get("retentionInDays") == {"dev": 30, "prod": 365}[stack]
    assert group.get("kmsKeyId") is None
    role = d.named(ROLE, "audit-vpc-flow-logs-role")
    assert log.get("iamRoleArn") == role.state["arn"]


def test_the_flow_log_role_writes_to_its_group_only_and_only_this_accounts_flow_logs_assume_it():
    d = deploy("prod")
    group = d.named(LOG_GROUP, "audit-vpc-flow-logs").state["arn"]
    (statement,) = json.loads(d.named(ROLE_POLICY, "audit-vpc-flow-logs-delivery").get("policy"))["Statement"]
    assert statement["Resource"] == [group, f"{group}:*"]
    assert "*" not in statement["Resource"] and not any(a.endswith("*") for a in statement["Action"])
    (trust,) = json.loads(d.named(ROLE, "audit-vpc-flow-logs-role").get("assumeRolePolicy"))["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:ec2:ap-northeast-1:123456789012:vpc-flow-log/*"}


def test_the_flow_logs_wait_for_their_role_policy():
    d = deploy("prod")
    for log, policy in (("audit-vpc-flow-log", "audit-vpc-flow-logs-delivery"),
                        ("audit-tgw-flow-log", "audit-tgw-flow-logs-delivery")):
        assert d.named(ROLE_POLICY, policy).urn in d.named(FLOW_LOG, log).options["dependencies"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_transit_gateway_created_here_is_logged_whole(stack):
    d = deploy(stack)
    (tgw,) = d.of_type(TGW)
    log = d.named(FLOW_LOG, "audit-tgw-flow-log")
    assert log.get("transitGatewayId") == tgw.id and log.get("maxAggregationInterval") == 60
    assert log.get("trafficType") is None  # Transit Gateway flow logs take no traffic type
    assert log.get("logDestination") == d.named(LOG_GROUP, "audit-tgw-flow-logs").state["arn"]
    trail, children = audit_children(d)
    assert {r.name for r in children if r.type == FLOW_LOG} == {"audit-vpc-flow-log", "audit-tgw-flow-log"}
    assert all(r.name.startswith("audit-") for r in children)


def test_an_adopted_transit_gateway_logs_only_the_programs_attachments():
    d = deploy("prod", transitGatewayId=TGW_ID)
    logs = {r.name: r for r in d.of_type(FLOW_LOG)}
    assert not any(r.get("transitGatewayId") for r in logs.values())
    vpns = d.of_type("aws:ec2/vpnConnection:VpnConnection")
    (attachment,) = d.of_type(TGW_VPC_ATTACHMENT)
    expected = {f"audit-tgw-attachment-flow-log-site-to-site-c{c}": v.state["transitGatewayAttachmentId"]
                for c, v in enumerate(sorted(vpns, key=lambda v: v.name))}
    expected["audit-tgw-attachment-flow-log-vpc"] = attachment.id
    assert {n: r.get("transitGatewayAttachmentId") for n, r in logs.items() if "attachment" in n} == expected


def test_each_trail_can_be_turned_off():
    off = {f: False for f in ("vpcFlowLogs", "transitGatewayFlowLogs", "resolverQueryLogs", "vpnTunnelLogs",
                              "cloudDnsLogging")}
    d = deploy("prod", sections={"audit": off})
    assert not d.of_type(FLOW_LOG) and not d.of_type(ROLE_POLICY) and not d.of_type(QUERY_LOG)
    assert [g.name for g in d.of_type(LOG_GROUP)] == ["client-vpn-connection-logs"]
    assert [p.get("enableLogging") for p in d.of_type(DNS_POLICY)] == [False]
    only_flows = deploy("prod", sections={"audit": {"vpcFlowLogs": False, "transitGatewayFlowLogs": False}})
    assert not only_flows.of_type(FLOW_LOG) and only_flows.of_type(QUERY_LOG)


def test_a_kms_key_encrypts_every_log_group_client_vpns_included():
    key = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    d = deploy("dev", sections={"audit": {"kmsKeyArn": key}})
    groups = {g.name: g.get("kmsKeyId") for g in d.of_type(LOG_GROUP)}
    assert groups == {n: key for n in ("audit-vpc-flow-logs", "audit-tgw-flow-logs", "audit-resolver-queries",
                                       "site-to-site-tunnel-logs", "client-vpn-connection-logs")}


def test_a_remote_access_stack_logs_its_vpc_and_has_no_gateway_to_log():
    d = run_program(stack_config(str(ROOT_DIR / "examples" / "Pulumi.remote-access.yaml")), stack="remote-access")
    assert [r.name for r in d.of_type(FLOW_LOG)] == ["audit-vpc-flow-log"]


def test_an_existing_vpc_gets_its_flow_log_as_a_joint():
    from tests.test_existing_vpc import EXISTING, REMOTE, evaluate
    d = evaluate(str(REMOTE), {"existingVpc": EXISTING}, "remote-access")
    (log,) = d.of_type(FLOW_LOG)
    assert log.get("vpcId") == EXISTING["vpcId"] and log.get("trafficType") == "ALL"
    assert not d.of_type(VPC)


# ------------------------------------------------------------------------------ DNS and tunnel logs
QUERY_LOG_ASSOC = "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation"
VPN = "aws:ec2/vpnConnection:VpnConnection"
NETWORK = "gcp:compute/network:Network"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_vpc_resolver_logs_its_queries(stack):
    d = deploy(stack)
    (config,) = d.of_type(QUERY_LOG)
    group = d.named(LOG_GROUP, "audit-resolver-queries")
    assert config.get("destinationArn") == group.state["arn"] and config.get("name") == f"multicloud-vpn-{stack}"
    (association,) = d.of_type(QUERY_LOG_ASSOC)
    assert association.get("resolverQueryLogConfigId") == config.id
    assert association.get("resourceId") == d.of_type(VPC)[0].id


def test_an_existing_vpcs_resolver_logs_its_queries_too():
    from tests.test_existing_vpc import EXISTING, REMOTE, evaluate
    d = evaluate(str(REMOTE), {"existingVpc": EXISTING}, "remote-access")
    assert d.of_type(QUERY_LOG_ASSOC)[0].get("resourceId") == EXISTING["vpcId"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_tunnel_sends_its_ike_and_bgp_logs_to_the_tunnel_log_group(stack):
    d = deploy(stack)
    group = d.named(LOG_GROUP, "site-to-site-tunnel-logs")
    assert group.get("name") == f"/multicloud-vpn/{stack}/site-to-site-tunnels"
    assert group.parent == d.of_type("multicloud-vpn:index:SiteToSiteVpn")[0].urn
    vpns = d.of_type(VPN)
    assert vpns
    for vpn in vpns:
        for n in (1, 2):  # the idle tunnel of a 1 x 1 layout too: it may come up
            assert vpn.get(f"tunnel{n}LogOptions") == {"cloudwatchLogOptions": {
                "logEnabled": True, "logGroupArn": group.state["arn"], "logOutputFormat": "json",
                "bgpLogEnabled": True, "bgpLogGroupArn": group.state["arn"], "bgpLogOutputFormat": "json"}}


def test_office_tunnels_log_to_the_offices_group():
    office = {"name": "tokyo", "publicIp": "153.120.10.10", "cidrs": ["192.168.10.0/24"], "bgpAsn": 65010}
    config = stack_config("prod")
    config["multicloud-vpn:offices"] = [office]
    d = run_program(config, stack="prod")
    group = d.named(LOG_GROUP, "offices-tunnel-logs")
    vpn = d.named(VPN, "offices-vpn-tokyo")
    assert vpn.get("tunnel2LogOptions")["cloudwatchLogOptions"]["logGroupArn"] == group.state["arn"]


def test_tunnel_logs_off_leaves_the_tunnels_unlogged():
    d = deploy("dev", sections={"audit": {"vpnTunnelLogs": False}})
    assert not any(g.name.endswith("tunnel-logs") for g in d.of_type(LOG_GROUP))
    assert all(v.get("tunnel1LogOptions") is None for v in d.of_type(VPN))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cloud_dns_logs_the_hub_and_every_spoke_created_here(stack):
    d = deploy(stack)
    networks = {n.id: n for n in d.of_type(NETWORK)}
    hub = next(n for n in networks.values() if n.name == "gcp-hub-network")
    policy = d.named(DNS_POLICY, "private-dns-hub-inbound-policy")
    assert policy.get("enableLogging") is True and policy.get("networks") == [{"networkUrl": hub.id}]
    aws_to_gcp = settings_with().dns.aws_to_gcp if stack == "dev" else True
    assert policy.get("enableInboundForwarding") is aws_to_gcp
    spokes = [n for n in networks.values() if n.name.startswith("gcp-hub-spoke-network-")]
    logged = {p.get("networks")[0]["networkUrl"] for p in d.of_type(DNS_POLICY) if p is not policy}
    assert logged == {n.state["selfLink"] for n in spokes}
    assert all(p.get("enableLogging") is True and p.get("enableInboundForwarding") is False
               for p in d.of_type(DNS_POLICY) if p is not policy)


def test_the_hub_policy_exists_for_inbound_forwarding_or_logging_and_does_each_as_set():
    no_aws_to_gcp = {"dns": {"awsToGcp": False}, "audit": {"cloudDnsLogging": False}}
    assert not deploy("prod", sections=no_aws_to_gcp).of_type(DNS_POLICY)
    logged = deploy("prod", sections={"dns": {"awsToGcp": False}})
    hub = logged.named(DNS_POLICY, "private-dns-hub-inbound-policy")
    assert hub.get("enableInboundForwarding") is False and hub.get("enableLogging") is True
    prod = deploy("prod", sections={"audit": {"cloudDnsLogging": False}})
    (policy,) = prod.of_type(DNS_POLICY)
    assert policy.get("enableLogging") is False and policy.get("enableInboundForwarding") is True


def test_an_existing_spokes_dns_policy_is_left_to_its_owner():
    spokes = [{"name": "spoke-prod-apps", "cidr": "10.101.0.0/20"},
              {"name": "legacy", "network": "legacy-vpc", "project": "other-project-123", "cidrs": ["10.120.0.0/20"]}]
    d = deploy("prod", sections={"gcpHub": {"spokes": spokes}})
    names = {p.name for p in d.of_type(DNS_POLICY)}
    assert names == {"private-dns-hub-inbound-policy", "private-dns-spoke-dns-policy-spoke-prod-apps"}


# ------------------------------------------------------------------------------ GCP subnet flow logs
GCP_SUBNET = "gcp:compute/subnetwork:Subnetwork"


def test_gcp_subnet_flow_logs_are_off_by_default():
    assert all(s.get("logConfig") is None for s in deploy("prod").of_type(GCP_SUBNET))


def test_gcp_subnet_flow_logs_cover_every_subnet_created_here():
    d = deploy("prod", sections={"audit": {"gcpSubnetFlowLogs": True, "gcpFlowSampling": 0.25}})
    subnets = d.of_type(GCP_SUBNET)
    assert len(subnets) == 4  # two hub subnets, two spokes
    assert all(s.get("logConfig") == {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.25,
                                      "metadata": "INCLUDE_ALL_METADATA"} for s in subnets)


# ------------------------------------------------------------------------------ the policy
def flow_rules(resources, stack):
    return [(v.policy, v.level, v.message) for v in run_rules(resources, stack)
            if v.policy.startswith("egress-flow-logs")]


def flow_log(**props):
    base = {"vpcId": "vpc-0123456789abcdef0", "trafficType": "ALL", "logFormat": VPC_FLOW_LOG_FORMAT}
    return ResourceView(FLOW_LOG, "fl", {**base, **props})


VPC_VIEW = ResourceView(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})


@pytest.mark.parametrize("resources,bad", [
    ([VPC_VIEW, flow_log()], False),
    ([VPC_VIEW], True),
    ([VPC_VIEW, flow_log(trafficType="ACCEPT")], True),
    ([VPC_VIEW, flow_log(logFormat="${srcaddr} ${dstaddr} ${pkt-srcaddr}")], True),
    ([VPC_VIEW, flow_log(logFormat=None)], True),                  # the default format has no pkt- fields
    ([VPC_VIEW, ResourceView(FLOW_LOG, "tgw", {"transitGatewayId": "tgw-0", "logFormat": VPC_FLOW_LOG_FORMAT,
                                               "trafficType": "ALL"})], True),  # not a VPC's
    ([VPC_VIEW, VPC_VIEW, flow_log()], True),                      # one flow log for two VPCs
    ([], False),                                                   # no VPC: site-to-site alone
    ([ResourceView("aws:ec2clientvpn/endpoint:Endpoint", "cvpn", {})], True),  # in an existing VPC
    ([ResourceView("aws:ec2clientvpn/endpoint:Endpoint", "cvpn", {}), flow_log()], False),
])
def test_the_flow_log_rule_wants_all_traffic_with_packet_addresses_per_egress_vpc(resources, bad):
    prod, dev = flow_rules(resources, "prod"), flow_rules(resources, "dev")
    assert bool(prod) is bad and bool(dev) is bad
    assert {(p, level) for p, level, _ in prod} <= {("egress-flow-logs", MANDATORY)}
    assert {(p, level) for p, level, _ in dev} <= {("egress-flow-logs-advisory", ADVISORY)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stacks_pass_the_flow_log_rule_and_fail_it_without_flow_logs(stack):
    assert flow_rules(views(deploy(stack)), stack) == []
    off = flow_rules(views(deploy(stack, sections={"audit": {"vpcFlowLogs": False}})), stack)
    level = MANDATORY if stack == "prod" else ADVISORY
    assert [(lvl, "cannot be answered" in m) for _, lvl, m in off] == [(level, True)]


def test_the_flow_log_rule_checks_a_first_preview_without_unknowns():
    d = run_program(stack_config("prod"), stack="prod", preview=True)
    assert flow_rules(views(d), "prod") == []


def test_on_a_virtual_private_gateway_the_vpc_and_the_tunnels_are_logged_and_no_gateway_flow_log_is_made():
    d = deploy("dev", sections={"siteToSite": {"termination": "vpnGateway"}})
    assert not d.of_type(TGW)
    assert [r.name for r in d.of_type(FLOW_LOG)] == ["audit-vpc-flow-log"]  # no flow logs of a VGW exist
    group = d.named(LOG_GROUP, "site-to-site-tunnel-logs").state["arn"]
    (vpn,) = d.of_type(VPN)
    assert vpn.get("tunnel1LogOptions")["cloudwatchLogOptions"]["logGroupArn"] == group
