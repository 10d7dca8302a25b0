"""Tunnel inside /30s: the link-local addresses BGP runs on.

AWS rejects some /30s and requires every tunnel on one Transit Gateway to have its own; a Cloud
Router needs a unique /30 per BGP session. Allocation is by tunnel position, never by count, so a
stack that grows from one tunnel to four keeps the addresses it already had.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from . import reference
from .errors import SettingsError
from .fields import ipv4_network

LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")

# AWS VpnTunnelOptionsSpecification: these /30s are refused as tunnel inside CIDRs.
AWS_RESERVED = tuple(ipaddress.IPv4Network(c) for c in (
    "169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30",
    "169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30",
))

DEFAULT_POOL = reference.BY_KEY["siteToSite"].field("insideCidrPool").default  # type: ignore[union-attr]

ACCEPTED_INSIDE = ("a /30 inside 169.254.0.0/16 (e.g. 169.254.10.0/30), not one AWS reserves "
                   "(169.254.0.0/30 to 169.254.5.0/30, 169.254.169.252/30)")


def is_usable(net: ipaddress.IPv4Network) -> bool:
    return net.prefixlen == 30 and net.subnet_of(LINK_LOCAL) and net not in AWS_RESERVED


_RESERVED_STARTS = frozenset(int(n.network_address) for n in AWS_RESERVED)


def iter_usable(pool: ipaddress.IPv4Network, reserved: Sequence[str] = ()) -> Iterator[ipaddress.IPv4Network]:
    """The /30s of `pool` AWS accepts and `reserved` (/30s other VPN connections on the gateway
    already use) does not hold, in address order, made one at a time (a /16 holds 16384)."""
    if pool.prefixlen > 30:
        return
    skipped = _RESERVED_STARTS | {int(ipaddress.IPv4Network(r).network_address) for r in reserved}
    start = int(pool.network_address)
    for address in range(start, start + pool.num_addresses, 4):
        if address not in skipped:
            yield ipaddress.IPv4Network((address, 30))


def usable_count(pool: ipaddress.IPv4Network, reserved: Sequence[str] = ()) -> int:
    """How many /30s of `pool` AWS accepts and `reserved` leaves free, without listing them."""
    if pool.prefixlen > 30:
        return 0
    taken = set(AWS_RESERVED) | {ipaddress.IPv4Network(r) for r in reserved}
    return pool.num_addresses // 4 - sum(1 for n in taken if n.subnet_of(pool))


def usable_in(pool: ipaddress.IPv4Network) -> list[ipaddress.IPv4Network]:
    return list(iter_usable(pool))


def parse_pool(key: str, value: Any) -> ipaddress.IPv4Network:
    accepted = "expected a CIDR from /16 to /28 inside 169.254.0.0/16, e.g. 169.254.10.0/24"
    pool = ipv4_network(key, value, accepted=accepted)
    if not pool.subnet_of(LINK_LOCAL) or not 16 <= pool.prefixlen <= 28:
        raise SettingsError(key, value, accepted)
    return pool


def parse_reserved(key: str, values: Sequence[Any]) -> tuple[str, ...]:
    """`reservedInsideCidrs`: distinct /30s inside 169.254.0.0/16 that other VPN connections on the
    gateway already use."""
    accepted = "expected a /30 inside 169.254.0.0/16 used by another VPN connection, e.g. 169.254.20.0/30"
    out: list[str] = []
    for index, value in enumerate(values):
        item_key = f"{key}[{index}]"
        net = ipv4_network(item_key, value, accepted=accepted)
        if net.prefixlen != 30 or not net.subnet_of(LINK_LOCAL):
            raise SettingsError(item_key, value, accepted)
        if str(net) in out:
            raise SettingsError(item_key, value, f"listed twice (see {key}[{out.index(str(net))}])")
        out.append(str(net))
    return tuple(out)


def refuse_reserved(key: str, cidrs: Sequence[str], reserved: Sequence[str], reserved_key: str) -> None:
    """An explicit /30 that `reserved_key` lists is another VPN connection's: refuse it."""
    taken = {ipaddress.IPv4Network(r) for r in reserved}
    for index, cidr in enumerate(cidrs):
        if ipaddress.IPv4Network(cidr) in taken:
            raise SettingsError(f"{key}[{index}]", cidr, f"{reserved_key} lists it as used by another "
                                "VPN connection on the Transit Gateway; each tunnel needs its own /30")


def parse_explicit(key: str, values: Sequence[Any], expected: int) -> tuple[str, ...]:
    """Check a user's list: one usable, distinct /30 per AWS tunnel."""
    if len(values) != expected:
        raise SettingsError(key, list(values), f"expected exactly {expected} entries: one /30 per AWS "
                            "tunnel (2 per connection, the idle tunnel included), in the order "
                            "connection 0 tunnel 1, connection 0 tunnel 2, connection 1 tunnel 1, ...")
    seen: dict[ipaddress.IPv4Network, int] = {}
    for index, value in enumerate(values):
        item_key = f"{key}[{index}]"
        net = ipv4_network(item_key, value, accepted=f"expected {ACCEPTED_INSIDE}")
        if not is_usable(net):
            raise SettingsError(item_key, value, f"expected {ACCEPTED_INSIDE}")
        if net in seen:
            raise SettingsError(item_key, value, f"each tunnel needs its own /30; this one repeats "
                                f"{key}[{seen[net]}]")
        seen[net] = index
    return tuple(str(v) for v in values)


def allocate(pool: ipaddress.IPv4Network, count: int, key: str = "insideCidrPool",
             reserved: Sequence[str] = ()) -> tuple[str, ...]:
    """The first `count` usable /30s of `pool` not in `reserved`, in order: position i always gets
    the same /30 (for a given `reserved`)."""
    got = tuple(str(n) for n in islice(iter_usable(pool, reserved), max(count, 0)))
    if len(got) < count:
        besides = " besides the reserved ones" if reserved else ""
        raise SettingsError(key, str(pool), f"it holds {usable_count(pool, reserved)} usable /30s{besides} "
                            f"but {count} tunnels need one each; choose a larger pool")
    return got


def tunnel_addresses(inside_cidr: str) -> tuple[str, str]:
    """(AWS side, customer side) addresses of a /30: AWS takes the first host, the peer the second."""
    hosts = list(ipaddress.IPv4Network(inside_cidr).hosts())
    return str(hosts[0]), str(hosts[1])
