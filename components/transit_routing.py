"""Joining a Transit Gateway attachment to the route table the VPN and the VPC share.

Association decides which table routes traffic arriving on the attachment; propagation puts the
attachment's routes into the table, which is also what the Transit Gateway advertises over BGP.
`replace_existing_association` lets an adopted gateway that auto-associates new attachments with
its default table hand them over instead of failing.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def join_route_table(prefix: str, attachment_id: pulumi.Input[str], route_table_id: pulumi.Input[str],
                     parent: pulumi.Resource) -> None:
    opts = pulumi.ResourceOptions(parent=parent)
    aws.ec2transitgateway.RouteTableAssociation(
        f"{prefix}-association", transit_gateway_attachment_id=attachment_id,
        transit_gateway_route_table_id=route_table_id, replace_existing_association=True, opts=opts)
    aws.ec2transitgateway.RouteTablePropagation(
        f"{prefix}-propagation", transit_gateway_attachment_id=attachment_id,
        transit_gateway_route_table_id=route_table_id, opts=opts)
