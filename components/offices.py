"""Office (on-premises) sites on the Transit Gateway, by AWS Site-to-Site VPN.

Each office gets a customer gateway at its router's public address and a VPN connection with
both tunnels configured (IKE pinned, inside /30s unique on the gateway, keys from pulumi-random),
associated with and propagated into the VPN route table. Propagation is what makes the
Transit Gateway advertise the office's routes to GCP over BGP, and GCP's to the office. A static
site (no `bgpAsn`) gets `staticRoutesOnly` and one Transit Gateway route per office range.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.audit_logs import tunnel_log_group, tunnel_log_options
from components.planning.asn import customer_gateway_asn
from components.planning.audit_settings import AuditSettings
from components.planning.estate_settings import Office
from components.planning.keys import PSK_LENGTH, aws_safe_psk
from components.planning.layout import AwsTunnel
from components.planning.network_plan import cidr_name
from components.tags import name_tag
from components.transit_routing import join_route_table, owns, propagation_targets


class OfficeVpns(pulumi.ComponentResource):
    """Arguments: the offices; the Transit Gateway and the route table the VPN attachments join;
    `audit`, whose `vpnTunnelLogs` sends both tunnels' IKE and BGP logs of every office to a log
    group of this component (None: no tunnel logs).
    Attributes: `summary` (per office: routing and both tunnels' outside and inside addresses) and
    `device_configurations` (per office, the configuration AWS generates for the router: a secret) and
    `connections` (per office name, its VPN connection, for monitoring).
    """

    summary: pulumi.Output[dict]
    device_configurations: pulumi.Output[dict]
    connections: dict[str, aws.ec2.VpnConnection]

    def __init__(self, name: str, offices: Sequence[Office], *, transit_gateway_id: pulumi.Input[str],
                 route_table_id: pulumi.Input[str], audit: AuditSettings | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:OfficeVpns", name, None, opts)
        self._name = name
        self._tunnel_logs = tunnel_log_group(name, audit, self) if audit else None
        connections = {o.name: self._office(o, transit_gateway_id, route_table_id) for o in offices}
        self.connections = connections
        self.summary = pulumi.Output.all(**{
            o.name: pulumi.Output.all(
                routing="static" if o.static else "bgp",
                tunnels=[pulumi.Output.all(
                    outsideIp=getattr(connections[o.name], f"tunnel{n}_address"),
                    insideCidr=o.inside_cidrs[n - 1],
                    awsInsideAddress=_tunnel(o, n).aws_inside_address,
                    officeInsideAddress=_tunnel(o, n).gcp_inside_address,
                ) for n in (1, 2)],
            )
            for o in offices
        })
        self.device_configurations = pulumi.Output.secret(pulumi.Output.all(**{
            o.name: connections[o.name].customer_gateway_configuration for o in offices}))
        self.register_outputs({"offices": self.summary})

    def _office(self, office: Office, transit_gateway_id: pulumi.Input[str],
                route_table_id: pulumi.Input[str]) -> aws.ec2.VpnConnection:
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        cgw = aws.ec2.CustomerGateway(
            f"{name}-cgw-{office.name}", ip_address=office.public_ip, type="ipsec.1",
            **customer_gateway_asn(office.customer_gateway_asn),
            tags=name_tag(f"office-{office.name}"), opts=child)
        tunnel_args: dict = {}
        for n in (1, 2):
            key = random.RandomPassword(
                f"{name}-psk-{office.name}-t{n}", length=PSK_LENGTH, special=False, min_lower=1,
                min_upper=1, min_numeric=1, keepers={"version": "1"}, opts=child)
            tunnel_args.update(office.ike_profile.aws_tunnel_options(n))
            tunnel_args[f"tunnel{n}_inside_cidr"] = office.inside_cidrs[n - 1]
            tunnel_args[f"tunnel{n}_preshared_key"] = pulumi.Output.secret(key.result.apply(aws_safe_psk))
            tunnel_args[f"tunnel{n}_dpd_timeout_action"] = "restart"
            tunnel_args.update(tunnel_log_options(n, self._tunnel_logs))
        vpn = aws.ec2.VpnConnection(
            f"{name}-vpn-{office.name}", customer_gateway_id=cgw.id, transit_gateway_id=transit_gateway_id,
            type="ipsec.1", static_routes_only=office.static, tags=name_tag(f"office-{office.name}"),
            **tunnel_args,
            # It holds both tunnels' keys.
            opts=pulumi.ResourceOptions(parent=self,
                                        additional_secret_outputs=["customerGatewayConfiguration"]))
        aws.ec2.Tag(f"{name}-vpn-{office.name}-attachment-name", resource_id=vpn.transit_gateway_attachment_id,
                    key="Name", value=name_tag(f"office-{office.name}-attachment")["Name"], opts=child)
        join_route_table(f"{name}-vpn-{office.name}", vpn.transit_gateway_attachment_id, route_table_id, self,
                         owned=owns(route_table_id), propagate_to=propagation_targets(route_table_id))
        if office.static:
            for cidr in office.cidrs:
                aws.ec2transitgateway.Route(
                    f"{name}-static-route-{office.name}.{cidr_name(cidr)}", destination_cidr_block=cidr,
                    transit_gateway_attachment_id=vpn.transit_gateway_attachment_id,
                    transit_gateway_route_table_id=route_table_id, opts=child)
        return vpn


def _tunnel(office: Office, number: int) -> AwsTunnel:
    """The plan's view of an office tunnel, for its inside addresses."""
    return AwsTunnel(connection=0, number=number, inside_cidr=office.inside_cidrs[number - 1],
                     external_interface=None)
