"""Known AWS and GCP regions, from `regions.json` (its sources and date are in the file).

A region typo would otherwise pass every check and make a real `pulumi up` create half the
stack before the first call into the wrong place fails.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path

from .errors import SettingsError

REGIONS_FILE = Path(__file__).with_name("regions.json")


@cache
def known_regions(cloud: str) -> tuple[str, ...]:
    return tuple(json.loads(REGIONS_FILE.read_text())[cloud])


def check_region(key: str, value: str, cloud: str) -> str:
    known = known_regions(cloud)
    if value not in known:
        near = difflib.get_close_matches(value, known, n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise SettingsError(key, value, f"{hint}not a known {cloud.upper()} region (known regions "
                            f"and their source: components/planning/{REGIONS_FILE.name})")
    return value
