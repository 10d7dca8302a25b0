"""Typed reads from one structured config object, each failure naming the full key.

Stack files hold YAML; Pulumi hands the program each structured value as JSON text. A `Section`
reads one such object field by field, checks types strictly (a boolean is not an integer, "2" is
not 2) and rejects keys nobody reads, so a typo fails loudly instead of silently using a default.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from . import reference
from .errors import MISSING, SettingsError

T = TypeVar("T")


def parse_json_value(key: str, raw: str | None) -> Any:
    """Decode a config value as Pulumi stores it (JSON text for objects and lists)."""
    if raw is None:
        return MISSING
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        raise SettingsError(key, raw, "expected a YAML object (a mapping of settings)") from None


class Section:
    """One structured config object such as `multicloud-vpn:siteToSite`."""

    def __init__(self, key: str, value: Any, *, required: bool = True):
        self.key = key
        if value is MISSING or value is None:
            if required:
                raise SettingsError(key, MISSING, "this setting is required in the stack file")
            value = {}
        if not isinstance(value, dict):
            raise SettingsError(key, value, "expected a YAML object (a mapping of settings)")
        self._values = dict(value)
        self._read: set[str] = set()
        self._table = reference.section_for(key)

    def child(self, name: str) -> str:
        return f"{self.key}.{name}"

    def _default(self, name: str, given: Any) -> Any:
        """The reference table's default; a parser may repeat it but never contradict it."""
        field = self._table.field(name) if self._table else None
        if field is None or field.default in (reference.REQUIRED, reference.NO_DEFAULT, reference.COMPUTED):
            return given
        if given is not MISSING and given != field.default:
            raise AssertionError(f"{self.child(name)}: the parser's default {given!r} is not the "
                                 f"reference table's {field.default!r}")
        return copy.deepcopy(field.default)

    def raw(self, name: str, default: Any = MISSING) -> Any:
        self._read.add(name)
        default = self._default(name, default)
        value = self._values.get(name, MISSING)
        if value is MISSING or value is None:
            if default is MISSING:
                raise SettingsError(self.child(name), MISSING, "this setting is required")
            return default
        return value

    def integer(self, name: str, default: Any = MISSING, *, accepted: str = "",
                check: Callable[[int], bool] = lambda _: True) -> int:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(self.child(name), value, f"expected an integer{_sep(accepted)}")
        if not check(value):
            raise SettingsError(self.child(name), value, accepted or "out of range")
        return value

    def choice(self, name: str, choices: Iterable[T], default: Any = MISSING) -> T:
        options = list(choices)
        value = self.raw(name, default)
        if isinstance(value, bool) or value not in options:
            shown = ", ".join(repr(o) for o in options)
            raise SettingsError(self.child(name), value, f"accepted values: {shown}")
        return value

    def string(self, name: str, default: Any = MISSING, *, accepted: str = "",
               check: Callable[[str], bool] = lambda _: True) -> str:
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(self.child(name), value, f"expected a non-empty string{_sep(accepted)}")
        if not check(value):
            raise SettingsError(self.child(name), value, accepted or "invalid value")
        return value

    def optional_string(self, name: str, *, accepted: str = "",
                        check: Callable[[str], bool] = lambda _: True) -> str | None:
        if self._values.get(name) is None:
            self._read.add(name)
            return None
        return self.string(name, accepted=accepted, check=check)

    def boolean(self, name: str, default: Any = MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise SettingsError(self.child(name), value, "expected true or false")
        return value

    def list(self, name: str, default: Any = MISSING) -> list:
        value = self.raw(name, default)
        if not isinstance(value, list):
            raise SettingsError(self.child(name), value, "expected a YAML list")
        return value

    def items(self, name: str) -> Iterator[tuple[str, Any]]:
        """(key, value) for each entry of an optional list, keys like `...name[2]`."""
        for index, value in enumerate(self.list(name, self._default(name, MISSING)
                                                 if self._has_default(name) else [])):
            yield f"{self.child(name)}[{index}]", value

    def _has_default(self, name: str) -> bool:
        field = self._table.field(name) if self._table else None
        return field is not None and field.default not in (
            reference.REQUIRED, reference.NO_DEFAULT, reference.COMPUTED)

    def given(self, name: str) -> bool:
        """True when the stack file writes the setting (a default does not count)."""
        return self._values.get(name) is not None

    def only_read_so_far(self) -> bool:
        """True when every key present has already been read."""
        return set(self._values) <= self._read

    @property
    def fields_read(self) -> frozenset[str]:
        """The settings this section knows about (for documentation checks)."""
        return frozenset(self._read)

    def finish(self) -> None:
        """Reject keys that no setting reads (usually typos)."""
        unknown = sorted(set(self._values) - self._read)
        if unknown:
            known = ", ".join(sorted(self._read))
            near = difflib.get_close_matches(unknown[0], sorted(self._read), n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise SettingsError(self.child(unknown[0]), self._values[unknown[0]],
                                f"{hint}unknown setting; known settings here: {known}")


def _sep(text: str) -> str:
    return f"; {text}" if text else ""


def port_or_range(key: str, raw: Any, pattern: re.Pattern, lowest: int, accepted: str) -> str:
    """A port (443, also as a number) or range ("8000-8100") between `lowest` and 65535, as text."""
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    match = pattern.match(text) if isinstance(text, str) else None
    if match is None or not lowest <= int(match.group(1)) <= int(match.group(2) or match.group(1)) <= 65535:
        raise SettingsError(key, raw, accepted)
    return str(text)


def ipv4_network(key: str, value: Any, *, accepted: str = "expected an IPv4 CIDR such as 10.0.0.0/16"
                 ) -> ipaddress.IPv4Network:
    """Parse a CIDR strictly: host bits must be zero, so 10.0.0.1/16 is refused, not rounded."""
    if not isinstance(value, str):
        raise SettingsError(key, value, accepted)
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise SettingsError(key, value, accepted) from None
