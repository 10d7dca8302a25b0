"""The one table of every setting: name, default, what is accepted, what it does.

The parsers take their defaults from here (a `Section` looks its fields up by key), and
`Pulumi.yaml`'s config declarations and `docs/configuration.md` are generated from it:

    .venv/bin/python -m components.planning.reference     # rewrite both from this table

A test fails when either file no longer matches, so a default is written once.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ike_ciphers

REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "required"})()
NO_DEFAULT: Any = type("NoDefault", (), {"__repr__": lambda self: "none"})()   # optional, no value
COMPUTED: Any = type("Computed", (), {"__repr__": lambda self: "computed"})()  # the parser decides

PROJECT = "multicloud-vpn"
ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- BEGIN generated from components/planning/reference.py -->", "<!-- END generated -->"


@dataclass(frozen=True)
class Field:
    name: str
    default: Any
    accepted: str
    shown: str = ""   # how the default reads in the docs, when not the value itself
    note: str = ""    # what a reader of Pulumi.yaml must know (a change that replaces something)

    @property
    def default_text(self) -> str:
        if self.shown:
            return self.shown
        if self.default is REQUIRED:
            return "required"
        if self.default is NO_DEFAULT:
            return "none"
        if isinstance(self.default, bool):
            return f"`{str(self.default).lower()}`"
        if isinstance(self.default, str):
            return f"`{self.default}`"
        if isinstance(self.default, (list, tuple)):
            return f"`{json.dumps(list(self.default))}`".replace('"', "")
        return str(self.default)


@dataclass(frozen=True)
class Section:
    key: str            # e.g. "siteToSite", "gcpHub.subnets[]"
    summary: str        # one line: what the section is for (top-level sections only)
    fields: tuple[Field, ...]
    default: Any = REQUIRED   # the section itself: REQUIRED or {} / [] (optional)
    kind: str = "object"      # Pulumi.yaml type of a top-level section: object, or array of objects

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


ASN = "private ASN: 64512-65534 or 4200000000-4294967294"


def _ike(role: str) -> str:
    """A role's values accepted for the GCP tunnels (ike_ciphers.json), for the docs."""
    return ", ".join(f"`{v}`" for v in ike_ciphers.accepted(role, with_gcp=True))


def _lifetimes(phase: str) -> str:
    low, high = ike_ciphers.aws_lifetime_range(phase)
    return f"{low}-{high}"


