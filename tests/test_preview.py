"""A first `pulumi preview` (and so every pull-request preview of a new stack) under mocks that
know nothing the clouds compute: it must not fail, must declare everything `up` would, and must
keep secrets secret."""

import pytest

from offline.evaluate import contains_secret
from tests.harness import run_program
from tests.stacks import PEER, ROUTER_IF, TUNNEL, VPN, config_for, deploy

CASES = {
    "dev": ("dev", {}, {}),
    "prod": ("prod", {}, {}),
    "1x2": ("dev", {"tunnelsPerConnection": 2}, {}),
    "2x1": ("dev", {"connections": 2}, {}),
    "adopted-tgw": ("prod", {"transitGatewayId": "tgw-0123456789abcdef0"}, {}),
    "per-zone-nat": ("prod", {}, {"network": {"natGateways": "perZone"}}),
    "split-tunnel": ("prod", {}, {"clientVpn": {"splitTunnel": True, "authorization": None,
                                                "splitTunnelDestinations": ["192.168.0.0/16"]}}),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request):
    stack, site_to_site, sections = CASES[request.param]
    config = config_for(stack, sections, **site_to_site)
    return run_program(config, stack=stack, preview=True), deploy(stack, sections=sections, **site_to_site)


def test_the_preview_declares_what_up_declares(pair):
    preview, up = pair
    assert preview.names() == up.names()


def test_the_preview_leaves_computed_outputs_unknown(pair):
    preview, _ = pair
    assert all(r.id == "" for r in preview.resources if r.custom and not r.type.startswith("pulumi:"))


def test_keys_are_secret_or_unknown_in_the_preview(pair):
    preview, _ = pair
    for vpn in preview.of_type(VPN):
        for n in (1, 2):
            assert contains_secret(vpn.inputs.get(f"tunnel{n}PresharedKey")), vpn.name
    for tunnel in preview.of_type(TUNNEL):
        assert contains_secret(tunnel.inputs.get("sharedSecret")), tunnel.name


def test_bgp_addresses_are_visible_in_the_preview(pair):
    preview, up = pair
    for kind, field in ((ROUTER_IF, "ipRange"), (PEER, "peerIpAddress"), (PEER, "ipAddress")):
        for r in preview.of_type(kind):
            assert r.get(field) == up.named(kind, r.name).get(field), (r.name, field)
