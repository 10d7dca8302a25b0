"""multicloud-vpn: read the stack's settings, build explicit providers, create the components."""

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_random as random
import pulumi_tls as tls
import pulumi_twingate as twingate

from components.attached_vpcs import AttachedVpcs
from components.audit_logs import AuditTrail
from components.aws_network import AwsNetwork
from components.client_vpn import ClientVpn
from components.existing_vpc import ExistingVpcJoints, VpcNetwork
from components.gcp_hub import GcpHub
from components.gcp_services import GcpServices
from components.monitoring import Monitoring, office_tunnels, site_to_site_tunnels
from components.offices import OfficeVpns
from components.planning.errors import SettingsError
from components.planning.names import gcp_label_value
from components.planning.settings import CONFIG_KEYS, SECRET_KEYS, load_settings
from components.private_dns import HubNetworks, PrivateDns
from components.site_to_site import SiteToSiteVpn
from components.twingate_connectors import TwingateConnectors


def stack_keys() -> set[str]:
    """Every key the stack sets, however the CLI handed the configuration over."""
    return set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())


def read_config() -> dict:
    """Raw values for every key the program knows or the stack sets in a namespace it reads;
    structured ones arrive as JSON text.

    Secrets are only checked for presence here: their values go to providers as secrets.
    """
    raw = {}
    namespaces = {key.split(":", 1)[0] for key in CONFIG_KEYS}
    for key in sorted(set(CONFIG_KEYS) | {k for k in stack_keys() if k.split(":", 1)[0] in namespaces}):
        namespace, name = key.split(":", 1)
        if key in SECRET_KEYS:
            raw[key] = "<secret>" if pulumi.Config(namespace).get_secret(name) is not None else None
        else:
            raw[key] = pulumi.Config(namespace).get(name)
    return raw


