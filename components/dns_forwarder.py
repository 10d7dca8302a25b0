"""The DNS forwarder instance (`dns.resolver: instance`): both DNS directions for a few dollars.

One small ARM instance running unbound at a fixed private address answers Cloud DNS's forwarded
queries (from 35.199.192.0/19, over the VPN) for the AWS domains, and Client VPN users (and, when
chosen, the whole VPC) for everything: AWS names and the internet through the VPC resolver, GCP
names through the hub's inbound server policy addresses, on-premises names through their servers.
It replaces the Route 53 Resolver endpoints, which cost $182.50 a month each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.instances import recovery_alarms, small_instance
from components.planning.dns_settings import CLOUD_DNS_FORWARDING_RANGE, DnsSettings
from components.planning.instance_plan import forward_zones, forwarder_boot_script, unbound_config
from components.tags import name_tag


@dataclass(frozen=True)
class ForwarderPlace:
    """Where the forwarder lives: the VPC, its range and resolver, the subnet and fixed address."""

    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    vpc_resolver: str
    subnet_id: pulumi.Input[str]
    address: str
    region: str


class DnsForwarder(pulumi.ComponentResource):
    """unbound on one instance: its security group, the instance, EC2's recovery alarms and,
    with `vpcUsesForwarder`, the VPC's DHCP options.

    Arguments: the DNS settings; `place` (see `ForwarderPlace`); `hub_ranges`, where the Cloud DNS
    inbound forwarders live; `gcp_forwarder_ips`, their addresses (None without AWS -> GCP).
    Attributes: `address`, `instance`.
    """

    address: str
    instance: aws.ec2.Instance

    def __init__(self, name: str, settings: DnsSettings, *, place: ForwarderPlace, hub_ranges: Sequence[str],
                 gcp_forwarder_ips: pulumi.Input[list] | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:DnsForwarder", name, None, opts)
        self._name, self._settings, self._place = name, settings, place
        self.address = place.address
        group = self._security_group(hub_ranges if settings.aws_to_gcp else ())
        self.instance = self._instance(group, gcp_forwarder_ips)
        recovery_alarms(f"{name}-alarm", self, self.instance, label="dns-forwarder", region=place.region)
        if settings.vpc_uses_forwarder:
            self._dhcp_options()
        self.register_outputs({"address": self.address, "instanceId": self.instance.id})

    def _security_group(self, hub_ranges: Sequence[str]) -> aws.ec2.SecurityGroup:
        """DNS in from Cloud DNS's forwarding range and the VPC (Client VPN users arrive from their
        association's address in it); out only to the servers it forwards to, and HTTPS for the
        distribution's packages (through the NAT)."""
        place, settings = self._place, self._settings
        on_premises = list(dict.fromkeys(f"{ip}/32" for t in settings.forward_targets for ip in t.servers))
        ingress = [aws.ec2.SecurityGroupIngressArgs(protocol=p, from_port=53, to_port=53,
                                                    cidr_blocks=[CLOUD_DNS_FORWARDING_RANGE, place.vpc_cidr],
                                                    description=f"Cloud DNS forwarding and the VPC ({p})")
                   for p in ("udp", "tcp")]
        targets = [("VPC resolver", [f"{place.vpc_resolver}/32"]), ("Cloud DNS inbound", list(hub_ranges)),
                   ("on-premises DNS servers", on_premises)]
        egress = [aws.ec2.SecurityGroupEgressArgs(protocol=p, from_port=53, to_port=53, cidr_blocks=cidrs,
                                                  description=f"{what} ({p})")
                  for what, cidrs in targets if cidrs for p in ("udp", "tcp")]
        egress.append(aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=443, to_port=443,
                                                      cidr_blocks=["0.0.0.0/0"],
                                                      description="distribution packages (HTTPS, through the NAT)"))
        return aws.ec2.SecurityGroup(
            f"{self._name}-sg", vpc_id=place.vpc_id,
            description="DNS forwarder: DNS from Cloud DNS forwarders and the VPC only",
            ingress=ingress, egress=egress, tags=name_tag("dns-forwarder"),
            opts=pulumi.ResourceOptions(parent=self))

    def _instance(self, group: aws.ec2.SecurityGroup, gcp_forwarder_ips: pulumi.Input[list] | None
                  ) -> aws.ec2.Instance:
        place, settings = self._place, self._settings
        on_premises = [(t.domain, t.servers) for t in settings.forward_targets]

        gcp_domains = settings.gcp_domains if settings.aws_to_gcp else ()

        def script(forwarders: list) -> str:
            zones = forward_zones(place.vpc_resolver, settings.aws_domains, gcp_domains,
                                  sorted(forwarders or []), on_premises)
            config = unbound_config(place.address, [place.vpc_cidr, CLOUD_DNS_FORWARDING_RANGE], zones)
            return forwarder_boot_script(config, place.vpc_resolver)

        user_data = pulumi.Output.from_input(gcp_forwarder_ips if gcp_forwarder_ips is not None else []).apply(script)
        return small_instance(
            f"{self._name}-instance", self, label="dns-forwarder", purpose="DNS forwarder",
            instance_type=settings.forwarder_instance_type, subnet_id=place.subnet_id,
            private_ip=place.address, security_group_ids=[group.id], user_data=user_data)

    def _dhcp_options(self) -> None:
        """The VPC's DHCP options: the forwarder first, the VPC resolver second (a client that
        times out on the forwarder still reaches AWS names, slowly, but no GCP name)."""
        place, child = self._place, pulumi.ResourceOptions(parent=self)
        domain = "ec2.internal" if place.region == "us-east-1" else f"{place.region}.compute.internal"
        options = aws.ec2.VpcDhcpOptions(
            f"{self._name}-dhcp-options", domain_name=domain,
            domain_name_servers=[place.address, place.vpc_resolver],
            tags=name_tag("dns-forwarder"), opts=child)
        aws.ec2.VpcDhcpOptionsAssociation(f"{self._name}-dhcp-options", vpc_id=place.vpc_id,
                                          dhcp_options_id=options.id, opts=child)
