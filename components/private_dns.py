"""Private names resolve both ways between GCP and AWS, through the one hub.

GCP -> AWS: a private forwarding zone per AWS domain in the hub sends queries (from
35.199.192.0/19, over the VPN) to a Route 53 Resolver inbound endpoint; every spoke gets a DNS
peering zone that hands the same domain to the hub. AWS -> GCP (optional, it costs an outbound
endpoint): a Cloud DNS inbound server policy on the hub, a Route 53 Resolver outbound endpoint,
and a forwarding rule per GCP domain, associated with the VPC. On-premises names
(`forwardTargets`): per domain a forwarding zone in the hub aimed at the office's servers (and a
DNS peering zone in every spoke), and a Route 53 forwarding rule through the same outbound
endpoint, created for them when AWS -> GCP is off. Client VPN users use the VPC resolver, so they
see both clouds' names and the office's.

With `resolver: instance` the DNS forwarder instance (components/dns_forwarder.py) takes the place
of both Route 53 Resolver endpoints and their rules: GCP forwards the AWS domains to it, and it
forwards GCP and on-premises names for Client VPN users (and, if chosen, the whole VPC).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from components.dns_forwarder import DnsForwarder, ForwarderPlace
from components.planning.dns_settings import CLOUD_DNS_FORWARDING_RANGE, DnsSettings
from components.planning.names import bounded, gcp_name
from components.planning.network_plan import NetworkPlan
from components.tags import name_tag

RESOLVER_RULE_NAME_LIMIT = 64
# The forwarder addresses appear a little after the policy is created: poll, within a bound.
FORWARDER_LOOKUP_ATTEMPTS = 20
FORWARDER_LOOKUP_DELAY_SECONDS = 15.0
GET_ADDRESSES = "gcp:compute/getAddresses:getAddresses"


@dataclass(frozen=True)
class HubNetworks:
    """What the DNS component needs of the GCP hub: plain ids and links, no component internals.

    `forwarder_subnets` are (self link, region) of the hub subnets in the VPN's region, where AWS
    sends its queries; `hub_ranges` are all hub subnet ranges.
    """

    network_id: pulumi.Input[str]
    self_link: pulumi.Input[str]
    spoke_links: dict[str, pulumi.Input[str]]
    forwarder_subnets: Sequence[tuple[pulumi.Input[str], str]]
    hub_ranges: Sequence[str]
    # An existing spoke in another project gets its DNS peering zone there, through its provider.
    spoke_providers: Mapping[str, pulumi.ProviderResource] = field(default_factory=dict)
    # The spokes the program created (by name): only their DNS policies are the program's to set.
    created_spoke_links: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


class PrivateDns(pulumi.ComponentResource):
    """Private DNS both ways between GCP and AWS: optional private zones, GCP -> AWS forwarding
    through a Route 53 inbound endpoint, and optionally AWS -> GCP through an outbound endpoint.

    Arguments: the DNS settings; `hub`, the GCP hub's networks (see `HubNetworks`); `plan`, the
    network plan (the fixed resolver addresses); `vpc_id`; `private_subnet_ids`, where the resolver
    endpoints live; `requires`, resources that must exist first (the enabled Cloud DNS API);
    `region`, the AWS region (the forwarder's recovery actions). Attributes: `inbound_ips` (where
    GCP forwards the AWS domains: the inbound endpoint's addresses or the forwarder's; empty
    without GCP -> AWS), `gcp_forwarder_ips` (None without AWS -> GCP), `forwarder` (None with
    Route 53). `settings.forward_targets` adds forwarding to on-premises DNS servers;
    `query_logging` (`audit.cloudDnsLogging`) logs the DNS queries of the hub and of the spokes
    created here.
    """

    inbound_ips: Sequence[str]
    gcp_forwarder_ips: pulumi.Output[list] | None
    forwarder: DnsForwarder | None

    def __init__(self, name: str, settings: DnsSettings, *, hub: HubNetworks, plan: NetworkPlan,
                 vpc_id: pulumi.Input[str], private_subnet_ids: Sequence[pulumi.Input[str]],
                 requires: Sequence[pulumi.Resource] = (), region: str = "", query_logging: bool = False,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:PrivateDns", name, None, opts)
        self._name, self._query_logging = name, query_logging
        self._after_api = pulumi.ResourceOptions(parent=self, depends_on=list(requires))
        self._spoke_providers = dict(hub.spoke_providers)
        hub_link = hub.self_link
        spoke_links = dict(hub.spoke_links)
        self.inbound_ips = ()
        self.gcp_forwarder_ips = None
        self._outbound: aws.route53.ResolverEndpoint | None = None
        self.forwarder = None
        if settings.create_private_zones:
            self._private_zones(settings, vpc_id, hub_link, spoke_links)
        if settings.gcp_to_aws:
            self._gcp_to_aws(settings, plan, vpc_id, private_subnet_ids, hub_link, spoke_links)
        if settings.aws_to_gcp:
            self._aws_to_gcp(settings, hub, plan, vpc_id, private_subnet_ids)
        elif query_logging:
            self._hub_policy(hub, inbound=False)
        if query_logging:
            self._spoke_query_logging(hub)
        if settings.forward_targets:
            self._on_premises(settings, plan, vpc_id, private_subnet_ids, hub_link, spoke_links)
        if settings.uses_forwarder:
            self.forwarder = DnsForwarder(
                f"{name}-forwarder", settings, hub_ranges=hub.hub_ranges, gcp_forwarder_ips=self.gcp_forwarder_ips,
                place=ForwarderPlace(vpc_id=vpc_id, vpc_cidr=plan.vpc_cidr, vpc_resolver=plan.resolver_ip,
                                     subnet_id=private_subnet_ids[0], address=plan.dns_forwarder_ip,
                                     region=region),
                opts=pulumi.ResourceOptions(parent=self))
        self._outputs()

    def _private_zones(self, settings, vpc_id, hub_link, spoke_links) -> None:
        """A Route 53 private zone per AWS domain, a Cloud DNS private zone per GCP domain."""
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        for domain in settings.aws_domains:
            aws.route53.Zone(f"{name}-private-zone-{domain.rstrip('.')}", name=domain.rstrip("."),
                             comment="Private names in AWS, answered for GCP too",
                             vpcs=[aws.route53.ZoneVpcArgs(vpc_id=vpc_id)], opts=child)
        for domain in settings.gcp_domains:
            gcp.dns.ManagedZone(
                f"{name}-private-zone-{domain.rstrip('.')}", name=gcp_name("zone", domain), dns_name=domain,
                visibility="private",
                description="Private names in GCP, visible to the hub and every spoke",
                private_visibility_config=_visible_to([hub_link, *spoke_links.values()]),
                opts=self._after_api)

    def _outputs(self) -> None:
        self.register_outputs({
            "inboundResolverIps": list(self.inbound_ips),
            "gcpForwarderIps": self.gcp_forwarder_ips,
        })

    def _gcp_to_aws(self, settings, plan, vpc_id, subnet_ids, hub_link, spoke_links) -> None:
        """A Route 53 inbound endpoint (or the forwarder); per AWS domain a forwarding zone in the
        hub and a peering zone in every spoke."""
        name = self._name
        if settings.uses_forwarder:
            self.inbound_ips = (plan.dns_forwarder_ip,)
            self._forwarding_zones(settings, "Forwards to the DNS forwarder instance over the VPN",
                                   hub_link, spoke_links)
            return
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-inbound-sg", vpc_id=vpc_id,
            description="Route 53 inbound endpoint: DNS from Cloud DNS forwarders only",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol=p, from_port=53, to_port=53,
                                                      cidr_blocks=[CLOUD_DNS_FORWARDING_RANGE],
                                                      description=f"Cloud DNS forwarding ({p})")
                     for p in ("udp", "tcp")],
            # Replies leave on the queries' own flows (security groups are stateful): no egress rule.
            egress=[], tags=name_tag("dns-inbound"), opts=child)
        self.inbound_ips = plan.dns_inbound_ips
        aws.route53.ResolverEndpoint(
            f"{name}-inbound-endpoint", name=f"multicloud-vpn-{pulumi.get_stack()}-from-gcp", direction="INBOUND",
            security_group_ids=[group.id], protocols=["Do53"],
            ip_addresses=[aws.route53.ResolverEndpointIpAddressArgs(subnet_id=subnet_ids[i], ip=ip)
                          for i, ip in enumerate(self.inbound_ips)],
            tags=name_tag("from-gcp"), opts=child)
        self._forwarding_zones(settings, "Forwards to the Route 53 inbound endpoint over the VPN",
                               hub_link, spoke_links)

    def _forwarding_zones(self, settings, description: str, hub_link, spoke_links) -> None:
        """Per AWS domain a forwarding zone in the hub aimed at `inbound_ips`, and a peering zone
        in every spoke."""
        name = self._name
        targets = [gcp.dns.ManagedZoneForwardingConfigTargetNameServerArgs(
            ipv4_address=ip, forwarding_path="private") for ip in self.inbound_ips]
        for domain in settings.aws_domains:
            gcp.dns.ManagedZone(
                f"{name}-forwarding-zone-{domain.rstrip('.')}", name=gcp_name("forward", domain), dns_name=domain,
                visibility="private",
                description=description,
                private_visibility_config=_visible_to([hub_link]),
                forwarding_config=gcp.dns.ManagedZoneForwardingConfigArgs(
                    target_name_servers=targets),
                opts=self._after_api)
            self._spokes_peer_with_hub("peering-zone", "peer", domain, domain.rstrip("."),
                                       "Hands the AWS domain to the hub (one-way DNS peering)",
                                       spoke_links, hub_link)

    def _spokes_peer_with_hub(self, role: str, physical_role: str, dns_name: str, label: str,
                              description: str, spoke_links, hub_link) -> None:
        """Per spoke a DNS peering zone for `dns_name` aimed at the hub, made in the spoke's own
        project when it is an existing spoke: only the hub has the VPN the answers return over."""
        for spoke, link in spoke_links.items():
            gcp.dns.ManagedZone(
                f"{self._name}-{role}-{spoke}.{label}", name=gcp_name(spoke, physical_role, dns_name),
                dns_name=dns_name, visibility="private", description=description,
                private_visibility_config=_visible_to([link]),
                peering_config=gcp.dns.ManagedZonePeeringConfigArgs(
                    target_network=gcp.dns.ManagedZonePeeringConfigTargetNetworkArgs(network_url=hub_link)),
                opts=pulumi.ResourceOptions.merge(self._after_api, pulumi.ResourceOptions(
                    provider=self._spoke_providers.get(spoke))))

    def _aws_to_gcp(self, settings, hub, plan, vpc_id, subnet_ids) -> None:
        """A Cloud DNS inbound policy on the hub, a Route 53 outbound endpoint, and per GCP domain
        a forwarding rule associated with the VPC."""
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        policy = self._hub_policy(hub, inbound=True)
        if settings.gcp_forwarder_ips:
            self.gcp_forwarder_ips = pulumi.Output.from_input(list(settings.gcp_forwarder_ips))
        else:
            self.gcp_forwarder_ips = _forwarder_addresses(self, policy, hub.forwarder_subnets)
        if settings.uses_forwarder:
            return  # the forwarder sends GCP names to these addresses itself
        endpoint = self._outbound_endpoint(settings, hub.hub_ranges, plan, vpc_id, subnet_ids)
        targets = self.gcp_forwarder_ips.apply(
            lambda ips: [aws.route53.ResolverRuleTargetIpArgs(ip=ip, port=53) for ip in ips])
        for domain in settings.gcp_domains:
            rule = aws.route53.ResolverRule(
                f"{name}-rule-{domain.rstrip('.')}",
                name=bounded(f"to-gcp-{domain.rstrip('.')}", RESOLVER_RULE_NAME_LIMIT),
                domain_name=domain.rstrip("."),
                rule_type="FORWARD", resolver_endpoint_id=endpoint.id, target_ips=targets,
                opts=child)
            aws.route53.ResolverRuleAssociation(
                f"{name}-rule-{domain.rstrip('.')}", resolver_rule_id=rule.id, vpc_id=vpc_id, opts=child)

    def _hub_policy(self, hub: HubNetworks, inbound: bool) -> gcp.dns.Policy:
        """The hub's one DNS server policy (GCP binds a network to one policy): inbound forwarding
        for AWS -> GCP, query logging with `audit.cloudDnsLogging`. One logical name for both, so
        turning either on or off updates the policy in place."""
        return gcp.dns.Policy(
            f"{self._name}-hub-inbound-policy", enable_inbound_forwarding=inbound,
            enable_logging=self._query_logging,
            description=("Answers queries forwarded from AWS (one address per hub subnet)" if inbound
                         else "Logs the DNS queries of the hub"),
            networks=[gcp.dns.PolicyNetworkArgs(network_url=hub.network_id)], opts=self._after_api)

    def _spoke_query_logging(self, hub: HubNetworks) -> None:
        """A logging policy per spoke created here; an existing spoke's network (and whatever policy
        it has) is its owner's."""
        for spoke, link in sorted(hub.created_spoke_links.items()):
            gcp.dns.Policy(
                f"{self._name}-spoke-dns-policy-{spoke}", name=gcp_name(spoke, "dns-logging"),
                enable_inbound_forwarding=False, enable_logging=True,
                description=f"Logs the DNS queries of spoke {spoke}",
                networks=[gcp.dns.PolicyNetworkArgs(network_url=link)], opts=self._after_api)

    def _outbound_endpoint(self, settings, hub_ranges, plan, vpc_id, subnet_ids) -> aws.route53.ResolverEndpoint:
        """The one Route 53 outbound endpoint (fixed `.54` addresses) and its security group: DNS
        out to the hub ranges (AWS -> GCP) and to the on-premises servers' /32s, nothing inbound.

        With AWS -> GCP on, its names and description are the ones it always had, so adding
        on-premises targets only adds egress rules; without it they name the on-premises use.
        """
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        servers = list(dict.fromkeys(f"{ip}/32" for t in settings.forward_targets for ip in t.servers))
        egress = []
        if settings.aws_to_gcp:
            egress += [aws.ec2.SecurityGroupEgressArgs(protocol=p, from_port=53, to_port=53,
                                                       cidr_blocks=list(hub_ranges),
                                                       description=f"Cloud DNS inbound ({p})")
                       for p in ("udp", "tcp")]
        if servers:
            egress += [aws.ec2.SecurityGroupEgressArgs(protocol=p, from_port=53, to_port=53,
                                                       cidr_blocks=servers,
                                                       description=f"On-premises DNS servers ({p})")
                       for p in ("udp", "tcp")]
        if settings.aws_to_gcp:
            description, label = "Route 53 outbound endpoint: DNS to the GCP hub only; nothing inbound", "to-gcp"
        else:
            description = "Route 53 outbound endpoint: DNS to the on-premises servers only; nothing inbound"
            label = "to-onprem"
        group = aws.ec2.SecurityGroup(
            f"{name}-outbound-sg", vpc_id=vpc_id, description=description, ingress=[], egress=egress,
            tags=name_tag("dns-outbound"), opts=child)
        self._outbound = aws.route53.ResolverEndpoint(
            f"{name}-outbound-endpoint", name=f"multicloud-vpn-{pulumi.get_stack()}-{label}", direction="OUTBOUND",
            security_group_ids=[group.id], protocols=["Do53"],
            ip_addresses=[aws.route53.ResolverEndpointIpAddressArgs(subnet_id=subnet_ids[i], ip=ip)
                          for i, ip in enumerate(plan.dns_outbound_ips)],
            tags=name_tag(label), opts=child)
        return self._outbound

    def _on_premises(self, settings, plan, vpc_id, subnet_ids, hub_link, spoke_links) -> None:
        """Per on-premises domain: a forwarding zone in the hub aimed at its servers (queries leave
        from 35.199.192.0/19 over the VPN), a DNS peering zone in every spoke handing the domain to
        the hub, and a Route 53 FORWARD rule through the outbound endpoint, associated with the VPC.

        The spokes peer rather than see the forwarding zone: Cloud DNS sends a forwarded query from
        the network that asked, and only the hub has the VPN the answer comes back over.
        """
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        endpoint = None
        if not settings.uses_forwarder:
            endpoint = self._outbound or self._outbound_endpoint(settings, (), plan, vpc_id, subnet_ids)
        for target in settings.forward_targets:
            domain = target.domain.rstrip(".")
            gcp.dns.ManagedZone(
                f"{name}-onprem-zone-{domain}", name=gcp_name("onprem", target.domain), dns_name=target.domain,
                visibility="private",
                description="Forwards to the on-premises DNS servers over the VPN",
                private_visibility_config=_visible_to([hub_link]),
                forwarding_config=gcp.dns.ManagedZoneForwardingConfigArgs(target_name_servers=[
                    gcp.dns.ManagedZoneForwardingConfigTargetNameServerArgs(
                        ipv4_address=ip, forwarding_path="private") for ip in target.servers]),
                opts=self._after_api)
            self._spokes_peer_with_hub("onprem-peering-zone", "onprem-peer", target.domain, domain,
                                       "Hands the on-premises domain to the hub (one-way DNS peering)",
                                       spoke_links, hub_link)
            if endpoint is None:
                continue  # the forwarder sends the domain to its servers itself
            rule = aws.route53.ResolverRule(
                f"{name}-onprem-rule-{domain}", name=bounded(f"to-onprem-{domain}", RESOLVER_RULE_NAME_LIMIT),
                domain_name=domain, rule_type="FORWARD", resolver_endpoint_id=endpoint.id,
                target_ips=[aws.route53.ResolverRuleTargetIpArgs(ip=ip, port=53) for ip in target.servers],
                opts=child)
            aws.route53.ResolverRuleAssociation(
                f"{name}-onprem-rule-{domain}", resolver_rule_id=rule.id, vpc_id=vpc_id, opts=child)


