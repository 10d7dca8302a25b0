"""The Google APIs the program needs, enabled in the hub project before anything uses them.

A new project has neither the Compute Engine nor the Cloud DNS API on, and the first `pulumi up`
would fail on the first network or zone. They stay enabled on destroy: other workloads in the
project may rely on them.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

APIS = {"compute": "compute.googleapis.com", "dns": "dns.googleapis.com"}


class GcpServices(pulumi.ComponentResource):
    """Attributes: `compute` and `dns`, the enabled services to depend on."""

    compute: gcp.projects.Service
    dns: gcp.projects.Service

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:GcpServices", name, None, opts)
        services = {
            key: gcp.projects.Service(f"{name}-{key}", service=api, disable_on_destroy=False,
                                      opts=pulumi.ResourceOptions(parent=self))
            for key, api in APIS.items()
        }
        self.compute, self.dns = services["compute"], services["dns"]
        self.register_outputs({key: s.service for key, s in services.items()})
