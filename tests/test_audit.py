"""Audit trails: the settings, the logs each stack writes, and the policy that wants them."""

import pytest

from components.planning.audit_settings import VPC_FLOW_LOG_FORMAT, AuditSettings
from tests.test_settings import assert_names_key, error_for, settings_with

AUDIT = "multicloud-vpn:audit"


def test_audit_defaults_log_everything_but_gcp_subnet_flows():
    audit = settings_with().audit
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
