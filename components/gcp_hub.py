"""The GCP hub VPC and its spokes.

The hub owns the HA VPN and Cloud Router; GLOBAL dynamic routing lets routes learned over BGP
reach every region. Each spoke peers with the hub: the hub exports custom (BGP-learned) routes
and the spoke imports them, so spokes reach AWS without a VPN of their own. GCP rejects a peering
operation while another one, or a route operation such as a subnet being created, runs on either
network, so each peering waits for the one before it and for the subnets of both networks.
Every network created here gets one ingress rule from the AWS side: a new custom VPC denies all
ingress by its implied rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_gcp as gcp

from components.planning.audit_settings import GCP_FLOW_LOG_AGGREGATION, AuditSettings
from components.planning.firewall_settings import FirewallSettings
from components.planning.names import gcp_name
from components.planning.settings import GcpHubSettings


class GcpHub(pulumi.ComponentResource):
    """The GCP hub VPC with its subnets, and the spokes peered with it, each allowing AWS in.

    Arguments: the hub settings (network name, subnets, spokes, firewall); `aws_ranges`, the
    AWS-side ranges allowed in; `requires`, resources that must exist first (the enabled APIs);
    `spoke_providers`, a GCP provider per project of an existing spoke (its side of the peering is
    made there); `audit`, whose `gcpSubnetFlowLogs` turns on flow logs of every subnet created
    here (None: none). Attributes: `network` (the hub), `subnets` (hub subnets by name),
    `spoke_networks` (spokes created here, by name), `spoke_links` (every spoke's network link).
    """

    network: gcp.compute.Network
    subnets: dict[str, gcp.compute.Subnetwork]
    spoke_networks: dict[str, gcp.compute.Network]
    spoke_links: dict[str, pulumi.Input[str]]

    def __init__(self, name: str, settings: GcpHubSettings, *, aws_ranges: Sequence[str],
                 requires: Sequence[pulumi.Resource] = (),
                 spoke_providers: Mapping[str, pulumi.ProviderResource] | None = None,
                 audit: AuditSettings | None = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:GcpHub", name, None, opts)
        self._flow_logs = _flow_logs(audit)
        self._spoke_providers = dict(spoke_providers or {})
        self._firewall = settings.firewall
        self._aws_ranges = list(aws_ranges)
        self._requires = list(requires)
        self.network = self._network(f"{name}-network", settings.network_name,
                                     "Hub VPC: owns the HA VPN to AWS; spokes peer with it")
        self.subnets = self._hub_subnets(name, settings)
        self.spoke_networks = {}
        self.spoke_links = {}
        self._peer_spokes(name, settings)
        self._outputs()

    def _hub_subnets(self, name: str, settings: GcpHubSettings) -> dict[str, gcp.compute.Subnetwork]:
        return {
            s.name: gcp.compute.Subnetwork(
                f"{name}-subnet-{s.name}", name=s.name, network=self.network.id, ip_cidr_range=s.cidr,
                region=s.region, private_ip_google_access=True, log_config=self._flow_logs,
                opts=pulumi.ResourceOptions(parent=self))
            for s in settings.subnets
        }

    def _outputs(self) -> None:
        self.register_outputs({
            "networkId": self.network.id,
            "subnetIds": {n: s.id for n, s in self.subnets.items()},
            "spokeNetworkIds": {n: s.id for n, s in self.spoke_networks.items()},
            "spokeNetworkLinks": dict(self.spoke_links),
        })

    def _network(self, logical: str, physical: str, description: str) -> gcp.compute.Network:
        """A custom-mode network with GLOBAL dynamic routing, and its ingress rule from AWS (if any)."""
        network = gcp.compute.Network(
            logical, name=physical, auto_create_subnetworks=False, routing_mode="GLOBAL",
            description=description,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._requires))
        _allow_from_aws(self, logical, physical, network, self._aws_ranges, self._firewall)
        return network

    def _peer_spokes(self, name: str, settings: GcpHubSettings) -> None:
        """Per spoke created here a network and subnet; per existing spoke only its side of the
        peering (made in its own project). Every spoke is peered with the hub both ways."""
        previous: list[pulumi.Resource] = []
        hub_subnets = list(self.subnets.values())
        for spoke in settings.spokes:
            spoke_opts = pulumi.ResourceOptions(parent=self)
            waits_for: list[pulumi.Resource] = []
            if spoke.existing:
                link: pulumi.Input[str] = existing_network_link(spoke)
                spoke_opts = pulumi.ResourceOptions(
                    parent=self, provider=self._spoke_providers.get(spoke.project or ""))
            else:
                network = self._network(f"{name}-spoke-network-{spoke.name}", spoke.name,
                                        f"Spoke {spoke.name}: reaches AWS through the hub")
                waits_for.append(gcp.compute.Subnetwork(
                    f"{name}-spoke-subnet-{spoke.name}", name=spoke.name, network=network.id,
                    ip_cidr_range=spoke.cidr, region=spoke.region, private_ip_google_access=True,
                    log_config=self._flow_logs, opts=pulumi.ResourceOptions(parent=self)))
                link = network.self_link
                self.spoke_networks[spoke.name] = network
            # One operation at a time: after the previous peering and both networks' subnets.
            hub_side = gcp.compute.NetworkPeering(
                f"{name}-peering-hub-side-{spoke.name}", name=gcp_name(settings.network_name, "to", spoke.name),
                network=self.network.self_link, peer_network=link,
                export_custom_routes=True, import_custom_routes=False,
                opts=pulumi.ResourceOptions(parent=self,
                                            depends_on=[*previous, *hub_subnets, *waits_for]))
            spoke_side = gcp.compute.NetworkPeering(
                f"{name}-peering-spoke-side-{spoke.name}", name=gcp_name(spoke.name, "to", settings.network_name),
                network=link, peer_network=self.network.self_link,
                export_custom_routes=False, import_custom_routes=True,
                opts=pulumi.ResourceOptions.merge(spoke_opts, pulumi.ResourceOptions(depends_on=[hub_side])))
            previous = [spoke_side]
            self.spoke_links[spoke.name] = link


def _flow_logs(audit: AuditSettings | None) -> gcp.compute.SubnetworkLogConfigArgs | None:
    """VPC flow logs of a subnet created here, when `audit.gcpSubnetFlowLogs` is on: every field
    explicit (sampled share, 5-second aggregation, all metadata); None leaves them off."""
    if audit is None or not audit.gcp_subnet_flow_logs:
        return None
    return gcp.compute.SubnetworkLogConfigArgs(aggregation_interval=GCP_FLOW_LOG_AGGREGATION,
                                               flow_sampling=audit.gcp_flow_sampling,
                                               metadata="INCLUDE_ALL_METADATA")


def existing_network_link(spoke) -> str:
    """The self link of an existing spoke's network, which the program only references."""
    return f"https://www.googleapis.com/compute/v1/projects/{spoke.project}/global/networks/{spoke.network}"


def _allow_from_aws(parent: pulumi.Resource, logical: str, physical: str,
                    network: gcp.compute.Network, aws_ranges: Sequence[str],
                    firewall: FirewallSettings) -> None:
    """One ingress rule on `network`: the listed protocols from the AWS ranges, nothing else."""
    if not firewall.allow or not aws_ranges:
        return
    gcp.compute.Firewall(
        f"{logical}-firewall", name=gcp_name(physical, "from-aws"), network=network.id,
        direction="INGRESS", priority=1000, source_ranges=list(aws_ranges),
        allows=[gcp.compute.FirewallAllowArgs(protocol=a.protocol, ports=list(a.ports) or None)
                for a in firewall.allow],
        log_config=(gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA")
                    if firewall.logging else None),
        description="Traffic from AWS (the VPC, Client VPN users NATed into it) over the VPN",
        opts=pulumi.ResourceOptions(parent=parent))
