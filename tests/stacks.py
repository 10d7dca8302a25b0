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
SUBNET = "gcp:compute/subnetwork:Subnetwork"


def config_for(stack: str = "dev", **site_to_site) -> dict:
    config = copy.deepcopy(stack_config(stack))
    config["multicloud-vpn:siteToSite"].update(site_to_site)
    return config


@functools.lru_cache(maxsize=None)
def _cached(stack: str, overrides: str, mock_options: str) -> Deployment:
    return run_program(config_for(stack, **json.loads(overrides)), stack=stack,
                       **json.loads(mock_options))


def deploy(stack: str = "dev", mock_options: dict | None = None, **site_to_site) -> Deployment:
    return _cached(stack, json.dumps(site_to_site, sort_keys=True),
                   json.dumps(mock_options or {}, sort_keys=True))
