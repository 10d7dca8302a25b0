"""The AWS VPC behind remote access: subnets, NAT gateway(s) with protected Elastic IPs, and the
Transit Gateway attachment that makes the VPC reachable from GCP and GCP from the VPC.

The Elastic IPs are the product: partners allowlist them, so they are protected from deletion
and replacement, and retained in the account even if the stack is destroyed. With
`natType: instance` one NAT instance (components/instances.py) holds the same address instead
of the NAT gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_aws as aws

from components.instances import recovery_alarms, small_instance
from components.planning.access_settings import NetworkSettings
from components.planning.instance_plan import nat_boot_script
from components.planning.network_plan import NetworkPlan, cidr_name
from components.tags import name_tag
from components.transit_routing import join_route_table, owns


class AwsNetwork(pulumi.ComponentResource):
    """The AWS VPC: public and private subnets per zone, NAT gateway(s) behind protected Elastic
    IPs, and the Transit Gateway attachment.

    Arguments: the network settings (its `plan` places every subnet); `transit_gateway_id` and
    `route_table_id`, the Transit Gateway and the route table the attachment joins;
    `routes_to_transit_gateway`, the (GCP) ranges private subnets send to the Transit Gateway.
    Attributes: `plan`, `vpc`, `default_security_group` (no rules), `public_subnets`,
    `private_subnets`, `private_route_tables`, `private_subnet_ids` (resolve once the resolver
    addresses are reserved), `egress_ips`, `attachment`, `gcp_routes`, `nat_gateways` (by NAT
    zone, for monitoring; empty with a NAT instance), `nat_instance` (None with NAT gateways).
    `region` names the AWS region for the NAT instance's recovery actions; `vpn_gateway_id`, a
    virtual private gateway the VPC attaches to instead of the Transit Gateway (`vpn_gateway`,
    its attachment).
    """

    plan: NetworkPlan
    vpc: aws.ec2.Vpc
    default_security_group: aws.ec2.DefaultSecurityGroup
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    private_subnet_ids: list[pulumi.Output[str]]
    egress_ips: pulumi.Output[list]
    attachment: aws.ec2transitgateway.VpcAttachment
    gcp_routes: list[aws.ec2.Route]
    nat_gateways: dict[int, aws.ec2.NatGateway]
    nat_instance: aws.ec2.Instance | None
    vpn_gateway: aws.ec2.VpnGatewayAttachment

    def __init__(self, name: str, settings: NetworkSettings, *,
                 transit_gateway_id: pulumi.Input[str] | None, route_table_id: pulumi.Input[str] | None,
                 routes_to_transit_gateway: Sequence[str], region: str = "",
                 vpn_gateway_id: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:AwsNetwork", name, None, opts)
        self._name, self._settings = name, settings
        self.plan = settings.plan
        zone, subnet_opts = self._zones(settings)
        igw = self._vpc()
        self._public_subnets(zone, subnet_opts, igw)
        self.nat_instance = self._nat_instance(region) if settings.nat_instance else None
        nats = self.nat_gateways = {} if settings.nat_instance else self._nat_gateways(igw)
        self._private_subnets(zone, subnet_opts, nats)
        self.private_subnet_ids = self._reserve_resolver_addresses(name, self.plan)
        self.gcp_routes = []
        if transit_gateway_id is not None and route_table_id is not None:  # remote access alone needs none
            self._attach_to_transit_gateway(transit_gateway_id, route_table_id, routes_to_transit_gateway)
        if vpn_gateway_id is not None:
            self._attach_to_vpn_gateway(vpn_gateway_id, routes_to_transit_gateway)
        self._outputs()

    def _vpc(self) -> aws.ec2.InternetGateway:
        """The VPC and its internet gateway; returns the gateway."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=self.plan.vpc_cidr, enable_dns_support=True,
                               enable_dns_hostnames=True, tags=name_tag("vpc"), opts=child)
        self._default_security_group()
        return aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, opts=child)

    def _default_security_group(self) -> None:
        """The VPC's default security group, adopted with no rules (CIS AWS 5.4): anything placed in
        the VPC without a group of its own then reaches nothing and is reached by nothing.

        AWS creates the group with the VPC and deletes it only with the VPC: adopting it strips its
        rules and deletes nothing, and `pulumi destroy` only drops it from the state (the VPC's own
        deletion then takes it away).
        """
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{self._name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[],
            tags=name_tag("default-deny-all"), opts=pulumi.ResourceOptions(parent=self))

    def _public_subnets(self, zone: Callable[[int], pulumi.Input[str]],
                        subnet_opts: pulumi.ResourceOptions, igw: aws.ec2.InternetGateway) -> None:
        """One route table with a default route to the internet gateway, and the public subnets."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        public_rt = aws.ec2.RouteTable(f"{name}-public", vpc_id=self.vpc.id, tags=name_tag("public"), opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=igw.id, opts=child)
        self.public_subnets = []
        for s in self.plan.public_subnets:
            subnet = aws.ec2.Subnet(f"{name}-{s.key}", vpc_id=self.vpc.id, cidr_block=s.cidr,
                                    availability_zone=zone(s.zone_index),
                                    map_public_ip_on_launch=False, tags=name_tag(s.key), opts=subnet_opts)
            aws.ec2.RouteTableAssociation(f"{name}-{s.key}-routes", subnet_id=subnet.id,
                                          route_table_id=public_rt.id, opts=child)
            self.public_subnets.append(subnet)

    def _nat_gateways(self, igw: aws.ec2.InternetGateway) -> dict[int, aws.ec2.NatGateway]:
        """An Elastic IP and a NAT gateway per NAT zone; returns the gateways by zone."""
        name = self._name
        # The allowlisted addresses: never deleted or replaced by Pulumi, kept if the stack goes.
        keep = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        nats = {}
        addresses: list[pulumi.Output[str]] = []
        for z in self.plan.nat_zones:
            allocation_id, public_ip = self._egress_address(z, keep)
            addresses.append(public_ip)
            # A replacement (new subnet) must release the protected address before it can take it.
            nats[z] = aws.ec2.NatGateway(f"{name}-nat-{z}", allocation_id=allocation_id,
                                         subnet_id=self.public_subnets[z].id,
                                         tags=name_tag(f"nat-{z}"),
                                         opts=pulumi.ResourceOptions(parent=self, depends_on=[igw],
                                                                     delete_before_replace=True))
        self.egress_ips = pulumi.Output.all(*addresses)
        return nats

    def _nat_instance(self, region: str) -> aws.ec2.Instance:
        """One NAT instance in the first public subnet holding the same protected Elastic IP: it
        forwards and masquerades what the private subnets send out (source/dest check off)."""
        name, plan, child = self._name, self.plan, pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        allocation_id, public_ip = self._egress_address(0, keep)
        self.egress_ips = pulumi.Output.all(public_ip)
        group = aws.ec2.SecurityGroup(
            f"{name}-nat-instance-sg", vpc_id=self.vpc.id,
            description="NAT instance: everything in from the VPC, out to anywhere",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="-1", from_port=0, to_port=0,
                                                      cidr_blocks=[plan.vpc_cidr], description="the VPC")],
            egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0,
                                                    cidr_blocks=["0.0.0.0/0"], description="the internet")],
            tags=name_tag("nat-instance"), opts=child)
        instance = small_instance(
            f"{name}-nat-instance", self, label="nat-instance", purpose="NAT instance",
            instance_type=self._settings.nat_instance_type, subnet_id=self.public_subnets[0].id,
            private_ip=plan.nat_instance_ip, security_group_ids=[group.id],
            user_data=nat_boot_script(plan.vpc_cidr), source_dest_check=False)
        # The allowlisted address follows the instance; a replaced instance takes it back.
        aws.ec2.EipAssociation(f"{name}-nat-instance-egress-ip", allocation_id=allocation_id,
                               instance_id=instance.id, opts=child)
        recovery_alarms(f"{name}-nat-instance-alarm", self, instance, label="nat-instance", region=region)
        return instance

    def _egress_address(self, zone: int, keep: pulumi.ResourceOptions):
        """The allowlisted address of a NAT zone: an existing allocation the stack only references
        (`network.egress.eipAllocationId`), or a new protected Elastic IP."""
        existing = self._settings.eip_allocation_id
        if existing:
            found = aws.ec2.get_elastic_ip_output(id=existing, opts=pulumi.InvokeOutputOptions(parent=self))
            return pulumi.Output.from_input(existing), found.public_ip
        eip = aws.ec2.Eip(f"{self._name}-egress-ip-{zone}", domain="vpc",
                          tags=name_tag(f"egress-{zone}", Purpose="allowlisted egress address"), opts=keep)
        return eip.allocation_id, eip.public_ip

    def _private_subnets(self, zone: Callable[[int], pulumi.Input[str]],
                         subnet_opts: pulumi.ResourceOptions,
                         nats: dict[int, aws.ec2.NatGateway]) -> None:
        """Per private subnet its own route table, with a default route to its zone's NAT gateway."""
        name, plan, child = self._name, self.plan, pulumi.ResourceOptions(parent=self)
        self.private_subnets, self.private_route_tables = [], []
        for s in plan.private_subnets:
            subnet = aws.ec2.Subnet(f"{name}-{s.key}", vpc_id=self.vpc.id, cidr_block=s.cidr,
                                    availability_zone=zone(s.zone_index), tags=name_tag(s.key),
                                    opts=subnet_opts)
            table = aws.ec2.RouteTable(f"{name}-{s.key}", vpc_id=self.vpc.id, tags=name_tag(s.key), opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-{s.key}-routes", subnet_id=subnet.id,
                                          route_table_id=table.id, opts=child)
            via = ({"network_interface_id": self.nat_instance.primary_network_interface_id} if self.nat_instance
                   else {"nat_gateway_id": nats[plan.nat_for_private(s.zone_index)].id})
            aws.ec2.Route(f"{name}-{s.key}-default", route_table_id=table.id,
                          destination_cidr_block="0.0.0.0/0", **via, opts=child)
            self.private_subnets.append(subnet)
            self.private_route_tables.append(table)

    def _attach_to_transit_gateway(self, transit_gateway_id: pulumi.Input[str],
                                   route_table_id: pulumi.Input[str],
                                   routes_to_transit_gateway: Sequence[str]) -> None:
        """Transit Gateway: attach the VPC, route GCP ranges to it."""
        name = self._name
        self.attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-tgw-attachment",
            transit_gateway_id=transit_gateway_id,
            vpc_id=self.vpc.id,
            subnet_ids=self.private_subnet_ids,
            dns_support="enable",
            transit_gateway_default_route_table_association=False,
            transit_gateway_default_route_table_propagation=False,
            tags=name_tag("vpc-attachment"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Propagating the VPC into the VPN route table is what makes AWS advertise it to GCP.
        join_route_table(f"{name}-tgw-attachment", self.attachment.id, route_table_id, self,
                         owned=owns(route_table_id))
        after_attachment = pulumi.ResourceOptions(parent=self, depends_on=[self.attachment])
        self.gcp_routes = [
            aws.ec2.Route(f"{name}-{s.key}-to-{cidr_name(cidr)}", route_table_id=table.id,
                          destination_cidr_block=cidr, transit_gateway_id=transit_gateway_id,
                          opts=after_attachment)
            for s, table in zip(self.plan.private_subnets, self.private_route_tables, strict=True)
            for cidr in routes_to_transit_gateway
        ]

    def _attach_to_vpn_gateway(self, vpn_gateway_id: pulumi.Input[str], routes: Sequence[str]) -> None:
        """Virtual private gateway: attach it to the VPC (it advertises the VPC range to GCP by
        BGP) and route the GCP ranges to it, as the Transit Gateway routes would."""
        name = self._name
        self.vpn_gateway = aws.ec2.VpnGatewayAttachment(f"{name}-vgw-attachment", vpc_id=self.vpc.id,
                                                        vpn_gateway_id=vpn_gateway_id,
                                                        opts=pulumi.ResourceOptions(parent=self))
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.vpn_gateway])
        self.gcp_routes = [
            aws.ec2.Route(f"{name}-{s.key}-to-{cidr_name(cidr)}", route_table_id=table.id,
                          destination_cidr_block=cidr, gateway_id=vpn_gateway_id, opts=after)
            for s, table in zip(self.plan.private_subnets, self.private_route_tables, strict=True)
            for cidr in routes
        ]

    def _outputs(self) -> None:
        self.register_outputs({
            "vpcId": self.vpc.id,
            "egressIps": self.egress_ips,
            "privateSubnetIds": self.private_subnet_ids,
        })

    def _zones(self, settings: NetworkSettings):
        """Zone by subnet position: the explicit `network.zones`, or a lookup.

        A looked-up list can shift (a zone leaves "available", a new one sorts in between), which
        would replace every subnet; so the lookup has no state filter, and subnets placed from it
        ignore later changes of their zone.
        """
        if settings.zones:
            return (lambda index: settings.zones[index]), pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones_output(
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status",
                                                        values=["opt-in-not-required"])],
            opts=pulumi.InvokeOutputOptions(parent=self))
        needed = settings.zones_needed

        def pick(names: list[str], index: int) -> str:
            if len(names) < needed:
                raise pulumi.RunError(
                    f"multicloud-vpn:network.availabilityZones: {settings.availability_zones} needs "
                    f"{needed} zones and the region has {len(names)} ({', '.join(names)}); "
                    "lower availabilityZones or list network.zones")
            return names[index]

        return ((lambda index: zones.names.apply(lambda names: pick(names, index))),
                pulumi.ResourceOptions(parent=self, ignore_changes=["availabilityZone"]))

    def _reserve_resolver_addresses(self, name: str, plan: NetworkPlan) -> list[pulumi.Output[str]]:
        """Private subnet ids that resolve only once the resolver addresses are reserved.

        Everything placed in these subnets takes its id from here, so no interface can be
        auto-assigned a fixed resolver address first.
        """
        ids = []
        for s, subnet in zip(plan.private_subnets, self.private_subnets, strict=True):
            if s in plan.dns_subnets:
                reservation = aws.ec2.SubnetCidrReservation(
                    f"{name}-{s.key}-resolver-addresses", subnet_id=subnet.id,
                    cidr_block=plan.dns_reserved_cidr(s), reservation_type="explicit",
                    description="Fixed Route 53 Resolver endpoint addresses",
                    opts=pulumi.ResourceOptions(parent=self))
                ids.append(pulumi.Output.all(subnet.id, reservation.id).apply(lambda a: a[0]))
            else:
                ids.append(subnet.id)
        return ids
