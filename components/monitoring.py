"""Day-2 alarms: who hears that a tunnel, a BGP session, a NAT gateway, Client VPN sign-in or one
of the cheap options' instances (DNS forwarder, NAT instance) broke.

AWS: an SNS topic (or an existing one) with an email subscription per address; CloudWatch alarms
on every AWS tunnel GCP or an office uses (an idle tunnel of a one-tunnel-per-connection layout
is always down and gets none), on each NAT gateway's port allocation errors and dropped packets,
and on Client VPN authentication failures; and one dashboard. GCP (with the site-to-site VPN):
an email channel per address and an alert policy per HA VPN tunnel and per BGP session, firing
only after five minutes so an IKE rekey or a BGP restart does not page.

Every resource is declared up front from the plan (no resource inside an `apply`), so a preview
declares exactly what `up` creates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from components.planning.layout import VpnLayout
from components.planning.monitoring_settings import MonitoringSettings
from components.planning.names import bounded
from components.tags import name_tag

RUNBOOK = "docs/operations.md#monitoring"
TUNNEL_PERIOD_SECONDS = 60
TUNNEL_PERIODS = 3                 # down for 3 minutes in a row: not a rekey, not a blip
GCP_DURATION = "300s"              # GCP conditions hold 5 minutes before a policy opens an incident
NAT_PERIOD_SECONDS = 300
AUTH_FAILURES_THRESHOLD = 5        # failed sign-ins in 5 minutes: a broken IdP or someone guessing
ALARM_NAME_LIMIT = 255
DISPLAY_NAME_LIMIT = 512
DASHBOARD_NAME_LIMIT = 255


@dataclass(frozen=True)
class WatchedTunnel:
    """One AWS tunnel with an alarm: `logical` goes into the resource name, `label` into the alarm's."""

    logical: str
    label: str
    vpn_id: pulumi.Input[str]
    outside_ip: pulumi.Input[str]


def used_tunnels(layout: VpnLayout) -> list[tuple[str, int, int]]:
    """(key, connection, AWS tunnel number) of each AWS tunnel GCP connects to; idle ones are left out."""
    return [(t.key, t.connection, t.number) for t in layout.tunnels]


def site_to_site_tunnels(layout: VpnLayout, connections: Sequence[aws.ec2.VpnConnection]) -> list[WatchedTunnel]:
    return [WatchedTunnel(logical=f"tunnel-alarm-{key}", label=f"tunnel-{key}", vpn_id=connections[c].id,
                          outside_ip=getattr(connections[c], f"tunnel{n}_address"))
            for key, c, n in used_tunnels(layout)]


def office_tunnels(offices: Mapping[str, aws.ec2.VpnConnection]) -> list[WatchedTunnel]:
    """Both tunnels of every office: the office router is expected to bring both up."""
    return [WatchedTunnel(logical=f"office-tunnel-alarm-t{n}-{office}", label=f"office-t{n}-{office}",
                          vpn_id=vpn.id, outside_ip=getattr(vpn, f"tunnel{n}_address"))
            for office, vpn in offices.items() for n in (1, 2)]


def dashboard_name(stack: str) -> str:
    """CloudWatch dashboard names take letters, digits, '-' and '_'; other stack characters are
    replaced and a hash keeps the result distinct."""
    text = f"multicloud-vpn-{stack}"
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", text)
    if safe != text:
        safe = f"{safe[:DASHBOARD_NAME_LIMIT - 9]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return bounded(safe, DASHBOARD_NAME_LIMIT)


