"""Monthly cost estimate of an evaluated stack, from the price file.

Fixed items are counted from the declared resources and priced per hour (or month); usage-based
items use the documented assumptions in `prices.json`. An unknown region is an error, never a
silent zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from offline.evaluate import Deployment

PRICE_FILE = Path(__file__).with_name("prices.json")


class UnknownRegion(LookupError):
    pass


@dataclass(frozen=True)
class LineItem:
    item: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float
    basis: str  # "fixed" or "usage assumption"


def load_prices(path: Path = PRICE_FILE) -> dict:
    return json.loads(path.read_text())


def _region_prices(prices: dict, cloud: str, region: str | None, key: str) -> dict:
    table = prices["regions"].get(f"{cloud}:{region}")
    if table is None:
        known = ", ".join(sorted(r for r in prices["regions"] if r.startswith(cloud + ":")))
        raise UnknownRegion(f"{key}: no {cloud.upper()} prices for region {region!r} in "
                            f"{PRICE_FILE.name}; known: {known}. Add the region's prices there.")
    return {name: entry.get("price", entry.get("prices")) for name, entry in table.items()}


def estimate(d: Deployment, aws_region: str, gcp_region: str, prices: dict | None = None
             ) -> list[LineItem]:
    prices = prices or load_prices()
    hours = prices["hoursPerMonth"]
    usage = {k: v["value"] for k, v in prices["usageAssumptions"].items()}
    aws = _region_prices(prices, "aws", aws_region, "aws:region")
    gcp = _region_prices(prices, "gcp", gcp_region, "gcp:region")
    items: list[LineItem] = []

    def hourly(name: str, quantity: float, price: float, unit: str = "hour") -> None:
        if quantity:
            items.append(LineItem(name, quantity, unit, price, quantity * price * hours, "fixed"))

    def monthly(name: str, quantity: float, price: float, unit: str) -> None:
        if quantity:
            items.append(LineItem(name, quantity, unit, price, quantity * price, "fixed"))

    def used(name: str, quantity: float, price: float, unit: str) -> None:
        if quantity:
            items.append(LineItem(name, quantity, unit, price, quantity * price, "usage assumption"))

    vpns = d.count("aws:ec2/vpnConnection:VpnConnection")
    hourly("AWS Site-to-Site VPN connections", vpns, aws["vpnConnectionHour"])
    attachments = vpns + d.count("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    hourly("Transit Gateway attachments (VPN + VPC)", attachments, aws["transitGatewayAttachmentHour"])
    hourly("GCP HA VPN tunnels", d.count("gcp:compute/vPNTunnel:VPNTunnel"), gcp["haVpnTunnelHour"])
    hourly("Client VPN subnet associations",
           d.count("aws:ec2clientvpn/networkAssociation:NetworkAssociation"),
           aws["clientVpnAssociationHour"])
    nats = d.count("aws:ec2/natGateway:NatGateway")
    hourly("NAT gateways", nats, aws["natGatewayHour"])
    hourly("Public IPv4 (Elastic IPs)", d.count("aws:ec2/eip:Eip"), aws["publicIpv4Hour"])
    resolver_ips = sum(len(r.get("ipAddresses") or [])
                       for r in d.of_type("aws:route53/resolverEndpoint:ResolverEndpoint"))
    hourly("Route 53 Resolver endpoint IPs", resolver_ips, aws["resolverEndpointIpHour"], "IP-hour")
    monthly("Route 53 private hosted zones", d.count("aws:route53/zone:Zone"),
            aws["hostedZoneMonth"], "zone-month")
    monthly("Cloud DNS managed zones", d.count("gcp:dns/managedZone:ManagedZone"),
            gcp["cloudDnsZoneMonth"], "zone-month")
    instances: dict[str, int] = {}
    for template in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        kind = template.get("instanceType")
        instances[kind] = instances.get(kind, 0) + 1
    for kind, number in sorted(instances.items()):
        if kind not in aws["ec2InstanceHour"]:
            raise UnknownRegion(f"multicloud-vpn:twingate.instanceType: no price for {kind!r} in "
                                f"{aws_region} in {PRICE_FILE.name}; add it there")
        hourly(f"EC2 instances {kind} (Twingate connectors)", number, aws["ec2InstanceHour"][kind])
    if d.count("twingate:index/twingateRemoteNetwork:TwingateRemoteNetwork"):
        seat = prices["vendors"]["twingate"]["businessUserMonth"]["price"]
        used(f"Twingate Business ({usage['remoteUsers']} users)", usage["remoteUsers"], seat, "user-month")
    if d.count("aws:ec2clientvpn/endpoint:Endpoint"):
        used(f"Client VPN connections ({usage['remoteUsers']} users x "
             f"{usage['connectedHoursPerUser']} h)",
             usage["remoteUsers"] * usage["connectedHoursPerUser"],
             aws["clientVpnConnectionHour"], "connection-hour")
        used("Client VPN connection logs", usage["connectionLogsGb"], aws["logsIngestedGb"], "GB")
    if nats:
        used("NAT gateway data processed", usage["natDataGb"], aws["natGatewayDataGb"], "GB")
    if attachments:
        used("Transit Gateway data processed", usage["transitGatewayDataGb"],
             aws["transitGatewayDataGb"], "GB")
    return items


def total(items: list[LineItem]) -> float:
    return round(sum(i.monthly for i in items), 2)


def remote_access_monthly(users: int, aws_region: str, associations: int = 1,
                          prices: dict | None = None) -> dict[str, float]:
    """Client VPN against Twingate for `users` people, the items that differ between them.

    Both share the NAT gateway and its Elastic IP, so those are left out of the comparison.
    """
    prices = prices or load_prices()
    hours = prices["hoursPerMonth"]
    usage = {k: v["value"] for k, v in prices["usageAssumptions"].items()}
    aws = _region_prices(prices, "aws", aws_region, "aws:region")
    client_vpn = (associations * aws["clientVpnAssociationHour"] * hours
                  + users * usage["connectedHoursPerUser"] * aws["clientVpnConnectionHour"])
    twingate = (users * prices["vendors"]["twingate"]["businessUserMonth"]["price"]
                + 2 * aws["ec2InstanceHour"]["t3.micro"] * hours)
    return {"clientVpn": round(client_vpn, 2), "twingate": round(twingate, 2)}
