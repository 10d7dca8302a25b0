"""The hardened single instance behind the cheap options (the DNS forwarder, the NAT instance).

One EC2 instance at a fixed private address: IMDSv2 only, an encrypted gp3 root volume, no
public address of its own, no key pair and no instance role, the latest Amazon Linux 2023 for
ARM at creation (a newer image never replaces it: it upgrades itself at every boot). It is
replaced automatically in place: EC2 recovers it onto healthy hardware when the system status
check fails (same id, address, volume and Elastic IP) and reboots it when its own check fails.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.planning.instance_plan import AMI_PARAMETER, ROOT_VOLUME_GB
from components.planning.names import bounded
from components.tags import name_tag

ALARM_NAME_LIMIT = 255


def small_instance(name: str, parent: pulumi.Resource, *, label: str, purpose: str, instance_type: str,
                   subnet_id: pulumi.Input[str], private_ip: str,
                   security_group_ids: Sequence[pulumi.Input[str]], user_data: pulumi.Input[str],
                   source_dest_check: bool = True) -> aws.ec2.Instance:
    """The instance. A changed boot script replaces it (user data runs once), and the old one goes
    first: the new one needs its fixed address."""
    image = aws.ssm.get_parameter_output(name=AMI_PARAMETER, opts=pulumi.InvokeOutputOptions(parent=parent))
    return aws.ec2.Instance(
        name,
        ami=image.value.apply(str),
        instance_type=instance_type,
        subnet_id=subnet_id,
        private_ip=private_ip,
        vpc_security_group_ids=list(security_group_ids),
        associate_public_ip_address=False,
        source_dest_check=source_dest_check,
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
            encrypted=True, volume_type="gp3", volume_size=ROOT_VOLUME_GB, delete_on_termination=True),
        maintenance_options=aws.ec2.InstanceMaintenanceOptionsArgs(auto_recovery="default"),
        user_data=user_data,
        user_data_replace_on_change=True,
        tags=name_tag(label, Purpose=purpose),
        volume_tags=name_tag(label, Purpose=purpose),
        # A new image is picked up by the boot-time upgrade, not by replacing the instance.
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["ami"], delete_before_replace=True))


def recovery_alarms(name: str, parent: pulumi.Resource, instance: aws.ec2.Instance, *, label: str,
                    region: str) -> list[aws.cloudwatch.MetricAlarm]:
    """EC2's own actions, no one paged: recover on a failed system check (new hardware, same
    instance), reboot on a failed instance check. Monitoring adds the alarm that notifies."""
    stack = pulumi.get_stack()
    out = []
    for logical, metric, action, periods in (("recover", "StatusCheckFailed_System", "recover", 2),
                                             ("reboot", "StatusCheckFailed_Instance", "reboot", 3)):
        out.append(aws.cloudwatch.MetricAlarm(
            f"{name}-{logical}",
            name=bounded(f"multicloud-vpn-{stack}-{label}-{logical}", ALARM_NAME_LIMIT),
            alarm_description=f"{label}: {metric} failed; EC2 {action}s the instance.",
            namespace="AWS/EC2", metric_name=metric, dimensions={"InstanceId": instance.id},
            statistic="Maximum", comparison_operator="GreaterThanOrEqualToThreshold", threshold=1,
            period=60, evaluation_periods=periods,
            alarm_actions=[f"arn:aws:automate:{region}:ec2:{action}"],
            tags=name_tag(f"{label}-{logical}"), opts=pulumi.ResourceOptions(parent=parent)))
    return out
