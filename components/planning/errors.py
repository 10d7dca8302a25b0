"""The one error type a user meets when a stack setting is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


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


class SettingsErrors(SettingsError):
    """Several settings are wrong: one line each, so a user fixes them in one pass."""

    def __init__(self, errors: list[SettingsError]):
        self.errors = list(errors)
        first = self.errors[0]
        ValueError.__init__(self, "\n".join(str(e) for e in self.errors))
        self.key, self.value, self.accepted = first.key, first.value, first.accepted


class ErrorCollector:
    """Runs independent parsing steps, keeping every SettingsError instead of stopping at one."""

    def __init__(self) -> None:
        self.errors: list[SettingsError] = []

    def run(self, step: Callable[..., T], *args: Any) -> T:
        try:
            return step(*args)
        except SettingsErrors as many:
            self.errors.extend(many.errors)
        except SettingsError as error:
            self.errors.append(error)
        return None  # type: ignore[return-value]

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise SettingsErrors(self.errors)


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
