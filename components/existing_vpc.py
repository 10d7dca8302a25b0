"""Remote access inside a VPC that already exists (`network.existingVpc`).

Nothing of the VPC is created or owned: no VPC, subnet, route table, NAT gateway, Elastic IP or
subnet CIDR reservation. Its existing NAT gateway is the egress (its public address, the one
partners already allowlist, is looked up for `egressIps`); with the site-to-site VPN the program
adds only the joints: a Transit Gateway attachment on the given private subnets and, in each
given route table, a route via the Transit Gateway to every range the VPC should reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_network import AwsNetwork
from components.planning.access_settings import ExistingVpc, NetworkSettings
from components.planning.network_plan import NetworkPlan, cidr_name
from components.tags import name_tag
from components.transit_routing import join_route_table, owns


@dataclass(frozen=True)
class VpcReference:
    """The existing VPC as its consumers read it (`network.vpc.id`)."""
    id: pulumi.Output[str]


class ExistingVpcJoints(pulumi.ComponentResource):
    """The joints of an existing VPC, with the attributes remote access and DNS read from a network.

    Arguments: the network settings (with `existing_vpc`); `transit_gateway_id` and
    `route_table_id`, the Transit Gateway and the route table the attachment joins (None: no
    site-to-site VPN, nothing is created); `routes_to_transit_gateway`, the ranges the given route
    tables send to the Transit Gateway.
    Attributes: `plan` (zones: the given private subnets; the chosen resolver addresses), `vpc`
    (`vpc.id`), `vpc_id`, `private_subnet_ids`, `egress_ips`, `attachment` (None without the
    VPN), `gcp_routes`.
    """

    plan: NetworkPlan
    vpc: VpcReference
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    egress_ips: pulumi.Output[list]
    attachment: aws.ec2transitgateway.VpcAttachment | None
    gcp_routes: list[aws.ec2.Route]

    def __init__(self, name: str, settings: NetworkSettings, *,
                 transit_gateway_id: pulumi.Input[str] | None, route_table_id: pulumi.Input[str] | None,
                 routes_to_transit_gateway: Sequence[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:ExistingVpcJoints", name, None, opts)
        assert settings.existing_vpc is not None, "ExistingVpcJoints needs network.existingVpc"
        existing: ExistingVpc = settings.existing_vpc
        self._name = name
        self.plan = settings.plan
        self.vpc_id = pulumi.Output.from_input(existing.vpc_id)
        self.vpc = VpcReference(self.vpc_id)
        self.private_subnet_ids = [pulumi.Output.from_input(s) for s in existing.private_subnet_ids]
        nat = aws.ec2.get_nat_gateway_output(id=existing.nat_gateway_id,
                                             opts=pulumi.InvokeOutputOptions(parent=self))
        self.egress_ips = pulumi.Output.all(nat.public_ip)
        self.attachment, self.gcp_routes = None, []
        if transit_gateway_id is not None and route_table_id is not None:
            self._attach_to_transit_gateway(existing, transit_gateway_id, route_table_id,
                                            routes_to_transit_gateway)
        self.register_outputs({"vpcId": self.vpc_id, "egressIps": self.egress_ips,
                               "privateSubnetIds": self.private_subnet_ids})

    def _attach_to_transit_gateway(self, existing: ExistingVpc, transit_gateway_id: pulumi.Input[str],
                                   route_table_id: pulumi.Input[str],
                                   routes_to_transit_gateway: Sequence[str]) -> None:
        """Attach the VPC on its given private subnets; route the given tables to the gateway."""
        name = self._name
        attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-tgw-attachment", transit_gateway_id=transit_gateway_id, vpc_id=existing.vpc_id,
            subnet_ids=list(existing.private_subnet_ids), dns_support="enable",
            transit_gateway_default_route_table_association=False,
            transit_gateway_default_route_table_propagation=False,
            tags=name_tag("existing-vpc-attachment"), opts=pulumi.ResourceOptions(parent=self))
        # Propagating the VPC into the VPN route table is what makes AWS advertise it to GCP.
        join_route_table(f"{name}-tgw-attachment", attachment.id, route_table_id, self,
                         owned=owns(route_table_id))
        after_attachment = pulumi.ResourceOptions(parent=self, depends_on=[attachment])
        # Keyed by table id and range, never by position: reordering the list moves nothing.
        self.gcp_routes = [
            aws.ec2.Route(f"{name}-{table}-to-{cidr_name(cidr)}", route_table_id=table,
                          destination_cidr_block=cidr, transit_gateway_id=transit_gateway_id,
                          opts=after_attachment)
            for table in existing.route_table_ids
            for cidr in routes_to_transit_gateway if cidr != existing.cidr
        ]
        self.attachment = attachment


VpcNetwork = AwsNetwork | ExistingVpcJoints
"""What remote access and DNS take from the AWS side: the program's VPC or an existing one."""
