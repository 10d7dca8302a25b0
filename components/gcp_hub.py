"""The GCP hub VPC and its spokes.

The hub owns the HA VPN and Cloud Router; GLOBAL dynamic routing lets routes learned over BGP
reach every region. Each spoke peers with the hub: the hub exports custom (BGP-learned) routes
and the spoke imports them, so spokes reach AWS without a VPN of their own. GCP rejects
concurrent peering operations on one network, so the peerings are created one after another.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.planning.settings import GcpHubSettings


class GcpHub(pulumi.ComponentResource):
    network: gcp.compute.Network
    subnets: dict[str, gcp.compute.Subnetwork]
    spoke_networks: dict[str, gcp.compute.Network]

    def __init__(self, name: str, settings: GcpHubSettings,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:gcp:Hub", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.network = gcp.compute.Network(
            "hub",
            name=settings.network_name,
            auto_create_subnetworks=False,
            routing_mode="GLOBAL",
            description="Hub VPC: owns the HA VPN to AWS; spokes peer with it",
            opts=child,
        )
        self.subnets = {
            s.name: gcp.compute.Subnetwork(
                f"hub-{s.name}", name=s.name, network=self.network.id, ip_cidr_range=s.cidr,
                region=s.region, private_ip_google_access=True, opts=child)
            for s in settings.subnets
        }

        self.spoke_networks = {}
        previous: list[pulumi.Resource] = []
        for spoke in settings.spokes:
            network = gcp.compute.Network(
                f"spoke-{spoke.name}", name=spoke.name, auto_create_subnetworks=False,
                routing_mode="GLOBAL", description=f"Spoke {spoke.name}: reaches AWS through the hub",
                opts=child)
            gcp.compute.Subnetwork(
                f"spoke-{spoke.name}", name=spoke.name, network=network.id,
                ip_cidr_range=spoke.cidr, region=spoke.region, private_ip_google_access=True,
                opts=child)
            # One peering operation at a time on the hub: each waits for the one before.
            hub_side = gcp.compute.NetworkPeering(
                f"hub-to-{spoke.name}", network=self.network.self_link,
                peer_network=network.self_link,
                export_custom_routes=True, import_custom_routes=False,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(previous)))
            spoke_side = gcp.compute.NetworkPeering(
                f"{spoke.name}-to-hub", network=network.self_link,
                peer_network=self.network.self_link,
                export_custom_routes=False, import_custom_routes=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[hub_side]))
            previous = [spoke_side]
            self.spoke_networks[spoke.name] = network

        self.register_outputs({
            "networkId": self.network.id,
            "subnetIds": {n: s.id for n, s in self.subnets.items()},
            "spokeNetworkIds": {n: s.id for n, s in self.spoke_networks.items()},
        })
