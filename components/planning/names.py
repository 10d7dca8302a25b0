"""Physical names the clouds accept, bounded and still distinct for every input.

GCP names of networks, peerings, zones, firewalls and most compute resources are 1-63 characters
of `[a-z]([-a-z0-9]*[a-z0-9])?`; Route 53 Resolver rule names at most 64. Names built from user
strings (spoke names, domains) can be longer, and cutting them would let two inputs share a name,
so a name that does not fit keeps a readable prefix and ends in a hash of the whole.
"""

from __future__ import annotations

import hashlib
import re

GCP_NAME_LIMIT = 63
GCP_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
HASH_LENGTH = 8


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def bounded(text: str, limit: int) -> str:
    """`text` when it fits in `limit` characters, else a prefix of it, '-' and a hash of all of it."""
    if len(text) <= limit:
        return text
    prefix = text[:limit - HASH_LENGTH - 1].rstrip("-.")
    return f"{prefix}-{_hash(text)}"


def gcp_name(*parts: str) -> str:
    """A valid GCP resource name made of `parts` joined by '-'.

    Parts are lower-cased and anything outside [a-z0-9-] becomes '-'; when that changed anything
    (a domain's dots, say) the hash of the original keeps `a.b-c` and `a-b.c` apart.
    """
    original = "-".join(parts)
    text = re.sub(r"[^a-z0-9-]", "-", original.lower())
    if not text[:1].isalpha():
        text = "n-" + text
    if text != original:  # the hash covers the parts themselves: ("a", "b-c") is not ("a-b", "c")
        text = f"{text[:GCP_NAME_LIMIT - HASH_LENGTH - 1].rstrip('-')}-{_hash(repr(parts))}"
    text = bounded(text.strip("-"), GCP_NAME_LIMIT).rstrip("-")
    if not GCP_NAME.match(text):  # pragma: no cover - guarded by construction
        raise ValueError(f"cannot make a GCP name from {parts!r}")
    return text


def gcp_label_value(text: str) -> str:
    """A GCP label value: lower case, digits, '_' and '-', at most 63 (stack names allow 'Prod.1')."""
    value = re.sub(r"[^a-z0-9_-]", "-", text.lower())
    if value != text:
        value = f"{value[:GCP_NAME_LIMIT - HASH_LENGTH - 1]}-{_hash(text)}"
    return bounded(value, GCP_NAME_LIMIT)