SECTIONS: tuple[Section, ...] = (
    Section("siteToSite", "AWS <-> GCP HA VPN layout: connections x tunnels, ASNs, tunnel addresses, IKE; "
                          "without it the stack has no VPN to GCP and no GCP resource at all.", (
        Field("connections", REQUIRED, "1 or 2 AWS Site-to-Site VPN connections"),
        Field("tunnelsPerConnection", REQUIRED, "1 or 2 GCP tunnels per connection"),
        Field("awsAsn", 64512, f"{ASN} of the Transit Gateway; ignored when adopting one (its own ASN "
                               "is read from AWS)"),
        Field("gcpAsn", 65000, f"{ASN} of the Cloud Router; must differ from `awsAsn`; a 4-byte ASN "
                               "goes to the customer gateways' `bgp_asn_extended`"),
        Field("transitGatewayId", NO_DEFAULT, "`tgw-…`: adopt this Transit Gateway instead of creating one "
                                              "(it should have VPN ECMP enabled; a warning says so if not)"),
        Field("transitGatewayRouting", NO_DEFAULT, "only with `transitGatewayId`: `{mode: own}` (a route "
                                                   "table of the VPN's own; optional `propagateFrom: "
                                                   "[tgw-attach-…]`, existing attachments whose routes GCP "
                                                   "learns, and `propagateTo: [tgw-rtb-…]`, existing tables "
                                                   "that learn GCP's ranges from the VPN and office "
                                                   "attachments) or `{mode: join, routeTableId: tgw-rtb-…}` "
                                                   "(no table created: every attachment of the program joins "
                                                   "that existing table; see [site-to-site](site-to-site.md"
                                                   "#joining-an-existing-transit-gateways-routing))",
              shown="`{mode: own}`"),
        Field("reservedInsideCidrs", [], "/30s inside 169.254.0.0/16 that other VPN connections on the "
                                         "adopted gateway already use: never allocated to a tunnel or an "
                                         "office, refused in `insideCidrs`"),
        Field("insideCidrs", NO_DEFAULT, "explicit tunnel /30s, one per **AWS** tunnel (2 per connection, idle "
                                         "ones included), ordered c0-t1, c0-t2, c1-t1, c1-t2"),
        Field("insideCidrPool", "169.254.10.0/24", "link-local pool (/16-/28) the /30s are taken from, by "
                                                   "position, when `insideCidrs` is not set; stacks sharing "
                                                   "one Transit Gateway need different pools"),
        Field("ikeProfile", "aes256-sha256-ecp384", "`aes256-sha256-ecp384` (IKEv2, AES-256, SHA2-256, DH 20), "
                                                    "`aes256-sha256-modp2048` (same with DH 14), or an object "
                                                    "`{encryption, integrity, dhGroup, ikeVersion, "
                                                    "phase1LifetimeSeconds, phase2LifetimeSeconds}` (below): one "
                                                    "value each, used in both phases, pinned on both clouds (see "
                                                    "[site-to-site](site-to-site.md#ike-of-your-own))"),
        Field("termination", "transitGateway", "`transitGateway` (ECMP across tunnels, offices, attached "
                                               "VPCs; $0.07 per attachment-hour in Tokyo) or `vpnGateway` (a "
                                               "virtual private gateway on the program's VPC, free: one "
                                               "connection, no ECMP, no transitive routing, no offices or "
                                               "attached VPCs; see [site-to-site](site-to-site.md"
                                               "#terminating-on-a-virtual-private-gateway))",
              note="a change rebuilds the AWS side of the VPN: the tunnels are down for minutes"),
        Field("advertisedRoutePriority", 100, "0-65535, the same on every BGP peer (keep ≤ 200)"),
        Field("keyVersions", COMPUTED, "one whole number per connection (c0, c1); raising one rotates that "
                                     "connection's pre-shared keys (see [operations](operations.md"
                                     "#rotating-pre-shared-keys))", shown="1 per connection"),
    ), default={}),
    Section("siteToSite.ikeProfile", "", (
        Field("encryption", REQUIRED, f"one of {_ike('encryption')} (AWS's spelling; GCP gets AES-CBC-… or "
                                      "AES-GCM-16-…)"),
        Field("integrity", REQUIRED, f"one of {_ike('integrity')}: integrity and PRF (with AES-GCM only the "
                                     "PRF)"),
        Field("dhGroup", REQUIRED, f"one of {_ike('dhGroup')}: DH in phase 1 and PFS in phase 2 (AWS has no "
                                   "31, GCP dropped 22, AWS takes 5 in phase 2 only; an office's object may also "
                                   "use 22)"),
        Field("ikeVersion", 2, "2 (IKEv2; IKEv1 is refused: the policy pack holds every tunnel to IKEv2)"),
        Field("phase1LifetimeSeconds", 28800, f"{_lifetimes('phase1')} (AWS); GCP's is fixed at "
                                              f"{ike_ciphers.gcp_lifetime('phase1')} s and not negotiated, so "
                                              "AWS rekeys first"),
        Field("phase2LifetimeSeconds", 3600, f"{_lifetimes('phase2')} and below `phase1LifetimeSeconds` (AWS); "
                                             f"GCP's is fixed at {ike_ciphers.gcp_lifetime('phase2')} s"),
    )),
    Section("gcpHub", "GCP hub VPC that owns the HA VPN, its subnets, the spokes, the firewall (with siteToSite).", (
        Field("networkName", "hub", "GCP name of the hub VPC"),
        Field("subnets", REQUIRED, "list of `{name, cidr, region}` (below), at least one; private, "
                                   "non-overlapping ranges"),
        Field("spokes", [], "list of `{name, cidr, region}` (below): one spoke VPC each (network and subnet "
                            "take `name`); names unique across hub and spokes, ranges overlapping nothing else"),
        Field("peeringLimit", 25, "1-500: the most spokes the hub may peer with (the project's "
                                  "peerings-per-network quota)"),
        Field("firewall", {}, "ingress from the AWS VPC range to every network created here (below)",
              shown="ICMP, TCP 22 and 443"),
    ), default={}),
    Section("gcpHub.subnets[]", "", (
        Field("name", REQUIRED, "GCP name: lower-case letters, digits and `-`, at most 63"),
        Field("cidr", REQUIRED, "private IPv4 CIDR from /8 to /29"),
        Field("region", COMPUTED, "a GCP region (`components/planning/regions.json`)", shown="`gcp:region`"),
    )),
    Section("gcpHub.spokes[]", "", (
        Field("name", REQUIRED, "GCP name: lower-case letters, digits and `-`, at most 63; for a spoke "
                                "created here also its network's and subnet's name"),
        Field("cidr", COMPUTED, "a spoke created here: its subnet's private IPv4 CIDR from /8 to /29",
              shown="required unless `network`"),
        Field("region", COMPUTED, "a spoke created here: a GCP region (`components/planning/regions.json`)",
              shown="`gcp:region`"),
        Field("network", NO_DEFAULT, "an **existing** spoke: the name of its VPC network, which is only "
                                     "peered, never created or changed"),
        Field("project", COMPUTED, "an existing spoke's GCP project id", shown="`gcp:project`"),
        Field("cidrs", COMPUTED, "an existing spoke's subnet ranges (private IPv4 CIDRs), advertised to AWS",
              shown="required with `network`"),
    )),
    Section("gcpHub.firewall", "", (
        Field("allow", COMPUTED, "list of `{protocol, ports}` (below); `[]` creates no rule",
              shown="ICMP, TCP 22 and 443"),
        Field("logging", False, "`true` turns on firewall rule logging (all metadata)"),
    )),
    Section("gcpHub.firewall.allow[]", "", (
        Field("protocol", REQUIRED, "`tcp`, `udp`, `icmp`, `sctp`, `esp`, `ah` or `all`"),
        Field("ports", [], "ports (`443`) or ranges (`8000-8100`), only for tcp, udp and sctp; "
                           "none: every port", shown="every port"),
    )),
    Section("network", "AWS VPC for remote access: range, zones, NAT gateways and their Elastic IPs, or "
                       "an existing VPC.", (
        Field("vpcCidr", NO_DEFAULT, "private IPv4 /16 to /22, not overlapping GCP or the client range; "
                                     "needed for Client VPN, Twingate and the DNS endpoints; without it the "
                                     "program creates no VPC, NAT gateway or Elastic IP", shown="no VPC"),
        Field("availabilityZones", COMPUTED, "1, 2 or 3: zones with a public subnet, NAT capacity and a "
                                             "Client VPN association (private subnets always span ≥ 2)",
              shown="required with `vpcCidr`"),
        Field("natGateways", "shared", "`shared` (one NAT, one IP to allowlist) or `perZone` (one NAT and one "
                                       "IP per zone)"),
        Field("natType", "gateway", "`gateway` (AWS NAT gateway: managed, scales to 100 Gbps, about $45 a month "
                                    "in Tokyo) or `instance` (one ARM NAT instance in the first public subnet holds "
                                    "the same protected Elastic IP, for a few dollars; needs `natGateways: shared`; "
                                    "see [costs](costs.md#cheaper-options))",
              note="switching moves the Elastic IP: minutes without egress"),
        Field("natInstanceType", "t4g.nano", "only with `natType: instance`: an ARM (Graviton) type; its "
                                             "network bandwidth is the egress ceiling"),
        Field("zones", [], "zone names of `aws:region` by subnet position (at least max(2, "
                           "`availabilityZones`)), e.g. `[ap-northeast-1a, ap-northeast-1c]`; without it the "
                           "region's zones are looked up and a subnet never moves (or is replaced) when that "
                           "list later changes", shown="looked up"),
        Field("attachedVpcs", [], "existing VPCs of the account and region joined to the Transit "
                                  "Gateway (below)"),
        Field("egress", {}, "the allowlisted address (below)", shown="a new protected Elastic IP"),
        Field("existingVpc", NO_DEFAULT, "remote access inside a VPC that already exists (below): no VPC, "
                                         "subnet, route table, NAT gateway or Elastic IP is created; not "
                                         "with `vpcCidr`, `egress`, `availabilityZones` or `zones`",
              shown="the program's own VPC"),
    ), default={}),
    Section("network.egress", "", (
        Field("eipAllocationId", NO_DEFAULT, "`eipalloc-…`: an existing Elastic IP (the address partners "
                                             "already allowlist) for the NAT gateway; only referenced, never "
                                             "owned, released or replaced; needs `natGateways: shared`",
              shown="a new protected Elastic IP"),
    )),
    Section("network.existingVpc", "", (
        Field("vpcId", REQUIRED, "`vpc-…`: the VPC Client VPN and Twingate live in"),
        Field("cidr", REQUIRED, "its primary private IPv4 range (/16 to /28): the Client VPN DNS server "
                                "(base + 2), the overlap checks and the GCP firewall sources"),
        Field("privateSubnetIds", REQUIRED, "`subnet-…`, one per zone, in order: Client VPN associates with "
                                            "each, Twingate connectors and the Transit Gateway attachment use "
                                            "them; at least 2 with DNS towards AWS"),
        Field("routeTableIds", REQUIRED, "`rtb-…`: each gets a route to every GCP, office and attached-VPC "
                                         "range (and 35.199.192.0/19 for DNS) via the Transit Gateway"),
        Field("natGatewayId", REQUIRED, "`nat-…`: the existing NAT gateway, the egress; its public address "
                                        "(the one partners allowlist) is the `egressIps` output"),
        Field("resolverIps", NO_DEFAULT, "`{inbound: [ip, ip], outbound: [ip, ip]}`: free addresses for the "
                                         "Route 53 Resolver endpoints, the first of each in the first "
                                         "`privateSubnetIds` entry and the second in the second; needed for "
                                         "DNS towards AWS", shown="no DNS towards AWS"),
    )),
    Section("network.attachedVpcs[]", "", (
        Field("name", REQUIRED, "unique name (lower-case letters, digits, `-`)"),
        Field("vpcId", REQUIRED, "`vpc-…`"),
        Field("subnetIds", REQUIRED, "`subnet-…`, one per zone, for the Transit Gateway attachment"),
        Field("routeTableIds", REQUIRED, "`rtb-…`: each gets a route to every GCP, office and program "
                                         "VPC range via the Transit Gateway"),
        Field("cidrs", REQUIRED, "the VPC's private ranges"),
    )),
    Section("clientVpn", "AWS Client VPN with SSO (SAML via IAM Identity Center) and/or client certificates, "
                         "leaving through the NAT's Elastic IP.", (
        Field("enabled", False, "`true` builds the endpoint; when `false` the other fields may stay and are "
                                "still checked"),
        Field("clientCidr", REQUIRED, "/22 to /12, not overlapping the VPC or GCP ranges; cannot change "
                                      "after creation (a change replaces the endpoint)",
              note="a change replaces the endpoint"),
        Field("authentication", "saml", "`saml` (IAM Identity Center sign-in), `certificate` (one client "
                                        "certificate per person or device, mutual TLS) or `saml+certificate` "
                                        "(both at each connection); Active Directory is not offered. A change "
                                        "replaces the endpoint",
              note="a change replaces the endpoint: new DNS name, every handed-out profile stops working"),
        Field("samlMetadataFile", NO_DEFAULT, "path (relative to the project) of the IdP's SAML 2.0 metadata "
                                              "XML; required with SAML sign-in, refused without it; example or "
                                              "expired metadata gets a warning; new metadata updates the SAML "
                                              "provider in place",
              note="new metadata updates in place"),
        Field("selfServiceSamlMetadataFile", NO_DEFAULT, "metadata of the self-service portal application "
                                                         "(SAML sign-in only); setting it turns the portal on "
                                                         "(off unless asked for; adding or removing "
                                                         "it replaces the endpoint: new DNS name, every "
                                                         "handed-out profile stops working)",
              note="adding or removing it replaces the endpoint: new DNS name, every handed-out profile "
                   "stops working"),
        Field("transport", "udp", "`udp` or `tcp` (changing it replaces the endpoint)",
              note="a change replaces the endpoint"),
        Field("port", 443, "443 or 1194"),
        Field("sessionTimeoutHours", 12, "8, 10, 12 or 24"),
        Field("disconnectOnSessionTimeout", True, "`true` ends sessions at the timeout; `false` lets the "
                                                  "client reconnect"),
        Field("splitTunnel", False, "`false`: all traffic through the VPC and the Elastic IP; `true`: only "
                                    "the ranges below"),
        Field("splitTunnelDestinations", [], "CIDRs routed in split tunnel (never `0.0.0.0/0`; refused in full "
                                             "tunnel, which routes everything); public ones leave from the "
                                             "Elastic IP"),
        Field("authorization", [], "list of `{cidr, allUsers: true}` or `{cidr, groups: [groupId, …]}` "
                                   "(below): who reaches which range; Client VPN applies the rule with the "
                                   "longest matching prefix. Each DNS server's /32 is open to every user",
              shown="every user to every routed range"),
        Field("accessGroups", [], "shorthand, not with `authorization`: list of `{groupId, destinations}` "
                                  "(below); each group reaches its destinations (none: every routed range) "
                                  "and nobody else reaches anything but DNS", shown="none"),
        Field("allUsersReachAllRanges", False, "`true` says on the endpoint (a tag) that every user reaching "
                                               "every internal range is intended; without it the policy pack "
                                               "refuses that in `prod*` stacks"),
        Field("clientCertificates", [], "names (lower case, 1-32 letters, digits, dashes), one certificate and "
                                        "secret `.ovpn` profile each; needs certificate sign-in. Removing a name "
                                        "deletes its certificate from the state only: revoke it (below)"),
        Field("clientCertificateDays", 365, "60 to 1095: validity of client certificates, renewed 30 days "
                                            "before the end at the next `pulumi up` (each renewal is a new "
                                            "profile to hand out)"),
        Field("revokedClientCertificates", [], "list of `{name, serial}` (below) of removed or re-issued "
                                               "certificates, written into the revocation list by "
                                               "`python -m operate revocation-list`"),
        Field("logRetentionDays", 30, "a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, "
                                      "150, 180, 365, …)"),
        Field("loginBanner", NO_DEFAULT, "text shown by the AWS VPN Client after connecting, at most 1400 "
                                         "characters"),
        Field("certificateDomain", "vpn.multicloud-vpn.internal", "DNS name in the server certificate (need "
                                                                  "not resolve)"),
        Field("extraRoutes", [], "CIDRs the VPC itself routes on (e.g. an office behind the VPC's own "
                                 "Site-to-Site VPN): Client VPN routes and authorization for them in full "
                                 "and split tunnel; not overlapping the client range, the VPC or routed ranges"),
    ), default={}),
    Section("clientVpn.authorization[]", "", (
        Field("cidr", REQUIRED, "the range (in split tunnel, inside a routed range)"),
        Field("allUsers", False, "`true`: every authenticated user; exactly one of this and `groups`"),
        Field("groups", [], "IAM Identity Center group **IDs** (needs SAML sign-in)"),
    )),
    Section("clientVpn.revokedClientCertificates[]", "", (
        Field("name", REQUIRED, "the `clientCertificates` name it was issued to (a current name: a "
                                "superseded certificate of a re-issue)"),
        Field("serial", REQUIRED, "its decimal serial, from the `clientCertificates` output"),
    )),
    Section("clientVpn.accessGroups[]", "", (
        Field("groupId", REQUIRED, "the IAM Identity Center group **ID** (a UUID, optionally after a "
                                   "10-hex-digit prefix and a dash, e.g. `906754a0e1-0b1c2d3e-…`), not its "
                                   "display name"),
        Field("destinations", [], "CIDRs this group may reach; none: every routed destination",
              shown="every routed destination"),
    )),
    Section("dns", "Private DNS between the clouds: which names live where, and whether AWS resolves GCP.", (
        Field("awsDomains", [], "DNS names that live in AWS (Route 53); GCP forwards them from the hub"),
        Field("gcpDomains", [], "DNS names that live in GCP (Cloud DNS); may not overlap an AWS domain"),
        Field("awsToGcp", False, "`true`: Route 53 outbound endpoint + forwarding rules (about $182.50 a "
                                 "month); needs `gcpDomains`"),
        Field("createPrivateZones", False, "`true`: also create the Route 53 private hosted zones and Cloud "
                                           "DNS private zones"),
        Field("gcpForwarderIps", [], "Cloud DNS inbound forwarder addresses, if the lookup cannot be used",
              shown="looked up"),
        Field("forwardTargets", [], "list of `{domain, servers}` (below): names served by DNS servers "
                                    "outside both clouds (an office's), forwarded to from the hub and from "
                                    "the VPC; needs `awsDomains`; without `awsToGcp` it adds the Route 53 "
                                    "outbound endpoint (about $182.50 a month)"),
        Field("resolver", "route53", "`route53` (Route 53 Resolver endpoints: managed, two zones, about "
                                     "$182.50 a month each) or `instance` (one ARM instance running unbound at "
                                     "a fixed address answers both directions for a few dollars a month; one "
                                     "zone, auto-recovered; see [DNS hub](dns-hub.md#the-dns-forwarder-instance))",
              note="a change re-points GCP's forwarding zones and Client VPN's DNS server"),
        Field("forwarderInstanceType", "t4g.nano", "only with `resolver: instance`: an ARM (Graviton) type "
                                                   "such as `t4g.nano` or `t4g.micro`"),
        Field("vpcUsesForwarder", False, "only with `resolver: instance`: `true` points the VPC's DHCP options "
                                         "at the forwarder, so the whole VPC resolves GCP names; a dead "
                                         "forwarder then takes the VPC's DNS down (Client VPN users always use "
                                         "it)"),
    ), default={}),
    Section("dns.forwardTargets[]", "", (
        Field("domain", REQUIRED, "a DNS name, not equal to, under or above an `awsDomains` or "
                                  "`gcpDomains` entry, and not listed twice"),
        Field("servers", REQUIRED, "at least one private IPv4 address of its DNS servers (port 53), "
                                   "outside the GCP hub and spoke ranges"),
    )),
    Section("twingate", "Twingate connectors behind the same Elastic IP, off by default.", (
        Field("enabled", False, "`true` builds the connectors; needs `twingate:apiToken` and "
                                "`twingate:network`"),
        Field("remoteNetworkName", "multicloud-vpn", "name of the Twingate remote network"),
        Field("instanceType", "t3.micro", "EC2 instance type of the connectors"),
        Field("amiId", COMPUTED, "`ami-…` (one image that never changes): Twingate's connector image, or a plain "
                                 "Linux image with `setupScriptSha256`; `resolve:ssm:` is refused",
              shown="required when enabled"),
        Field("setupScriptSha256", NO_DEFAULT, "SHA-256 of Twingate's `setup.sh` as reviewed: the boot downloads "
                                               "it and runs it only if it matches; none: nothing is downloaded "
                                               "(the connector comes with the image)"),
        Field("securityPolicy", NO_DEFAULT, "name of an existing Twingate security policy for every resource "
                                            "that names none", shown="the network's Default Policy"),
        Field("groups", [], "Twingate groups to create (at least one when enabled, unique)",
              shown="required when enabled"),
        Field("resources", [], "at least one `{name, address, groups, ports, securityPolicy}` when enabled (below)",
              shown="required when enabled"),
        Field("includePrivateRanges", False, "`true` also publishes the VPC and every GCP range as resources "
                                             "for every group: everyone reaches every internal address"),
    ), default={}),
    Section("twingate.resources[]", "", (
        Field("name", REQUIRED, "unique resource name"),
        Field("address", REQUIRED, "a DNS name, an IPv4 address or an IPv4 CIDR (IPv6 is refused: the VPC "
                                   "and its NAT are IPv4-only)"),
        Field("groups", COMPUTED, "which of `groups` may use it", shown="all groups"),
        Field("ports", [], "TCP ports or ranges", shown="all ports"),
        Field("securityPolicy", COMPUTED, "name of an existing Twingate security policy for this resource",
              shown="`securityPolicy`"),
    )),
    Section("monitoring", "Alarms on the tunnels, BGP sessions, NAT gateways and Client VPN, and a "
                          "CloudWatch dashboard; on by default.", (
        Field("enabled", True, "`false` creates no alarm, topic, channel or dashboard; the other fields "
                               "are still checked"),
        Field("emails", [], "addresses alarms are sent to: an SNS email subscription each (confirm the "
                            "email AWS sends) and, with `siteToSite`, a Cloud Monitoring email channel "
                            "each; with no address and no existing target a warning says nobody is "
                            "notified", shown="nobody"),
        Field("snsTopicArn", NO_DEFAULT, "`arn:aws:sns:<aws:region>:<account>:<name>`: an existing "
                                         "standard topic the CloudWatch alarms notify instead of one "
                                         "created here", shown="a new topic"),
        Field("notificationChannels", [], "existing Cloud Monitoring channels "
                                          "(`projects/<project>/notificationChannels/<id>`) the GCP alert "
                                          "policies notify as well; needs `siteToSite`"),
    ), default={}),
)
SECTIONS += (
    Section("offices", "Office (on-premises) sites joined by Site-to-Site VPN to the Transit Gateway.", (),
            default=[], kind="array"),
    Section("offices[]", "", (
        Field("name", REQUIRED, "unique name (lower-case letters, digits, `-`)"),
        Field("publicIp", REQUIRED, "the office router's public IPv4 address"),
        Field("cidrs", REQUIRED, "the office's private ranges"),
        Field("bgpAsn", NO_DEFAULT, f"{ASN}, not the Transit Gateway's or the Cloud Router's: BGP; "
                                    "without it, static routes to `cidrs`", shown="static routing"),
        Field("ikeProfile", COMPUTED, "a preset name or an object as `siteToSite.ikeProfile`, its values checked "
                                      "against AWS alone (the tunnels end on the office's router)",
              shown="`siteToSite.ikeProfile`"),
        Field("insideCidrs", NO_DEFAULT, "two /30s (AWS tunnel 1 and 2); without it taken from "
                                         "`siteToSite.insideCidrPool` after the site-to-site tunnels",
              shown="from the pool"),
    )),
)
SECTIONS += (
    Section("audit", "Audit trails: VPC and Transit Gateway flow logs, DNS query logs, VPN tunnel and BGP "
                     "logs; on by default (see [security](security.md#audit-trails)).", (
        Field("logRetentionDays", 365, "days every audit log group keeps its events: a CloudWatch Logs "
                                       "retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, "
                                       "400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)"),
        Field("kmsKeyArn", NO_DEFAULT, "`arn:aws:kms:<aws:region>:<account>:key/<id>`: an existing KMS key "
                                       "every log group of the program is encrypted with (the audit "
                                       "trails' and Client VPN's; its key policy must let "
                                       "`logs.<region>.amazonaws.com` use it)",
              shown="CloudWatch Logs' own encryption"),
        Field("vpcFlowLogs", True, "flow log (all traffic, with the packets' own source and destination) "
                                   "of the egress VPC: the program's, or `network.existingVpc`'s"),
        Field("transitGatewayFlowLogs", True, "flow log of the Transit Gateway created here, or of the "
                                              "program's own attachments on an adopted one"),
        Field("resolverQueryLogs", True, "Route 53 Resolver query logging on the program's VPC"),
        Field("vpnTunnelLogs", True, "Site-to-Site VPN tunnel and BGP logs of every AWS tunnel (GCP and "
                                     "offices)"),
        Field("cloudDnsLogging", True, "Cloud DNS query logging on the hub and the spokes created here "
                                       "(with the program's DNS, which needs `network.vpcCidr`)"),
        Field("gcpSubnetFlowLogs", False, "VPC flow logs on the GCP subnets created here; needs `siteToSite`"),
        Field("gcpFlowSampling", 0.5, "above 0, at most 1: the share of GCP flows reported"),
    ), default={}),
)
BY_KEY = {s.key: s for s in SECTIONS}


