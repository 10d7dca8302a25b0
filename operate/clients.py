"""Thin wrappers around boto3 and google-cloud-compute that hand back plain dicts.

They exist so the diagnosis never sees a client, and so tests can pass a moto-backed or stubbed
EC2 client and fake GCP clients (anything with `list(project=, region=)` and
`get_router_status(project=, region=, router=)`) without touching a cloud.
"""

from __future__ import annotations

from typing import Any, Protocol


class TunnelsApi(Protocol):
    def list(self, *, project: str, region: str) -> Any: ...


class RoutersApi(Protocol):
    def get_router_status(self, *, project: str, region: str, router: str) -> Any: ...


def _plain(message: Any) -> dict:
    """A proto-plus message (or an already plain dict) as a snake_case dict."""
    if isinstance(message, dict):
        return message
    return type(message).to_dict(message)


class AwsStatus:
    """EC2 calls for the VPN connections on one Transit Gateway and its VPN route table."""

    def __init__(self, ec2: Any):
        self.ec2 = ec2

    @classmethod
    def default(cls, region: str | None) -> AwsStatus:
        import boto3.session  # the user's usual credential chain

        # A fresh session: boto3's default one caches the credentials it resolved first.
        return cls(boto3.session.Session().client("ec2", region_name=region))

    def vpn_connections(self, transit_gateway_id: str | None, ids: list[str] | None = None) -> list[dict]:
        """By id when the stack exports them, else every connection on the Transit Gateway."""
        if ids:
            response = self.ec2.describe_vpn_connections(VpnConnectionIds=ids)
        else:
            response = self.ec2.describe_vpn_connections(
                Filters=[{"Name": "transit-gateway-id", "Values": [str(transit_gateway_id)]}])
        return [c for c in response.get("VpnConnections", []) if c.get("State") != "deleted"]

    def route_table_of(self, vpn_ids: list[str]) -> str | None:
        """The route table the VPN attachments are associated with (the stack's `routeTableId`)."""
        if not vpn_ids:
            return None
        response = self.ec2.describe_transit_gateway_attachments(
            Filters=[{"Name": "resource-id", "Values": vpn_ids}, {"Name": "resource-type", "Values": ["vpn"]}])
        for attachment in response.get("TransitGatewayAttachments", []):
            table = (attachment.get("Association") or {}).get("TransitGatewayRouteTableId")
            if table:
                return table
        return None

    def routes(self, route_table_id: str) -> list[dict]:
        response = self.ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=route_table_id,
            Filters=[{"Name": "type", "Values": ["propagated", "static"]}])
        return list(response.get("Routes", []))


class GcpStatus:
    """Compute calls for the HA VPN tunnels and their Cloud Routers' BGP sessions in one region."""

    def __init__(self, project: str, region: str, tunnels: TunnelsApi, routers: RoutersApi):
        self.project, self.region = project, region
        self._tunnels, self._routers = tunnels, routers

    @classmethod
    def default(cls, project: str, region: str) -> GcpStatus:
        import warnings

        with warnings.catch_warnings():  # google.api_core's Python-support notice is not the user's problem
            warnings.simplefilter("ignore", FutureWarning)
            from google.cloud import compute_v1  # application default credentials

        return cls(project, region, compute_v1.VpnTunnelsClient(), compute_v1.RoutersClient())

    def tunnels(self) -> list[dict]:
        return [_plain(t) for t in self._tunnels.list(project=self.project, region=self.region)]

    def bgp_peers(self, routers: list[str]) -> list[dict]:
        """Every BGP peer status of the named routers (names or URLs), tagged with its router."""
        peers = []
        for router in sorted({r.rsplit("/", 1)[-1] for r in routers if r}):
            status = _plain(self._routers.get_router_status(project=self.project, region=self.region,
                                                            router=router))
            for peer in (status.get("result") or {}).get("bgp_peer_status") or []:
                peers.append({**peer, "router": router})
        return peers
