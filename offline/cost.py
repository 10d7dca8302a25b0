"""Monthly cost estimate of an evaluated stack, from the price file.

Fixed items are counted from the declared resources and priced per hour (or month); usage-based
items use the documented assumptions in `prices.json`. A region without prices is never a
silent zero: `assess` lists its items unpriced and names the region, `estimate` raises.
Figures the price file marks `"unconfirmed": true` are flagged on their line item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from offline.evaluate import Deployment

PRICE_FILE = Path(__file__).with_name("prices.json")
# The setting that picks each instance's type, by its `Purpose` tag (for a missing price).
INSTANCE_SETTINGS = {"DNS forwarder": "multicloud-vpn:dns.forwarderInstanceType",
                     "NAT instance": "multicloud-vpn:network.natInstanceType"}


class UnknownRegion(LookupError):
    pass


@dataclass(frozen=True)
class LineItem:
    item: str
    quantity: float
    unit: str
    unit_price: float | None  # None: no price for this region (see `missing`)
    monthly: float | None
    basis: str  # "fixed" or "usage assumption"
    unconfirmed: bool = False  # the price file has no primary source for this figure
    missing: str | None = None  # the config key whose region has no price, e.g. "aws:region"


@dataclass(frozen=True)
class MissingPrices:
    key: str  # "aws:region", "gcp:region" or the setting that picked the priced thing
    region: str | None
    message: str


@dataclass(frozen=True)
class Estimate:
    items: list[LineItem]
    missing: list[MissingPrices]

    @property
    def complete(self) -> bool:
        return not self.missing


def load_prices(path: Path = PRICE_FILE) -> dict:
    return json.loads(path.read_text())


def _missing_region(prices: dict, cloud: str, region: str | None, key: str) -> MissingPrices:
    known = ", ".join(sorted(r for r in prices["regions"] if r.startswith(cloud + ":")))
    return MissingPrices(key, region, f"{key}: no {cloud.upper()} prices for region {region!r} in "
                         f"{PRICE_FILE.name}; known: {known}. Add the region's prices there.")


def _region_prices(prices: dict, cloud: str, region: str | None, key: str) -> dict:
    table = prices["regions"].get(f"{cloud}:{region}")
    if table is None:
        raise UnknownRegion(_missing_region(prices, cloud, region, key).message)
    return {name: entry.get("price", entry.get("prices")) for name, entry in table.items()}


def plural(n: float, word: str, many: str | None = None) -> str:
    """`1 tunnel`, `4 tunnels`; `many` for an irregular plural."""
    return f"{n:g} {word if n == 1 else many or word + 's'}"


def assess(d: Deployment, aws_region: str | None, gcp_region: str | None, prices: dict | None = None
           ) -> Estimate:
    """Every cost item of the stack; items of a region without prices are listed unpriced."""
    prices = prices or load_prices()
    hours = prices["hoursPerMonth"]
    usage = {k: v["value"] for k, v in prices["usageAssumptions"].items()}
    regions = {"aws": ("aws:region", aws_region), "gcp": ("gcp:region", gcp_region)}
    tables = {cloud: prices["regions"].get(f"{cloud}:{region}") for cloud, (_, region) in regions.items()}
    # A stack without GCP (no site-to-site) has no GCP region and needs no GCP prices.
    missing = [_missing_region(prices, cloud, region, key)
               for cloud, (key, region) in regions.items() if tables[cloud] is None and region]
    items: list[LineItem] = []

    def add(name: str, quantity: float, ref: tuple, unit: str, basis: str, per_hour: bool) -> None:
        """`ref` is ("aws"|"gcp", price name[, sub-price]) or ("vendor", vendor, price name)."""
        if not quantity:
            return
        if ref[0] == "vendor":
            entry, sub = prices["vendors"][ref[1]][ref[2]], None
        else:
            table = tables[ref[0]]
            if table is None:
                items.append(LineItem(name, quantity, unit, None, None, basis, missing=regions[ref[0]][0]))
                return
            entry, sub = table[ref[1]], (ref[2] if len(ref) > 2 else None)
        price = entry["prices"][sub] if sub else entry["price"]
        monthly_cost = quantity * price * (hours if per_hour else 1)
        items.append(LineItem(name, quantity, unit, price, monthly_cost, basis,
                              unconfirmed=bool(entry.get("unconfirmed"))))

    def hourly(name: str, quantity: float, ref: tuple, unit: str = "hour") -> None:
        add(name, quantity, ref, unit, "fixed", per_hour=True)

    def monthly(name: str, quantity: float, ref: tuple, unit: str) -> None:
        add(name, quantity, ref, unit, "fixed", per_hour=False)

    def used(name: str, quantity: float, ref: tuple, unit: str) -> None:
        add(name, quantity, ref, unit, "usage assumption", per_hour=False)

    vpns = d.count("aws:ec2/vpnConnection:VpnConnection")
    hourly("AWS Site-to-Site VPN connections", vpns, ("aws", "vpnConnectionHour"))
    # A connection on a virtual private gateway has no Transit Gateway attachment (and the gateway no charge).
    attachments = (sum(1 for v in d.of_type("aws:ec2/vpnConnection:VpnConnection") if v.get("transitGatewayId"))
                   + d.count("aws:ec2transitgateway/vpcAttachment:VpcAttachment"))
    hourly("Transit Gateway attachments (VPN + VPC)", attachments, ("aws", "transitGatewayAttachmentHour"))
    hourly("GCP HA VPN tunnels", d.count("gcp:compute/vPNTunnel:VPNTunnel"), ("gcp", "haVpnTunnelHour"))
    hourly("Client VPN subnet associations",
           d.count("aws:ec2clientvpn/networkAssociation:NetworkAssociation"),
           ("aws", "clientVpnAssociationHour"))
    nats = d.count("aws:ec2/natGateway:NatGateway")
    hourly("NAT gateways", nats, ("aws", "natGatewayHour"))
    hourly("Public IPv4 (Elastic IPs)", d.count("aws:ec2/eip:Eip"), ("aws", "publicIpv4Hour"))
    resolver_ips = sum(len(r.get("ipAddresses") or [])
                       for r in d.of_type("aws:route53/resolverEndpoint:ResolverEndpoint"))
    hourly("Route 53 Resolver endpoint IPs", resolver_ips, ("aws", "resolverEndpointIpHour"), "IP-hour")
    monthly("Route 53 private hosted zones", d.count("aws:route53/zone:Zone"),
            ("aws", "hostedZoneMonth"), "zone-month")
    monthly("Cloud DNS managed zones", d.count("gcp:dns/managedZone:ManagedZone"),
            ("gcp", "cloudDnsZoneMonth"), "zone-month")
    instances: dict[tuple[str, str, str], int] = {}
    for template in d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        key = (template.get("instanceType"), "Twingate connectors", "multicloud-vpn:twingate.instanceType")
        instances[key] = instances.get(key, 0) + 1
    for instance in d.of_type("aws:ec2/instance:Instance"):
        purpose = (instance.get("tags") or {}).get("Purpose", "instances")
        setting = INSTANCE_SETTINGS.get(purpose, "the instance's instanceType")
        key = (instance.get("instanceType"), purpose, setting)
        instances[key] = instances.get(key, 0) + 1
    for (kind, purpose, key), number in sorted(instances.items()):
        name = f"EC2 instances {kind} ({purpose})"
        if tables["aws"] is not None and kind not in tables["aws"]["ec2InstanceHour"]["prices"]:
            missing.append(MissingPrices(key, aws_region, f"{key}: no price for {kind!r} in "
                                         f"aws:{aws_region} in {PRICE_FILE.name}; add it there"))
            items.append(LineItem(name, number, "hour", None, None, "fixed", missing=key))
            continue
        hourly(name, number, ("aws", "ec2InstanceHour", kind))
    monthly("EBS gp3 volumes (instance root volumes)",
            sum(float((r.get("rootBlockDevice") or {}).get("volumeSize") or 0)
                for r in d.of_type("aws:ec2/instance:Instance")),
            ("aws", "ebsGp3GbMonth"), "GB-month")
    monthly("CloudWatch alarms", d.count("aws:cloudwatch/metricAlarm:MetricAlarm"),
            ("aws", "cloudWatchAlarmMonth"), "alarm-month")
    users, connected = usage["remoteUsers"], usage["connectedHoursPerUser"]
    if d.count("twingate:index/twingateRemoteNetwork:TwingateRemoteNetwork"):
        used(f"Twingate Business ({plural(users, 'user')})", users,
             ("vendor", "twingate", "businessUserMonth"), "user-month")
    if d.count("aws:ec2clientvpn/endpoint:Endpoint"):
        used(f"Client VPN connections ({plural(users, 'user')} x {connected:g} h)",
             users * connected, ("aws", "clientVpnConnectionHour"), "connection-hour")
        used("Client VPN connection logs", usage["connectionLogsGb"], ("aws", "logsIngestedGb"), "GB")
    if nats:
        used("NAT gateway data processed", usage["natDataGb"], ("aws", "natGatewayDataGb"), "GB")
    if attachments:
        used("Transit Gateway data processed", usage["transitGatewayDataGb"],
             ("aws", "transitGatewayDataGb"), "GB")
    return Estimate(items, missing)


def estimate(d: Deployment, aws_region: str, gcp_region: str, prices: dict | None = None
             ) -> list[LineItem]:
    """Like `assess`, but a region (or instance type) without prices raises UnknownRegion."""
    result = assess(d, aws_region, gcp_region, prices)
    if result.missing:
        raise UnknownRegion(result.missing[0].message)
    return result.items


def total(items: list[LineItem]) -> float:
    """The sum of the priced items (an unpriced item is reported apart, never counted as zero)."""
    return round(sum(i.monthly for i in items if i.monthly is not None), 2)


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
