"""The GCP hub VPC: the one network that owns the HA VPN and Cloud Router.

GLOBAL dynamic routing lets routes learned over BGP reach subnets in every region.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_gcp as gcp

from components.planning.settings import GcpHubSettings


class GcpHub(pulumi.ComponentResource):
    network: gcp.compute.Network
    subnets: dict[str, gcp.compute.Subnetwork]

    def __init__(self, name: str, settings: GcpHubSettings,
                 opts: Optional[pulumi.ResourceOptions] = None):
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
                f"hub-{s.name}",
                name=s.name,
                network=self.network.id,
                ip_cidr_range=s.cidr,
                region=s.region,
                private_ip_google_access=True,
                opts=child,
            )
            for s in settings.subnets
        }
        self.register_outputs({
            "networkId": self.network.id,
            "subnetIds": {n: s.id for n, s in self.subnets.items()},
        })
