"""Pre-shared keys that AWS accepts.

AWS allows 8-64 characters of [A-Za-z0-9._] and refuses a key that starts with "0". The random
source gives alphanumerics; this moves any leading zeros to the end, keeping length and alphabet.
"""

from __future__ import annotations

import re

PSK_LENGTH = 32
_VALID = re.compile(r"^(?!0)[A-Za-z0-9._]{8,64}$")


def is_valid_aws_psk(key: str) -> bool:
    return bool(_VALID.match(key))


def aws_safe_psk(raw: str) -> str:
    stripped = raw.lstrip("0")
    if not stripped:
        raise ValueError("a pre-shared key made only of zeros cannot be made valid")
    return stripped + "0" * (len(raw) - len(stripped))