def _visible_to(links) -> gcp.dns.ManagedZonePrivateVisibilityConfigArgs:
    return gcp.dns.ManagedZonePrivateVisibilityConfigArgs(
        networks=[gcp.dns.ManagedZonePrivateVisibilityConfigNetworkArgs(network_url=link)
                  for link in links])


def _forwarder_addresses(parent: pulumi.Resource, policy: gcp.dns.Policy,
                         subnets: Sequence[tuple[pulumi.Input[str], str]]) -> pulumi.Output[list]:
    """The inbound forwarder addresses Cloud DNS allocates, one in each hub subnet of the VPN's region.

    No resource output lists them, so they are looked up (purpose DNS_RESOLVER) once the policy
    exists, polling for a bounded time because they appear shortly after it; a subnet that still
    has none stops the run rather than leaving it out of the Route 53 rules. In a preview the
    policy's id is unknown and so are the addresses. `dns.gcpForwarderIps` replaces the lookup.
    """
    found = [pulumi.Output.all(policy.id, link).apply(
                 lambda args, region=region: _poll_forwarder(parent, args[1], region))
             for link, region in subnets]
    return pulumi.Output.all(*found).apply(lambda groups: sorted({ip for g in groups for ip in g}))


async def _poll_forwarder(parent: pulumi.Resource, link: str, region: str) -> list[str]:
    query = f'(purpose = "DNS_RESOLVER") (subnetwork = "{link}")'
    for attempt in range(FORWARDER_LOOKUP_ATTEMPTS):
        result = await pulumi.runtime.invoke_async(
            GET_ADDRESSES, {"filter": query, "region": region},
            opts=pulumi.InvokeOptions(parent=parent))
        ips = sorted({a["address"] for a in (result or {}).get("addresses") or []})
        if ips:
            return ips
        if attempt + 1 < FORWARDER_LOOKUP_ATTEMPTS:
            await asyncio.sleep(FORWARDER_LOOKUP_DELAY_SECONDS)
    waited = FORWARDER_LOOKUP_ATTEMPTS * FORWARDER_LOOKUP_DELAY_SECONDS
    raise pulumi.RunError(
        f"no Cloud DNS inbound forwarder address appeared in hub subnet {link} within {waited:.0f} s; "
        "run `pulumi up` again, or set multicloud-vpn:dns.gcpForwarderIps to the addresses shown by "
        "`gcloud compute addresses list --filter=purpose=DNS_RESOLVER`")
