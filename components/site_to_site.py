"""HA VPN between a GCP Cloud Router and an AWS Transit Gateway, routes exchanged by BGP.

The layout (how many AWS connections, how many tunnels each) comes from the pure plan in
`components.planning.layout`; this component only turns it into resources. Addresses that a cloud
assigns (HA VPN interface IPs, AWS outside IPs, tunnel inside addresses) are always read from the
other side's outputs, never typed in.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_random as random

from components.audit_logs import tunnel_log_group, tunnel_log_options
from components.planning.asn import customer_gateway_asn
from components.planning.audit_settings import AuditSettings
from components.planning.keys import PSK_LENGTH, aws_safe_psk
from components.planning.layout import AwsTunnel
from components.planning.settings import SiteToSiteSettings
from components.tags import name_tag
from components.transit_routing import TableUse, describe_route_table, join_route_table


class SiteToSiteVpn(pulumi.ComponentResource):
    """The HA VPN between a GCP hub network and an AWS Transit Gateway.

    Arguments: the site-to-site settings; `network_id` of the GCP hub network; `region` of the
    Cloud Router and HA VPN gateway; `advertised_ranges`, what the Cloud Router announces beyond
    its subnets; `audit`, whose `vpnTunnelLogs` sends every AWS tunnel's IKE and BGP logs to a log
    group of this component (None: no tunnel logs). Attributes: `transit_gateway_id`,
    `route_table_id` (the table every attachment joins: the VPN's own, or in `transitGatewayRouting`
    mode join the existing one),
    `owns_route_table` (False in mode join: associations never replace existing ones),
    `ha_vpn_interface_ips`, `tunnels` (one entry per GCP tunnel); for monitoring `vpn_connections`
    (by connection index), `gcp_tunnels` and `bgp_peers` (by tunnel key, e.g. c0-t1). With
    `termination: vpnGateway` the AWS side is a virtual private gateway instead (`vpn_gateway_id`;
    `transit_gateway_id` and `route_table_id` are None): the VPC attaches to it.
    """

    transit_gateway_id: pulumi.Output[str] | None
    route_table_id: pulumi.Output[str] | None
    vpn_gateway_id: pulumi.Output[str] | None
    owns_route_table: bool
    ha_vpn_interface_ips: pulumi.Output[list]
    tunnels: pulumi.Output[list]
    vpn_connections: list[aws.ec2.VpnConnection]
    gcp_tunnels: dict[str, gcp.compute.VPNTunnel]
    bgp_peers: dict[str, gcp.compute.RouterPeer]

    def __init__(self, name: str, settings: SiteToSiteSettings, *,
                 network_id: pulumi.Input[str], region: str,
                 advertised_ranges: Sequence[str] = (), audit: AuditSettings | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:SiteToSiteVpn", name, None, opts)
        self._name, self._settings, self._region = name, settings, region
        layout = settings.layout
        self.vpn_gateway_id = None
        aws_asn = self._transit_gateway() if settings.on_transit_gateway else self._vpn_gateway()
        router, ha_vpn = self._gcp_gateway(network_id, advertised_ranges)
        # One key per AWS tunnel, idle ones too, so growing the layout changes nothing.
        keys = {t.key: _pre_shared_key(f"{name}-psk-{t.key}", settings.key_versions[t.connection], self)
                for t in layout.aws_tunnels}
        self._tunnel_logs = tunnel_log_group(name, audit, self) if audit else None
        connections = [self._aws_connection(c, ha_vpn, keys) for c in range(layout.connections)]
        self.vpn_connections, self.gcp_tunnels, self.bgp_peers = connections, {}, {}
        self._gcp_tunnels(router, ha_vpn, connections, keys, aws_asn)
        self._outputs(ha_vpn, connections)

    def _transit_gateway(self) -> pulumi.Input[int]:
        """The AWS side: a new Transit Gateway or an adopted one, and the route table the
        attachments use. Returns the Amazon-side ASN."""
        settings, child = self._settings, pulumi.ResourceOptions(parent=self)
        if settings.transit_gateway_id:
            adopted = aws.ec2transitgateway.get_transit_gateway_output(
                id=settings.transit_gateway_id, opts=pulumi.InvokeOutputOptions(parent=self))
            adopted.vpn_ecmp_support.apply(_warn_without_ecmp)
            self.transit_gateway_id = pulumi.Output.from_input(settings.transit_gateway_id)
            aws_asn: pulumi.Input[int] = adopted.amazon_side_asn
        else:
            tgw = aws.ec2transitgateway.TransitGateway(
                f"{self._name}-tgw",
                description="AWS side of the HA VPN to GCP",
                amazon_side_asn=settings.aws_asn,
                vpn_ecmp_support="enable",
                dns_support="enable",
                # Attachments are associated and propagated explicitly.
                default_route_table_association="disable",
                default_route_table_propagation="disable",
                opts=child,
            )
            self.transit_gateway_id = tgw.id
            aws_asn = settings.aws_asn
        self.owns_route_table = settings.owns_route_table
        if settings.joined_route_table_id:
            # An existing table of the adopted gateway: joined, never created or changed.
            self.route_table_id = pulumi.Output.from_input(settings.joined_route_table_id)
        else:
            route_table = aws.ec2transitgateway.RouteTable(
                f"{self._name}-tgw-routes", transit_gateway_id=self.transit_gateway_id,
                tags=name_tag("tgw-routes"), opts=child)
            self.route_table_id = route_table.id
            # Existing attachments whose routes the VPN's table (and so GCP, by BGP) learns.
            for attachment in settings.propagate_from:
                aws.ec2transitgateway.RouteTablePropagation(
                    f"{self._name}-propagation-from-{attachment}", transit_gateway_attachment_id=attachment,
                    transit_gateway_route_table_id=self.route_table_id, opts=child)
        describe_route_table(self.route_table_id, TableUse(owned=self.owns_route_table,
                                                           propagate_to=settings.propagate_to))
        return aws_asn

    def _vpn_gateway(self) -> int:
        """The AWS side as a virtual private gateway (free; the VPC attaches to it): one connection,
        no ECMP, no transitive routing. Its ASN cannot change later. Returns the ASN."""
        settings = self._settings
        vgw = aws.ec2.VpnGateway(f"{self._name}-vgw", amazon_side_asn=str(settings.aws_asn),
                                 tags=name_tag("vgw"), opts=pulumi.ResourceOptions(parent=self))
        self.vpn_gateway_id = vgw.id
        self.transit_gateway_id = self.route_table_id = None
        self.owns_route_table = True
        return settings.aws_asn

    def _gcp_gateway(self, network_id: pulumi.Input[str], advertised_ranges: Sequence[str]):
        """The GCP side: a Cloud Router in custom advertisement mode and the HA VPN gateway."""
        child = pulumi.ResourceOptions(parent=self)
        router = gcp.compute.Router(
            f"{self._name}-cloud-router",
            network=network_id,
            region=self._region,
            description="BGP with the AWS Transit Gateway",
            bgp=gcp.compute.RouterBgpArgs(
                asn=self._settings.gcp_asn,
                advertise_mode="CUSTOM",
                advertised_groups=["ALL_SUBNETS"],
                advertised_ip_ranges=[
                    gcp.compute.RouterBgpAdvertisedIpRangeArgs(range=r) for r in advertised_ranges
                ],
            ),
            opts=child,
        )
        # stack_type explicit: a changed provider default once replaced gateways and every tunnel.
        ha_vpn = gcp.compute.HaVpnGateway(f"{self._name}-ha-vpn", network=network_id, region=self._region,
                                          stack_type="IPV4_ONLY", opts=child)
        self._router = router
        return router, ha_vpn

    def _aws_connection(self, c: int, ha_vpn: gcp.compute.HaVpnGateway,
                        keys: dict[str, pulumi.Output[str]]) -> aws.ec2.VpnConnection:
        """Connection c: a customer gateway at HA VPN interface c, both AWS tunnels configured."""
        name, settings, child = self._name, self._settings, pulumi.ResourceOptions(parent=self)
        cgw = aws.ec2.CustomerGateway(
            f"{name}-cgw-c{c}",
            **customer_gateway_asn(settings.gcp_asn),
            ip_address=ha_vpn.vpn_interfaces.apply(lambda ifs, c=c: _interface_ip(ifs, c)),
            type="ipsec.1",
            tags=name_tag(f"gcp-ha-vpn-interface-{c}"),
            opts=child,
        )
        tunnel_args: dict = {}
        for t in (t for t in settings.layout.aws_tunnels if t.connection == c):
            tunnel_args.update(settings.ike_profile.aws_tunnel_options(t.number))
            tunnel_args[f"tunnel{t.number}_inside_cidr"] = t.inside_cidr
            tunnel_args[f"tunnel{t.number}_preshared_key"] = keys[t.key]
            tunnel_args[f"tunnel{t.number}_dpd_timeout_action"] = "restart"
            tunnel_args.update(tunnel_log_options(t.number, self._tunnel_logs))
        gateway = ({"transit_gateway_id": self.transit_gateway_id} if self.transit_gateway_id is not None
                   else {"vpn_gateway_id": self.vpn_gateway_id})
        vpn = aws.ec2.VpnConnection(
            f"{name}-vpn-c{c}",
            customer_gateway_id=cgw.id,
            **gateway,
            type="ipsec.1",
            static_routes_only=False,
            tags=name_tag(f"gcp-c{c}"),
            **tunnel_args,
            opts=child,
        )
        if self.route_table_id is None:
            return vpn  # a virtual private gateway: no attachment, no route table
        # The attachment is created implicitly and untagged; name it for consoles and cost reports.
        aws.ec2.Tag(f"{name}-vpn-c{c}-attachment-name", resource_id=vpn.transit_gateway_attachment_id,
                    key="Name", value=name_tag(f"gcp-c{c}-attachment")["Name"], opts=child)
        join_route_table(f"{name}-vpn-c{c}", vpn.transit_gateway_attachment_id, self.route_table_id, self,
                         owned=self.owns_route_table, propagate_to=settings.propagate_to)
        return vpn

    def _gcp_tunnels(self, router: gcp.compute.Router, ha_vpn: gcp.compute.HaVpnGateway,
                     connections: list[aws.ec2.VpnConnection], keys: dict[str, pulumi.Output[str]],
                     aws_asn: pulumi.Input[int]) -> None:
        """The AWS side as one external gateway, then per tunnel a VPN tunnel and a BGP session."""
        name, settings, region = self._name, self._settings, self._region
        layout = settings.layout
        # A replaced tunnel must leave its HA VPN interface (and key) before the new one takes it,
        # and a replaced interface or peer must free its link-local range first.
        replace_first = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        external = gcp.compute.ExternalVpnGateway(
            f"{name}-aws-peer",
            redundancy_type=layout.redundancy_type,
            description="AWS Site-to-Site VPN tunnel endpoints",
            interfaces=[
                gcp.compute.ExternalVpnGatewayInterfaceArgs(
                    id=t.external_interface,
                    ip_address=_aws_output(connections[t.connection], t, "address"),
                )
                for t in layout.tunnels
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        suite = settings.ike_profile.gcp_cipher_suite()
        for t in layout.tunnels:
            tunnel = gcp.compute.VPNTunnel(
                f"{name}-tunnel-{t.key}",
                region=region,
                vpn_gateway=ha_vpn.id,
                vpn_gateway_interface=t.ha_interface,
                peer_external_gateway=external.id,
                peer_external_gateway_interface=t.external_interface,
                shared_secret=keys[t.key],
                router=router.id,
                ike_version=2,
                cipher_suite=gcp.compute.VPNTunnelCipherSuiteArgs(
                    phase1=gcp.compute.VPNTunnelCipherSuitePhase1Args(**suite["phase1"]),
                    phase2=gcp.compute.VPNTunnelCipherSuitePhase2Args(**suite["phase2"]),
                ),
                description=f"AWS connection {t.connection} tunnel {t.number}",
                opts=replace_first,
            )
            self.gcp_tunnels[t.key] = tunnel
            # The plan knows both inside addresses, so a first preview already shows them.
            interface = gcp.compute.RouterInterface(
                f"{name}-bgp-if-{t.key}",
                router=router.name,
                region=region,
                ip_range=f"{t.gcp_inside_address}/30",
                vpn_tunnel=tunnel.name,
                opts=replace_first,
            )
            self.bgp_peers[t.key] = gcp.compute.RouterPeer(
                f"{name}-bgp-peer-{t.key}",
                router=router.name,
                region=region,
                interface=interface.name,
                ip_address=t.gcp_inside_address,
                peer_ip_address=t.aws_inside_address,
                peer_asn=aws_asn,
                # Equal priorities on every session let both clouds spread traffic (ECMP).
                advertised_route_priority=settings.advertised_route_priority,
                opts=replace_first,
            )

    def _outputs(self, ha_vpn: gcp.compute.HaVpnGateway, connections: list[aws.ec2.VpnConnection]) -> None:
        self.ha_vpn_interface_ips = ha_vpn.vpn_interfaces.apply(
            lambda ifs: [_interface_ip(ifs, i) for i in range(len(ifs))])
        self.tunnels = pulumi.Output.all(*[
            pulumi.Output.all(
                name=t.key,
                connection=t.connection,
                awsTunnel=t.number,
                awsOutsideIp=_aws_output(connections[t.connection], t, "address"),
                gcpHaInterface=t.ha_interface,
                externalInterface=t.external_interface,
                insideCidr=t.inside_cidr,
                # What the status command asks the clouds about.
                vpnConnectionId=connections[t.connection].id,
                gcpTunnel=self.gcp_tunnels[t.key].name,
                gcpRouter=self._router.name,
            )
            for t in self._settings.layout.tunnels
        ])
        self.register_outputs({
            "transitGatewayId": self.transit_gateway_id,
            "routeTableId": self.route_table_id,
            "haVpnInterfaceIps": self.ha_vpn_interface_ips,
            "tunnels": self.tunnels,
        })


def _pre_shared_key(name: str, version: int, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A key that changes only when its connection's `keyVersions` entry does."""
    password = random.RandomPassword(
        name, length=PSK_LENGTH, special=False, min_lower=1, min_upper=1, min_numeric=1,
        keepers={"version": str(version)}, opts=pulumi.ResourceOptions(parent=parent))
    # apply() on a secret stays secret; make it explicit all the same.
    return pulumi.Output.secret(password.result.apply(aws_safe_psk))


def _aws_output(vpn: aws.ec2.VpnConnection, tunnel: AwsTunnel, suffix: str) -> pulumi.Output[str]:
    return getattr(vpn, f"tunnel{tunnel.number}_{suffix}")


def _interface_ip(interfaces, index: int) -> str:
    for interface in interfaces or []:
        iface_id = interface.get("id") if isinstance(interface, dict) else interface.id
        if iface_id == index:
            return str(interface.get("ip_address") if isinstance(interface, dict) else interface.ip_address)
    raise ValueError(f"HA VPN gateway has no interface {index}")


def _warn_without_ecmp(value: str | None) -> None:
    if value != "enable":
        pulumi.log.warn("the adopted Transit Gateway has VPN ECMP disabled: traffic will use one "
                        "tunnel at a time; enable vpn_ecmp_support on it")
