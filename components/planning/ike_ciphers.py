"""What each end accepts for IKE, read from `ike_ciphers.json` (values, sources and dates there).

A user writes AWS's spelling (`AES256`, `SHA2-256`, `20`); one value serves both phases, so a
value must be accepted in phase 1 and phase 2. For the GCP tunnels GCP must accept it as well;
an office tunnel ends on AWS and the office's own router only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("ike_ciphers.json")
ROLES = ("encryption", "integrity", "dhGroup")
PHASES = ("phase1", "phase2")


@cache
def data() -> dict:
    return json.loads(DATA_FILE.read_text())


def gcp_name(role: str, value: Any) -> str:
    """GCP's spelling of an AWS value (`AES256` -> `AES-CBC-256`, 20 -> `Group-20`)."""
    if role == "dhGroup":
        return f"Group-{value}"
    return data()["names"][role][value]["gcp"]


def gcp_prf(integrity: str) -> str:
    return data()["names"]["integrity"][integrity]["gcpPrf"]


def is_aead(encryption: str) -> bool:
    return bool(data()["names"]["encryption"][encryption]["aead"])


def aws_phases(role: str, value: Any) -> tuple[str, ...]:
    """The phases whose AWS tunnel options accept `value` for `role`."""
    return tuple(p for p in PHASES if _same(value, data()["aws"][p][role]))


def gcp_accepts(role: str, value: Any) -> bool:
    """GCP accepts the value in both phases (for integrity, also as phase 1's PRF)."""
    gcp = data()["gcp"]
    if role == "dhGroup":
        return all(_same(value, gcp[p]["dhGroup"]) for p in PHASES)
    if not isinstance(value, str) or value not in data()["names"][role]:
        return False
    name = gcp_name(role, value)
    if role == "integrity" and gcp_prf(value) not in gcp["phase1"]["prf"]:
        return False
    return all(name in gcp[p][role] for p in PHASES)


def accepted(role: str, *, with_gcp: bool) -> tuple[Any, ...]:
    """Values (AWS spelling, AWS's order) one setting may take: both AWS phases, and GCP too."""
    return tuple(v for v in data()["aws"]["phase1"][role]
                 if len(aws_phases(role, v)) == 2 and (not with_gcp or gcp_accepts(role, v)))


def aws_values(role: str, phase: str) -> tuple[Any, ...]:
    return tuple(data()["aws"][phase][role])


def gcp_values(role: str, *, spelled_as_aws: bool = False) -> tuple[str, ...]:
    """GCP's values for a role in both phases, in GCP's spelling (DH groups as numbers); with
    `spelled_as_aws`, each followed by the AWS spelling a user writes, e.g. `AES-CBC-256 (AES256)`."""
    gcp = data()["gcp"]
    names = {} if role == "dhGroup" else {v["gcp"]: k for k, v in data()["names"][role].items()}
    return tuple(f"{v} ({names[v]})" if spelled_as_aws and v in names else str(v)
                 for v in gcp["phase1"][role] if v in gcp["phase2"][role])


def aws_lifetime_range(phase: str) -> tuple[int, int]:
    low, high = data()["aws"][phase]["lifetimeSeconds"]
    return int(low), int(high)


def gcp_lifetime(phase: str) -> int:
    return int(data()["gcp"][phase]["lifetimeSeconds"])


def _same(value: Any, options: list) -> bool:
    """Membership without True == 1 or 2.0 == 2 slipping through."""
    return any(type(value) is type(o) and value == o for o in options)
