"""Existing AWS VPCs joined to the Transit Gateway (`network.attachedVpcs`).

Only the joints are created: a VPC attachment on the given subnets, associated with and
propagated into the VPN route table (so GCP and the offices learn the VPC's ranges), and in
each given route table a route via the Transit Gateway to every range it should reach. Nothing
else of the VPC is touched.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.planning.estate_settings import AttachedVpc
from components.planning.network_plan import cidr_name
from components.tags import name_tag
from components.transit_routing import join_route_table, owns


class AttachedVpcs(pulumi.ComponentResource):
    """Arguments: the attached VPCs; the Transit Gateway and its VPN route table; `destinations`,
    the ranges each VPC routes to the Transit Gateway (GCP, offices, the program's VPC, the other
    attached VPCs). Attributes: `attachments` (by VPC name)."""

    attachments: dict[str, aws.ec2transitgateway.VpcAttachment]

    def __init__(self, name: str, vpcs: Sequence[AttachedVpc], *, transit_gateway_id: pulumi.Input[str],
                 route_table_id: pulumi.Input[str], destinations: Sequence[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:AttachedVpcs", name, None, opts)
        self.attachments = {}
        for vpc in vpcs:
            attachment = aws.ec2transitgateway.VpcAttachment(
                f"{name}-attachment-{vpc.name}", transit_gateway_id=transit_gateway_id, vpc_id=vpc.vpc_id,
                subnet_ids=list(vpc.subnet_ids), dns_support="enable",
                transit_gateway_default_route_table_association=False,
                transit_gateway_default_route_table_propagation=False,
                tags=name_tag(f"attached-{vpc.name}"), opts=pulumi.ResourceOptions(parent=self))
            join_route_table(f"{name}-attachment-{vpc.name}", attachment.id, route_table_id, self,
                             owned=owns(route_table_id))
            after = pulumi.ResourceOptions(parent=self, depends_on=[attachment])
            for table in vpc.route_table_ids:
                for cidr in (c for c in destinations if c not in vpc.cidrs):
                    aws.ec2.Route(f"{name}-route-{vpc.name}.{table}.{cidr_name(cidr)}", route_table_id=table,
                                  destination_cidr_block=cidr, transit_gateway_id=transit_gateway_id,
                                  opts=after)
            self.attachments[vpc.name] = attachment
        self.register_outputs({"attachmentIds": {n: a.id for n, a in self.attachments.items()}})