def section_for(config_key: str) -> Section | None:
    """The table for a config key such as `multicloud-vpn:gcpHub.subnets[2]`."""
    key = config_key.removeprefix(f"{PROJECT}:")
    return BY_KEY.get(re.sub(r"\[\d+\]", "[]", key))


def top_level() -> tuple[Section, ...]:
    return tuple(s for s in SECTIONS if "." not in s.key and not s.key.endswith("[]"))


# ------------------------------------------------------------------------------- generation
def project_config() -> dict[str, Any]:
    """`config:` of Pulumi.yaml: type, description and, for optional sections, `default: {}`."""
    out: dict[str, Any] = {}
    for s in top_level():
        fields = BY_KEY[s.key + "[]"].fields if s.kind == "array" else s.fields
        names = ", ".join(f"{f.name} ({f.default_text.strip('`')}{'; ' + f.note if f.note else ''})"
                          for f in fields)
        entry: dict[str, Any] = {"type": s.kind,
                                 "description": f"{s.summary} Fields: {names}. "
                                                f"Reference: docs/configuration.md#{s.key.lower()}"}
        if s.kind == "array":
            entry["items"] = {"type": "object"}
        if s.default is not REQUIRED:
            entry["default"] = s.default
        out[s.key] = entry
    return out


def configuration_tables() -> str:
    parts = []
    for s in SECTIONS:
        title = f"### {s.key}" if "." not in s.key else f"#### {s.key}"
        parts += [title, "", f"`{PROJECT}:{s.key}`" + (f": {s.summary}" if s.summary else ""), "",
                  "| field | default | accepted |", "| --- | --- | --- |"]
        parts += [f"| `{f.name}` | {f.default_text} | {f.accepted} |" for f in s.fields]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def render_project_file(text: str) -> str:
    """Pulumi.yaml with its `config:` block replaced (the block is last in the file)."""
    head = text.split("\nconfig:\n", 1)[0]
    import yaml
    body = yaml.safe_dump({"config": project_config()}, sort_keys=False, width=100, allow_unicode=True)
    return head + "\n" + body


def render_docs(text: str) -> str:
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n\n{configuration_tables()}\n{END}{after}"


def main() -> None:
    project, docs = ROOT / "Pulumi.yaml", ROOT / "docs" / "configuration.md"
    project.write_text(render_project_file(project.read_text()))
    docs.write_text(render_docs(docs.read_text()))
    print(f"wrote {project} and {docs}", file=sys.stderr)


if __name__ == "__main__":
    main()
