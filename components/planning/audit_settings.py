"""Audit trails (`multicloud-vpn:audit`): which flows left through the allowlisted address,
which names were asked, when a tunnel or a BGP session changed, answerable afterwards.

All of it is on by default except GCP subnet flow logs (their volume grows with the spokes'
traffic). Every CloudWatch log group the trails write to has the one retention and, optionally,
the one KMS key given here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .client_vpn_settings import LOG_RETENTION_DAYS
from .errors import SettingsError
from .fields import Section

KMS_KEY_ARN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key/"
                         r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
KMS_ACCEPTED = ("expected the ARN of a KMS key (not an alias), like "
                "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")

# The fields of a VPC flow log record (format v5). srcaddr/dstaddr are the interface's own
# addresses (the NAT gateway's private address, for traffic it translates); pkt-srcaddr and
# pkt-dstaddr are the packet's, so the NAT gateway's records name the inside source and the
# outside destination of what left through the Elastic IP.
VPC_FLOW_LOG_FIELDS = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id", "instance-id",
    "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "flow-direction", "traffic-path",
    "pkt-src-aws-service", "pkt-dst-aws-service",
)
VPC_FLOW_LOG_FORMAT = " ".join(f"${{{f}}}" for f in VPC_FLOW_LOG_FIELDS)
# Transit Gateway flow logs accept only 60 s; VPC flow logs 60 or 600.
FLOW_LOG_AGGREGATION_SECONDS = 60
GCP_FLOW_LOG_AGGREGATION = "INTERVAL_5_SEC"   # GCP's default, explicit


@dataclass(frozen=True)
class AuditSettings:
    log_retention_days: int = 365
    kms_key_arn: str | None = None              # None: CloudWatch Logs' own encryption
    vpc_flow_logs: bool = True                  # the egress VPC, the program's or an existing one
    transit_gateway_flow_logs: bool = True      # the gateway created here, or the program's attachments
    resolver_query_logs: bool = True            # Route 53 Resolver queries from the program's VPC
    vpn_tunnel_logs: bool = True                # Site-to-Site VPN tunnel (IKE, IPsec) and BGP logs
    cloud_dns_logging: bool = True              # Cloud DNS queries of the hub and the spokes created here
    gcp_subnet_flow_logs: bool = False          # on the subnets created here
    gcp_flow_sampling: float = 0.5


def parse_audit(section: Section, *, aws_region: str | None = None, with_gcp: bool = True) -> AuditSettings:
    """`aws_region` (when known) must be the key's: CloudWatch Logs uses keys of its own region
    only. Without GCP (`with_gcp` False) there is no subnet to log flows of."""
    retention = section.choice("logRetentionDays", LOG_RETENTION_DAYS)
    key = section.optional_string("kmsKeyArn", accepted=KMS_ACCEPTED, check=lambda v: bool(KMS_KEY_ARN.match(v)))
    if key is not None and aws_region:
        match = KMS_KEY_ARN.match(key)
        assert match is not None
        if match.group(1) != aws_region:
            raise SettingsError(section.child("kmsKeyArn"), key,
                                f"the key must be in aws:region ({aws_region}): CloudWatch Logs encrypts "
                                "with keys of its own region only")
    flags = {name: section.boolean(name) for name in (
        "vpcFlowLogs", "transitGatewayFlowLogs", "resolverQueryLogs", "vpnTunnelLogs", "cloudDnsLogging",
        "gcpSubnetFlowLogs")}
    if flags["gcpSubnetFlowLogs"] and not with_gcp:
        raise SettingsError(section.child("gcpSubnetFlowLogs"), True,
                            "it needs multicloud-vpn:siteToSite: without it there is no GCP subnet")
    sampling = section.raw("gcpFlowSampling")
    if isinstance(sampling, bool) or not isinstance(sampling, (int, float)) or not 0 < sampling <= 1:
        raise SettingsError(section.child("gcpFlowSampling"), sampling,
                            "expected a fraction above 0 and at most 1 (1 reports every flow)")
    section.finish()
    return AuditSettings(
        log_retention_days=retention, kms_key_arn=key, vpc_flow_logs=flags["vpcFlowLogs"],
        transit_gateway_flow_logs=flags["transitGatewayFlowLogs"],
        resolver_query_logs=flags["resolverQueryLogs"], vpn_tunnel_logs=flags["vpnTunnelLogs"],
        cloud_dns_logging=flags["cloudDnsLogging"], gcp_subnet_flow_logs=flags["gcpSubnetFlowLogs"],
        gcp_flow_sampling=float(sampling))
