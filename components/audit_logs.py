"""Audit trails on the AWS side: flow logs of the egress VPC and of the Transit Gateway, the
Route 53 Resolver query log of the program's VPC, and (for the VPN components) tunnel logs.

What left through the allowlisted address must be answerable afterwards. The VPC flow log takes
all traffic with the packets' own addresses (`pkt-srcaddr`, `pkt-dstaddr`), so the NAT
gateway's records say which inside address reached which outside one. Each flow log writes to
its own CloudWatch log group through a role that may write to that group only. Every log group
of the trails has the one retention and the optional KMS key of `multicloud-vpn:audit`.

An existing VPC (`network.existingVpc`) is only referenced: its flow log is a joint like its
Transit Gateway attachment, created and deleted by the program without touching the VPC. An
adopted Transit Gateway is someone else's: the program logs only its own attachments on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.planning.audit_settings import FLOW_LOG_AGGREGATION_SECONDS, VPC_FLOW_LOG_FORMAT, AuditSettings
from components.planning.names import bounded
from components.tags import name_tag

RESOLVER_LOG_CONFIG_NAME_LIMIT = 64   # letters, digits, '-', '_' and spaces


def audit_log_group(logical: str, purpose: str, settings: AuditSettings,
                    parent: pulumi.Resource) -> aws.cloudwatch.LogGroup:
    """A log group `/multicloud-vpn/<stack>/<purpose>` with the audit retention and KMS key."""
    return aws.cloudwatch.LogGroup(
        logical, name=f"/multicloud-vpn/{pulumi.get_stack()}/{purpose}",
        retention_in_days=settings.log_retention_days, kms_key_id=settings.kms_key_arn,
        tags=name_tag(purpose), opts=pulumi.ResourceOptions(parent=parent))


def tunnel_log_options(number: int, log_group_arn: pulumi.Input[str] | None) -> dict:
    """`tunnelN_log_options` of an `aws.ec2.VpnConnection`: the tunnel's IKE, IPsec and DPD log
    and its BGP log, both as JSON to `log_group_arn`; nothing when it is None (logs off)."""
    if log_group_arn is None:
        return {}
    # Every field explicit (VpnConnectionTunnelNLogOptionsCloudwatchLogOptionsArgsDict), so nothing
    # is left to a default that could diff.
    return {f"tunnel{number}_log_options": {"cloudwatch_log_options": {
        "log_enabled": True, "log_group_arn": log_group_arn, "log_output_format": "json",
        "bgp_log_enabled": True, "bgp_log_group_arn": log_group_arn, "bgp_log_output_format": "json"}}}


def tunnel_log_group(component: str, settings: AuditSettings,
                     parent: pulumi.Resource) -> pulumi.Output[str] | None:
    """The tunnel log group of a VPN component (its arn), or None when `audit.vpnTunnelLogs` is off."""
    if not settings.vpn_tunnel_logs:
        return None
    return audit_log_group(f"{component}-tunnel-logs", f"{component}-tunnels", settings, parent).arn


class AuditTrail(pulumi.ComponentResource):
    """Flow logs of the egress VPC and of the Transit Gateway (or the program's attachments), and
    the Route 53 Resolver query log of the VPC.

    Arguments: the audit settings; `vpc_id`, the egress VPC (the program's or an existing one;
    None without a VPC); `transit_gateway_id`, a gateway the program created (its flow log covers
    every attachment), or `attachment_ids`, the program's own attachments on an adopted gateway by
    a stable key (`site-to-site-c0`, `vpc`, `office-<name>`). Attributes: `log_groups` and
    `flow_logs`, by purpose (`vpc-flow-logs`, `tgw-flow-logs`, `resolver-queries`) and logical name.
    """

    log_groups: dict[str, aws.cloudwatch.LogGroup]
    flow_logs: dict[str, aws.ec2.FlowLog]

    def __init__(self, name: str, settings: AuditSettings, *, vpc_id: pulumi.Input[str] | None = None,
                 transit_gateway_id: pulumi.Input[str] | None = None,
                 attachment_ids: Mapping[str, pulumi.Input[str]] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:AuditTrail", name, None, opts)
        self._name, self._settings = name, settings
        self.log_groups, self.flow_logs = {}, {}
        if settings.vpc_flow_logs and vpc_id is not None:
            self._vpc_flow_log(vpc_id)
        if settings.transit_gateway_flow_logs and (transit_gateway_id is not None or attachment_ids):
            self._transit_gateway_flow_logs(transit_gateway_id, dict(attachment_ids or {}))
        if settings.resolver_query_logs and vpc_id is not None:
            self._resolver_query_log(vpc_id)
        self.register_outputs({"logGroups": {k: g.name for k, g in self.log_groups.items()}})

    def _vpc_flow_log(self, vpc_id: pulumi.Input[str]) -> None:
        """All traffic of the egress VPC, with the packets' own source and destination."""
        group, role_arn = self._destination("vpc-flow-logs")
        logical = f"{self._name}-vpc-flow-log"
        self.flow_logs[logical] = aws.ec2.FlowLog(
            logical, vpc_id=vpc_id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=group.arn, iam_role_arn=role_arn, log_format=VPC_FLOW_LOG_FORMAT,
            max_aggregation_interval=FLOW_LOG_AGGREGATION_SECONDS, tags=name_tag("vpc-flow-log"),
            opts=pulumi.ResourceOptions(parent=self))

    def _transit_gateway_flow_logs(self, transit_gateway_id: pulumi.Input[str] | None,
                                   attachment_ids: dict[str, pulumi.Input[str]]) -> None:
        """The gateway created here, whole; on an adopted one, each of the program's attachments.
        Transit Gateway flow logs record every flow (no traffic type) in their default format."""
        group, role_arn = self._destination("tgw-flow-logs")
        # logical name -> (gateway, attachment): one of the two
        targets: dict[str, tuple[pulumi.Input[str] | None, pulumi.Input[str] | None]] = (
            {f"{self._name}-tgw-flow-log": (transit_gateway_id, None)} if transit_gateway_id is not None else
            {f"{self._name}-tgw-attachment-flow-log-{key}": (None, attachment)
             for key, attachment in sorted(attachment_ids.items())})
        for logical, (gateway, attachment) in targets.items():
            self.flow_logs[logical] = aws.ec2.FlowLog(
                logical, transit_gateway_id=gateway, transit_gateway_attachment_id=attachment,
                log_destination_type="cloud-watch-logs", log_destination=group.arn,
                iam_role_arn=role_arn, max_aggregation_interval=FLOW_LOG_AGGREGATION_SECONDS,
                tags=name_tag(logical.removeprefix(f"{self._name}-")), opts=pulumi.ResourceOptions(parent=self))

    def _resolver_query_log(self, vpc_id: pulumi.Input[str]) -> None:
        """Every DNS query the VPC's resolver answers or forwards (instances, Client VPN users, the
        inbound endpoint's queries from GCP), to its log group. Route 53 Resolver, a vended-logs
        source, writes the group's resource policy itself with the deploying identity's rights."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        group = self.log_groups["resolver-queries"] = audit_log_group(
            f"{name}-resolver-queries", "resolver-queries", self._settings, self)
        physical = re.sub(r"[^A-Za-z0-9_-]", "-", f"multicloud-vpn-{pulumi.get_stack()}")
        config = aws.route53.ResolverQueryLogConfig(
            f"{name}-resolver-query-log", name=bounded(physical, RESOLVER_LOG_CONFIG_NAME_LIMIT),
            destination_arn=group.arn, tags=name_tag("resolver-queries"), opts=child)
        aws.route53.ResolverQueryLogConfigAssociation(
            f"{name}-resolver-query-log-vpc", resolver_query_log_config_id=config.id, resource_id=vpc_id,
            opts=child)

    def _destination(self, purpose: str) -> tuple[aws.cloudwatch.LogGroup, pulumi.Output[str]]:
        """A log group, and the arn of the role flow logs deliver to it with: trusted by the flow
        logs service of this account only, allowed to write to this group only."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        group = self.log_groups[purpose] = audit_log_group(f"{name}-{purpose}", purpose, self._settings, self)
        # arn:<partition>:logs:<region>:<account>:log-group:<name>
        arn = group.arn.apply(lambda a: a.split(":"))
        role = aws.iam.Role(
            f"{name}-{purpose}-role",
            description=f"Flow logs deliver to {purpose} only",
            assume_role_policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    # Against the confused deputy: only this account's flow logs may use the role.
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": arn.apply(lambda p: p[4])},
                        "ArnLike": {"aws:SourceArn": arn.apply(
                            lambda p: f"arn:{p[1]}:ec2:{p[3]}:{p[4]}:vpc-flow-log/*")},
                    },
                }],
            }),
            tags=name_tag(f"{purpose}-delivery"), opts=child)
        policy = aws.iam.RolePolicy(
            f"{name}-{purpose}-delivery", role=role.id,
            policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                }],
            }),
            opts=child)
        # The flow logs take the role's arn only once the role may write: they wait for the policy.
        return group, pulumi.Output.all(role.arn, policy.id).apply(lambda a: a[0])
