"""Joining a Transit Gateway attachment to the route table the VPN and the VPC share.

Association decides which table routes traffic arriving on the attachment; propagation puts the
attachment's routes into the table, which is also what the Transit Gateway advertises over BGP.

The table is either the program's own (`siteToSite.transitGatewayRouting.mode: own`) or an
existing one it joins (`mode: join`). On its own table, `replace_existing_association` lets an
adopted gateway that auto-associates new attachments with its default table hand them over
instead of failing. On a joined table the program owns nothing: an attachment that is already
associated elsewhere fails loudly instead of being moved.

`SiteToSiteVpn` records how its `route_table_id` is used (`describe_route_table`); the other
components read it back with `owns` and `propagation_targets` when they join that table.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class TableUse:
    owned: bool = True                    # False: an existing table the program only joins
    propagate_to: tuple[str, ...] = ()    # existing tables that also learn the VPN attachments' routes


_USES: weakref.WeakKeyDictionary[object, TableUse] = weakref.WeakKeyDictionary()


def describe_route_table(route_table_id: pulumi.Output[str], use: TableUse) -> None:
    """Record how the table behind this very `route_table_id` object is used."""
    _USES[route_table_id] = use


def _use(route_table_id: pulumi.Input[str]) -> TableUse:
    try:
        return _USES.get(route_table_id, TableUse())
    except TypeError:  # a plain value nobody described: the program's own table, as before
        return TableUse()


def owns(route_table_id: pulumi.Input[str]) -> bool:
    """Whether the program owns the table (True unless `SiteToSiteVpn` joined an existing one)."""
    return _use(route_table_id).owned


def propagation_targets(route_table_id: pulumi.Input[str]) -> tuple[str, ...]:
    """Existing tables a VPN attachment joining this table also propagates into (`propagateTo`)."""
    return _use(route_table_id).propagate_to


def join_route_table(prefix: str, attachment_id: pulumi.Input[str], route_table_id: pulumi.Input[str],
                     parent: pulumi.Resource, owned: bool = True,
                     propagate_to: Sequence[str] = ()) -> None:
    """Associate the attachment with the table and propagate its routes into it and into each of
    `propagate_to`. `owned=False`: the table is not the program's, so an existing association of
    the attachment is never replaced."""
    opts = pulumi.ResourceOptions(parent=parent)
    aws.ec2transitgateway.RouteTableAssociation(
        f"{prefix}-association", transit_gateway_attachment_id=attachment_id,
        transit_gateway_route_table_id=route_table_id,
        replace_existing_association=True if owned else None, opts=opts)
    aws.ec2transitgateway.RouteTablePropagation(
        f"{prefix}-propagation", transit_gateway_attachment_id=attachment_id,
        transit_gateway_route_table_id=route_table_id, opts=opts)
    for table in propagate_to:
        aws.ec2transitgateway.RouteTablePropagation(
            f"{prefix}-propagation-{table}", transit_gateway_attachment_id=attachment_id,
            transit_gateway_route_table_id=table, opts=opts)
