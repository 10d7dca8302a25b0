"""The one error type a user meets when a stack setting is wrong."""

from __future__ import annotations

from typing import Any


class SettingsError(ValueError):
    """A stack setting has a value the program cannot use.

    The message names the full config key, the value found and what is accepted, so the user can
    fix the stack file without reading code.
    """

    def __init__(self, key: str, value: Any, accepted: str):
        self.key = key
        self.value = value
        self.accepted = accepted
        super().__init__(f"{key}: {_show(value)} is not accepted; {accepted}")


def _show(value: Any) -> str:
    if value is _MISSING:
        return "a missing value"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
MISSING = _MISSING
