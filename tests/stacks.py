"""Cached evaluations of the program, one per configuration, shared by the test modules."""

import copy
import functools
import json

from tests.harness import Deployment, run_program, stack_config

TGW = "aws:ec2transitgateway/transitGateway:TransitGateway"
TGW_RT = "aws:ec2transitgateway/routeTable:RouteTable"
TGW_ASSOC = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"
TGW_PROP = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"
CGW = "aws:ec2/customerGateway:CustomerGateway"
VPN = "aws:ec2/vpnConnection:VpnConnection"
ROUTER = "gcp:compute/router:Router"
HA_VPN = "gcp:compute/haVpnGateway:HaVpnGateway"
EXT_GW = "gcp:compute/externalVpnGateway:ExternalVpnGateway"
TUNNEL = "gcp:compute/vPNTunnel:VPNTunnel"
ROUTER_IF = "gcp:compute/routerInterface:RouterInterface"
PEER = "gcp:compute/routerPeer:RouterPeer"
PASSWORD = "random:index/randomPassword:RandomPassword"
NETWORK = "gcp:compute/network:Network"
TGW_VPC_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
VPC = "aws:ec2/vpc:Vpc"
AWS_SUBNET = "aws:ec2/subnet:Subnet"
AWS_ROUTE = "aws:ec2/route:Route"
AWS_ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
SG = "aws:ec2/securityGroup:SecurityGroup"
ENDPOINT = "aws:ec2clientvpn/endpoint:Endpoint"
ASSOCIATION = "aws:ec2clientvpn/networkAssociation:NetworkAssociation"
CVPN_ROUTE = "aws:ec2clientvpn/route:Route"
RULE = "aws:ec2clientvpn/authorizationRule:AuthorizationRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SAML = "aws:iam/samlProvider:SamlProvider"
ACM_CERT = "aws:acm/certificate:Certificate"
TLS_KEY = "tls:index/privateKey:PrivateKey"
SUBNET = "gcp:compute/subnetwork:Subnetwork"


def config_for(stack: str = "dev", sections: dict | None = None, **site_to_site) -> dict:
    """A stack file's config with siteToSite fields and whole-section fields replaced."""
    config = copy.deepcopy(stack_config(stack))
    config["multicloud-vpn:siteToSite"].update(site_to_site)
    for name, fields in (sections or {}).items():
        config.setdefault(f"multicloud-vpn:{name}", {}).update(fields)
    return config


@functools.cache
def _cached(stack: str, overrides: str, sections: str, mock_options: str) -> Deployment:
    config = config_for(stack, json.loads(sections), **json.loads(overrides))
    return run_program(config, stack=stack, **json.loads(mock_options))


def deploy(stack: str = "dev", mock_options: dict | None = None, sections: dict | None = None,
           **site_to_site) -> Deployment:
    """Evaluate a stack file with overrides; identical requests share one evaluation."""
    return _cached(stack, json.dumps(site_to_site, sort_keys=True),
                   json.dumps(sections or {}, sort_keys=True),
                   json.dumps(mock_options or {}, sort_keys=True))
