"""Documented quotas the program can count before anything exists (numbers and sources in
`quotas.json`): an oversized layout is refused with one error instead of BGP sessions that
drop routes, and one near a limit gets a warning at 80 %.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import SettingsError

QUOTAS_FILE = Path(__file__).with_name("quotas.json")


@dataclass(frozen=True)
class Count:
    quota: str
    key: str            # the setting that drives the count
    used: int


@cache
def quotas() -> dict:
    return json.loads(QUOTAS_FILE.read_text())


def check(counts: list[Count]) -> tuple[str, ...]:
    """Raise on a count over its limit; return warnings for counts at or above `warn_at`."""
    data = quotas()
    warnings = []
    for c in counts:
        q = data[c.quota]
        if c.used > q["limit"]:
            raise SettingsError(c.key, f"{c.used} {q['what'].split(' ')[0]}",
                                f"the limit is {q['limit']} {q['what']} ({q['source']}); "
                                "use fewer or larger ranges")
        if c.used >= data["warn_at"] * q["limit"]:
            warnings.append(f"{c.key}: {c.used} of at most {q['limit']} {q['what']}")
    return tuple(warnings)
