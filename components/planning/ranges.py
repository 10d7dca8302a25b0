"""Cross-setting checks on address ranges: nothing routed may overlap anything else routed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from .errors import SettingsError

Named = tuple[str, ipaddress.IPv4Network]  # (config key, range)


def ensure_disjoint(ranges: Iterable[Named]) -> None:
    """Raise on the first range that overlaps an earlier one, naming both keys."""
    seen: list[Named] = []
    for key, net in ranges:
        for other_key, other in seen:
            if net.overlaps(other):
                raise SettingsError(key, str(net), f"it overlaps {other_key} ({other}); "
                                    "routed ranges must not overlap")
        seen.append((key, net))