def secret_args(keys: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Provider arguments read from secret stack keys; they stay Pulumi secrets."""
    out: dict[str, Any] = {}
    for key, arg in keys:
        namespace, name = key.split(":", 1)
        out[arg] = pulumi.Config(namespace).get_secret(name)
    return out


try:
    settings = load_settings(read_config(), base_dir=Path(__file__).resolve().parent)
except SettingsError as error:
    # One clear line per error, no traceback, and nothing declared yet.
    raise pulumi.RunError("\n".join(f"invalid stack setting: {line}"
                                    for line in str(error).splitlines())) from None

for warning in settings.warnings:
    pulumi.log.warn(warning)


# --------------------------------------------------------------------------------- providers
def aws_provider() -> aws.Provider:
    options: dict[str, Any] = dict(settings.providers.aws)
    if "assume_roles" in options:
        options["assume_roles"] = [aws.ProviderAssumeRoleArgs(**r) for r in options["assume_roles"]]
    return aws.Provider(
        "aws", region=settings.aws_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags={"project": "multicloud-vpn", "stack": pulumi.get_stack()}),
        **options, **secret_args(settings.providers.aws_secrets))


def gcp_provider(name: str, project: str) -> gcp.Provider:
    labels = {"project": "multicloud-vpn", "stack": gcp_label_value(pulumi.get_stack())}
    return gcp.Provider(name, project=project, region=settings.gcp_region, default_labels=labels,
                        **settings.providers.gcp, **secret_args(settings.providers.gcp_secrets))


aws_main = aws_provider()
explicit: list[pulumi.ProviderResource] = [aws_main, random.Provider("random"), tls.Provider("tls")]
if settings.site_to_site:
    explicit.append(gcp_provider("gcp", settings.gcp_project))
providers = pulumi.ResourceOptions(providers=explicit)


# ----------------------------------------------------------------------- site-to-site and GCP
def site_to_site():
    """The hub, its spokes and the HA VPN to the Transit Gateway."""
    assert settings.site_to_site is not None and settings.gcp_hub is not None
    # An existing spoke's side of the peering (and its DNS peering zone) is made in its own project.
    projects = sorted({s.project for s in settings.gcp_hub.spokes
                       if s.existing and s.project and s.project != settings.gcp_project})
    project_providers = {p: gcp_provider(f"gcp-spoke-project-{p}", p) for p in projects}
    apis = GcpServices("gcp-apis", opts=providers)
    hub = GcpHub("gcp-hub", settings.gcp_hub, aws_ranges=settings.aws_ranges, requires=[apis.compute],
                 spoke_providers=project_providers, audit=settings.audit, opts=providers)
    vpn = SiteToSiteVpn("site-to-site", settings.site_to_site, network_id=hub.network.id,
                        region=settings.gcp_region, advertised_ranges=settings.advertised_ranges,
                        audit=settings.audit, opts=providers)
    if vpn.transit_gateway_id is not None:
        pulumi.export("transitGatewayId", vpn.transit_gateway_id)
        pulumi.export("routeTableId", vpn.route_table_id)
    else:
        pulumi.export("vpnGatewayId", vpn.vpn_gateway_id)
    pulumi.export("haVpnInterfaceIps", vpn.ha_vpn_interface_ips)
    pulumi.export("tunnels", vpn.tunnels)
    pulumi.export("layout", {
        "connections": settings.site_to_site.connections,
        "tunnelsPerConnection": settings.site_to_site.tunnels_per_connection,
        "redundancyType": settings.site_to_site.layout.redundancy_type,
        "sla": settings.site_to_site.layout.sla,
    })
    pulumi.export("gcpSpokes", {s.name: list(s.cidrs) if s.existing else s.cidr for s in settings.gcp_hub.spokes})
    spoke_providers = {s.name: project_providers[s.project] for s in settings.gcp_hub.spokes
                       if s.existing and s.project in project_providers}
    return apis, hub, vpn, spoke_providers


def joined_estate(vpn: SiteToSiteVpn) -> OfficeVpns | None:
    """Offices and attached VPCs on the Transit Gateway; returns the offices (for monitoring)."""
    offices = None
    if not (settings.offices or settings.network.attached_vpcs):
        return None
    # The settings refuse both on a virtual private gateway.
    assert vpn.transit_gateway_id is not None and vpn.route_table_id is not None
    if settings.offices:
        offices = OfficeVpns("offices", settings.offices, transit_gateway_id=vpn.transit_gateway_id,
                             route_table_id=vpn.route_table_id, audit=settings.audit, opts=providers)
        pulumi.export("offices", offices.summary)
        pulumi.export("officeDeviceConfigurations", offices.device_configurations)
    if settings.network.attached_vpcs:
        AttachedVpcs("attached-vpcs", settings.network.attached_vpcs, transit_gateway_id=vpn.transit_gateway_id,
                     route_table_id=vpn.route_table_id,
                     destinations=[*settings.aws_routes_to_gcp, *filter(None, [settings.network.vpc_cidr])],
                     opts=providers)
    return offices


# ----------------------------------------------------------------------- AWS and remote access
def aws_network(vpn: SiteToSiteVpn | None) -> VpcNetwork:
    """The program's VPC, or the joints of an existing one (`network.existingVpc`)."""
    component = ExistingVpcJoints if settings.network.existing_vpc else AwsNetwork
    network = component(
        "existing-vpc" if settings.network.existing_vpc else "aws-network", settings.network,
        transit_gateway_id=vpn.transit_gateway_id if vpn else None,
        route_table_id=vpn.route_table_id if vpn else None,
        routes_to_transit_gateway=settings.aws_routes_to_gcp if vpn else (),
        **({} if settings.network.existing_vpc else {
            "region": settings.aws_region, "vpn_gateway_id": vpn.vpn_gateway_id if vpn else None}),
        opts=providers)
    pulumi.export("egressIps", network.egress_ips)
    pulumi.export("vpcId", network.vpc.id)
    return network


def client_vpn(network: VpcNetwork) -> ClientVpn:
    # With the DNS forwarder, users resolve through it: GCP and on-premises names too.
    forwarder = network.plan.dns_forwarder_ip if settings.dns.uses_forwarder and settings.site_to_site else None
    endpoint = ClientVpn("client-vpn", settings.client_vpn, plan=network.plan, vpc_id=network.vpc.id,
                         subnet_ids=network.private_subnet_ids, gcp_ranges=settings.routed_ranges,
                         dns_server=forwarder, log_kms_key_id=settings.audit.kms_key_arn, opts=providers)
    pulumi.export("clientVpnEndpointId", endpoint.endpoint.id)
    pulumi.export("clientVpnDnsName", endpoint.endpoint.dns_name)
    if endpoint.client_configuration is not None:
        pulumi.export("clientConfiguration", endpoint.client_configuration)
    if endpoint.client_profiles is not None:
        pulumi.export("clientProfiles", endpoint.client_profiles)
        pulumi.export("clientCertificates", endpoint.client_certificates)
        pulumi.export("revokedClientCertificates", settings.client_vpn.revoked_serials)
    if endpoint.self_service_portal_url is not None:
        pulumi.export("selfServicePortalUrl", endpoint.self_service_portal_url)
    return endpoint


def twingate_connectors(network: VpcNetwork) -> None:
    twingate_network = pulumi.Config("twingate").require("network")
    provider = twingate.Provider("twingate", api_token=pulumi.Config("twingate").require_secret("apiToken"),
                                 network=twingate_network)
    connectors = TwingateConnectors(
        "twingate", settings.twingate, region=settings.aws_region, network=twingate_network,
        vpc_id=network.vpc.id, vpc_cidr=network.plan.vpc_cidr, private_subnet_ids=network.private_subnet_ids,
        private_ranges=settings.routed_ranges, opts=pulumi.ResourceOptions(providers=[aws_main, provider]))
    pulumi.export("twingateRemoteNetworkId", connectors.remote_network.id)


def private_dns(apis: GcpServices, hub: GcpHub, spoke_providers: dict, network: VpcNetwork) -> Any:
    """The DNS both ways; returns the DNS forwarder instance (None with Route 53 endpoints)."""
    assert settings.gcp_hub is not None
    dns = PrivateDns(
        "private-dns", settings.dns,
        hub=HubNetworks(
            network_id=hub.network.id, self_link=hub.network.self_link, spoke_links=hub.spoke_links,
            spoke_providers=spoke_providers,
            created_spoke_links={n: net.self_link for n, net in hub.spoke_networks.items()},
            forwarder_subnets=[(hub.subnets[s.name].self_link, s.region)
                               for s in settings.gcp_hub.subnets if s.region == settings.gcp_region],
            hub_ranges=[s.cidr for s in settings.gcp_hub.subnets]),
        requires=[apis.dns], query_logging=settings.audit.cloud_dns_logging,
        plan=network.plan, vpc_id=network.vpc.id,
        private_subnet_ids=network.private_subnet_ids, region=settings.aws_region, opts=providers)
    pulumi.export("dnsInboundResolverIps", list(dns.inbound_ips))
    pulumi.export("privateDns", {"resolver": settings.dns.resolver, "gcpToAws": settings.dns.gcp_to_aws,
                                 "awsToGcp": settings.dns.aws_to_gcp,
                                 "forwarderIp": dns.forwarder.address if dns.forwarder else None})
    if dns.gcp_forwarder_ips is not None:
        pulumi.export("gcpDnsForwarderIps", dns.gcp_forwarder_ips)
    return dns.forwarder.instance if dns.forwarder else None


# ---------------------------------------------------------------------------- the stack
vpn = offices = endpoint = network = forwarder = None
if settings.site_to_site:
    apis, hub, vpn, spoke_providers = site_to_site()
    offices = joined_estate(vpn)
if settings.network.vpc_cidr:
    network = aws_network(vpn)
    if settings.client_vpn.enabled:
        endpoint = client_vpn(network)
    if settings.twingate.enabled:
        twingate_connectors(network)
    if settings.site_to_site:
        forwarder = private_dns(apis, hub, spoke_providers, network)

# ------------------------------------------------------------------------------- monitoring
def monitoring(vpn: SiteToSiteVpn | None, offices: OfficeVpns | None, network: Any,
               endpoint: ClientVpn | None, forwarder: Any) -> None:
    """Alarms on the tunnels GCP and the offices use, the NAT gateways and Client VPN, and a dashboard."""
    if not settings.monitoring.enabled:
        return
    tunnels = []
    if vpn is not None and settings.site_to_site is not None:
        tunnels += site_to_site_tunnels(settings.site_to_site.layout, vpn.vpn_connections)
    if offices is not None:
        tunnels += office_tunnels(offices.connections)
    Monitoring(
        "monitoring", settings.monitoring, region=settings.aws_region, tunnels=tunnels,
        transit_gateway_id=vpn.transit_gateway_id if vpn else None,
        nat_gateways=getattr(network, "nat_gateways", None),  # none in an existing VPC
        client_vpn_endpoint=endpoint.endpoint if endpoint else None,
        gcp_tunnels=vpn.gcp_tunnels if vpn else None, bgp_peers=vpn.bgp_peers if vpn else None,
        instances={label: i for label, i in (("dns-forwarder", forwarder),
                                             ("nat-instance", getattr(network, "nat_instance", None)))
                   if i is not None},
        opts=providers)


# ------------------------------------------------------------------------------- audit trails
def audit_trails(vpn: SiteToSiteVpn | None, offices: OfficeVpns | None, network: Any) -> None:
    """Flow logs of the egress VPC and of the Transit Gateway: the whole gateway when the program
    created it, only the program's own attachments on an adopted one."""
    adopted = settings.site_to_site is not None and settings.site_to_site.transit_gateway_id is not None
    attachments: dict[str, Any] = {}
    if vpn is not None and adopted:
        attachments.update({f"site-to-site-c{c}": v.transit_gateway_attachment_id
                            for c, v in enumerate(vpn.vpn_connections)})
        if getattr(network, "attachment", None) is not None:
            attachments["vpc"] = network.attachment.id
        attachments.update({f"office-{n}": v.transit_gateway_attachment_id
                            for n, v in (offices.connections if offices else {}).items()})
    AuditTrail("audit", settings.audit, vpc_id=network.vpc.id if network else None,
               transit_gateway_id=vpn.transit_gateway_id if vpn and not adopted else None,
               attachment_ids=attachments, opts=providers)


monitoring(vpn, offices, network, endpoint, forwarder)
audit_trails(vpn, offices, network)