class Monitoring(pulumi.ComponentResource):
    """Alarms, their notification targets and a dashboard.

    Arguments: the monitoring settings; `region` (aws:region, for the dashboard); `tunnels`, the
    AWS tunnels to alarm on (`site_to_site_tunnels`, `office_tunnels`); `transit_gateway_id`;
    `nat_gateways` by NAT zone; `client_vpn_endpoint`; with GCP, `gcp_tunnels` and `bgp_peers` by
    tunnel key; `instances`, the DNS forwarder and NAT instances by label. Attributes: `topic_arn`
    (the SNS topic alarms notify), `alarms` (CloudWatch alarms by logical name), `gcp_channels`
    (notification channel ids the alert policies use), `dashboard`.
    """

    topic_arn: pulumi.Output[str]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    gcp_channels: list[pulumi.Output[str]]
    dashboard: aws.cloudwatch.Dashboard | None

    def __init__(self, name: str, settings: MonitoringSettings, *, region: str,
                 tunnels: Sequence[WatchedTunnel] = (),
                 transit_gateway_id: pulumi.Input[str] | None = None,
                 nat_gateways: Mapping[int, aws.ec2.NatGateway] | None = None,
                 client_vpn_endpoint: aws.ec2clientvpn.Endpoint | None = None,
                 gcp_tunnels: Mapping[str, gcp.compute.VPNTunnel] | None = None,
                 bgp_peers: Mapping[str, gcp.compute.RouterPeer] | None = None,
                 instances: Mapping[str, aws.ec2.Instance] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:Monitoring", name, None, opts)
        self._name, self._settings, self._stack = name, settings, pulumi.get_stack()
        nat_gateways, gcp_tunnels, bgp_peers = nat_gateways or {}, gcp_tunnels or {}, bgp_peers or {}
        if not settings.notifies_anyone:
            pulumi.log.warn("multicloud-vpn:monitoring: no emails, snsTopicArn or notificationChannels: the "
                            "alarms exist but nobody is notified")
        self.topic_arn = self._topic()
        self.alarms = {}
        for tunnel in tunnels:
            self._tunnel_alarm(tunnel)
        for zone, nat in sorted(nat_gateways.items()):
            self._nat_alarms(zone, nat)
        if client_vpn_endpoint is not None:
            self._client_vpn_alarm(client_vpn_endpoint)
        for label, instance in sorted((instances or {}).items()):
            self._instance_alarm(label, instance)
        self.gcp_channels = self._gcp_channels() if (gcp_tunnels or bgp_peers) else []
        for key, tunnel in gcp_tunnels.items():
            self._gcp_policy(f"tunnel-policy-{key}", f"HA VPN tunnel {key} down", pulumi.Output.concat(
                'resource.type = "vpn_gateway" AND metric.type = "vpn.googleapis.com/tunnel_established" '
                'AND metric.label.tunnel_name = "', tunnel.name, '"'))
        for key, peer in bgp_peers.items():
            self._gcp_policy(f"bgp-policy-{key}", f"BGP session {key} down", pulumi.Output.concat(
                'resource.type = "gce_router" AND metric.type = "router.googleapis.com/bgp/session_up" '
                'AND metric.label.bgp_peer_name = "', peer.name, '"'))
        self.dashboard = self._dashboard(region, tunnels, transit_gateway_id, nat_gateways, client_vpn_endpoint)
        self.register_outputs({"topicArn": self.topic_arn, "alarms": [a.arn for a in self.alarms.values()]})

    # ------------------------------------------------------------------------------ AWS
    def _topic(self) -> pulumi.Output[str]:
        """The topic alarms notify (created unless `snsTopicArn`), one email subscription per address."""
        name, settings, child = self._name, self._settings, pulumi.ResourceOptions(parent=self)
        if settings.sns_topic_arn:
            arn: pulumi.Output[str] = pulumi.Output.from_input(settings.sns_topic_arn)
        else:
            arn = aws.sns.Topic(f"{name}-alarms", display_name="multicloud-vpn alarms",
                                tags=name_tag("alarms"), opts=child).arn
        for email in settings.emails:
            # Pending until the address confirms the email AWS sends; Pulumi does not wait for it.
            aws.sns.TopicSubscription(f"{name}-email-{email}", topic=arn, protocol="email", endpoint=email,
                                      opts=child)
        return arn

    def _alarm(self, logical: str, label: str, description: str, **args: Any) -> None:
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{logical}",
            name=bounded(f"multicloud-vpn-{self._stack}-{label}", ALARM_NAME_LIMIT),
            alarm_description=f"{description} Runbook: {RUNBOOK}",
            alarm_actions=[self.topic_arn], ok_actions=[self.topic_arn],
            tags=name_tag(label), opts=pulumi.ResourceOptions(parent=self), **args)
        self.alarms[logical] = alarm

    def _tunnel_alarm(self, tunnel: WatchedTunnel) -> None:
        self._alarm(
            tunnel.logical, tunnel.label,
            f"AWS VPN {tunnel.label} has been down for {TUNNEL_PERIODS} minutes (or reports nothing).",
            namespace="AWS/VPN", metric_name="TunnelState",
            dimensions={"VpnId": tunnel.vpn_id, "TunnelIpAddress": tunnel.outside_ip},
            statistic="Minimum", comparison_operator="LessThanThreshold", threshold=1,
            period=TUNNEL_PERIOD_SECONDS, evaluation_periods=TUNNEL_PERIODS, datapoints_to_alarm=TUNNEL_PERIODS,
            # A tunnel that reports nothing is not known to be up.
            treat_missing_data="breaching")

    def _nat_alarms(self, zone: int, nat: aws.ec2.NatGateway) -> None:
        for logical, metric, what in (
                ("nat-port-allocation-alarm", "ErrorPortAllocation",
                 "could not allocate a source port: too many connections to one destination"),
                ("nat-packets-dropped-alarm", "PacketsDropCount", "dropped packets")):
            self._alarm(
                f"{logical}-{zone}", f"{logical.removesuffix('-alarm')}-{zone}",
                f"NAT gateway {zone} {what}.",
                namespace="AWS/NATGateway", metric_name=metric, dimensions={"NatGatewayId": nat.id},
                statistic="Sum", comparison_operator="GreaterThanThreshold", threshold=0,
                period=NAT_PERIOD_SECONDS, evaluation_periods=1,
                treat_missing_data="notBreaching")  # an idle NAT gateway reports nothing

    def _client_vpn_alarm(self, endpoint: aws.ec2clientvpn.Endpoint) -> None:
        self._alarm(
            "client-vpn-auth-failures-alarm", "client-vpn-auth-failures",
            f"At least {AUTH_FAILURES_THRESHOLD} Client VPN sign-ins failed in 5 minutes: the SSO "
            "application, its SAML metadata or someone guessing.",
            namespace="AWS/ClientVPN", metric_name="AuthenticationFailures",
            dimensions={"Endpoint": endpoint.id}, statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold", threshold=AUTH_FAILURES_THRESHOLD,
            period=300, evaluation_periods=1, treat_missing_data="notBreaching")

    def _instance_alarm(self, label: str, instance: aws.ec2.Instance) -> None:
        """The DNS forwarder or NAT instance fails a status check, or reports none (stopped: its
        boot script powers it off when setup fails). EC2 itself recovers or reboots it."""
        self._alarm(
            f"{label}-health-alarm", f"{label}-health",
            f"The {label} instance fails its status checks or reports none (stopped, or its setup failed); "
            "EC2 recovers or reboots it on its own.",
            namespace="AWS/EC2", metric_name="StatusCheckFailed", dimensions={"InstanceId": instance.id},
            statistic="Maximum", comparison_operator="GreaterThanOrEqualToThreshold", threshold=1,
            period=60, evaluation_periods=5, datapoints_to_alarm=5, treat_missing_data="breaching")

    def _dashboard(self, region: str, tunnels: Sequence[WatchedTunnel],
                   transit_gateway_id: pulumi.Input[str] | None,
                   nat_gateways: Mapping[int, aws.ec2.NatGateway],
                   endpoint: aws.ec2clientvpn.Endpoint | None) -> aws.cloudwatch.Dashboard | None:
        def widget(title: str, metrics: list, stat: str, y: int) -> dict:
            return {"type": "metric", "x": 0, "y": y, "width": 24, "height": 6,
                    "properties": {"title": title, "region": region, "stat": stat, "period": 300,
                                   "view": "timeSeries", "metrics": metrics}}

        widgets: list[dict] = []
        if tunnels:
            widgets.append(widget("VPN tunnel state (1 up, 0 down)", [
                ["AWS/VPN", "TunnelState", "VpnId", t.vpn_id, "TunnelIpAddress", t.outside_ip,
                 {"label": t.label}] for t in tunnels], "Minimum", 0))
        if transit_gateway_id is not None:
            widgets.append(widget("Transit Gateway bytes", [
                ["AWS/TransitGateway", metric, "TransitGateway", transit_gateway_id]
                for metric in ("BytesIn", "BytesOut")], "Sum", 6))
        if nat_gateways:
            widgets.append(widget("NAT gateway bytes to destinations", [
                ["AWS/NATGateway", "BytesOutToDestination", "NatGatewayId", nat.id, {"label": f"nat-{zone}"}]
                for zone, nat in sorted(nat_gateways.items())], "Sum", 12))
        if endpoint is not None:
            widgets.append(widget("Client VPN active connections", [
                ["AWS/ClientVPN", "ActiveConnectionsCount", "Endpoint", endpoint.id]], "Maximum", 18))
        if not widgets:
            return None
        return aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard", dashboard_name=dashboard_name(self._stack),
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}),
            opts=pulumi.ResourceOptions(parent=self))

    # ------------------------------------------------------------------------------ GCP
    def _gcp_channels(self) -> list[pulumi.Output[str]]:
        """An email channel per address, then the existing channels."""
        created = [
            gcp.monitoring.NotificationChannel(
                f"{self._name}-email-channel-{email}", type="email", labels={"email_address": email},
                display_name=bounded(f"multicloud-vpn {self._stack}: {email}", DISPLAY_NAME_LIMIT),
                opts=pulumi.ResourceOptions(parent=self)).id
            for email in self._settings.emails]
        return [*created, *(pulumi.Output.from_input(c) for c in self._settings.notification_channels)]

    def _gcp_policy(self, logical: str, title: str, metric_filter: pulumi.Output[str]) -> None:
        gcp.monitoring.AlertPolicy(
            f"{self._name}-{logical}",
            display_name=bounded(f"multicloud-vpn {self._stack}: {title}", DISPLAY_NAME_LIMIT),
            combiner="OR",
            conditions=[gcp.monitoring.AlertPolicyConditionArgs(
                display_name=title,
                condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                    filter=metric_filter, comparison="COMPARISON_LT", threshold_value=1,
                    duration=GCP_DURATION,
                    aggregations=[gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                        alignment_period="60s", per_series_aligner="ALIGN_MEAN")],
                    trigger=gcp.monitoring.AlertPolicyConditionConditionThresholdTriggerArgs(count=1),
                    # No data (a deleted or wedged tunnel) counts as down.
                    evaluation_missing_data="EVALUATION_MISSING_DATA_ACTIVE"),
            )],
            notification_channels=self.gcp_channels,
            documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
                content=f"{title} for more than 5 minutes. Runbook: {RUNBOOK}", mime_type="text/markdown"),
            opts=pulumi.ResourceOptions(parent=self))
