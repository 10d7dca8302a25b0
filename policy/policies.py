"""The rules of `rules.py` as pulumi-policy objects (built here, served by `__main__.py`).

At preview the engine hands props whose unknown values are sentinels behind a proxy that raises
`UnknownValueError`. The props are copied to plain data here, so `rules.evaluate` sees the
sentinels itself and says which input it could not check. That "could not check" goes out as an
advisory either way: an advisory policy reports it as its violation; a mandatory one raises
`UnknownValueError` with that message, which pulumi-policy turns into an advisory diagnostic
(reporting it as a violation would fail the preview on a value nobody can know yet).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

import pulumi
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rules import MANDATORY, RULES, ResourceView, could_not_check, evaluate  # noqa: E402

try:  # pulumi-policy's proxies; their "__target" key gives the wrapped value
    from pulumi_policy.proxy import _DictProxy, _ListProxy
except ImportError:  # pragma: no cover - a pulumi-policy without them hands plain values
    _DictProxy = _ListProxy = ()  # type: ignore[assignment,misc]


def _plain(value):
    """pulumi-policy's unknown-checking proxies as plain dicts and lists, sentinels kept."""
    if isinstance(value, _DictProxy) or isinstance(value, _ListProxy):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(v) for v in value]
    return value


def _sources(resource) -> dict[str, str]:
    """prop -> type of the resource it comes from (stack policies get property dependencies)."""
    deps = getattr(resource, "property_dependencies", None) or {}
    return {prop: producers[0].resource_type for prop, producers in deps.items()
            if producers and getattr(producers[0], "resource_type", None)}


def _view(resource) -> ResourceView:
    return ResourceView(type=resource.resource_type, name=resource.name, props=_plain(resource.props),
                        protect=bool(getattr(resource.opts, "protect", False)),
                        unknown_sources=_sources(resource))


def _run(rule, subject, report_violation, stack: str = "") -> None:
    try:
        messages, unknown = evaluate(rule, subject, stack)
    except UnknownValueError as error:  # a proxy left somewhere _plain did not reach
        messages, unknown = [], None
        text = could_not_check(".".join(error.props), "the resource it comes from")
    else:
        text = str(unknown) if unknown is not None else None
    for message in messages:
        report_violation(message)
    if text is None:
        return
    if rule.level == MANDATORY:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = text
        raise error
    report_violation(text)


def _resource_policy(rule) -> ResourceValidationPolicy:
    def validate(args, report_violation):
        _run(rule, _view(args), report_violation)
    return ResourceValidationPolicy(name=rule.name, description=rule.description,
                                    validate=validate, enforcement_level=_level(rule))


def _stack_policy(rule) -> StackValidationPolicy:
    def validate(args, report_violation):
        _run(rule, [_view(r) for r in args.resources], report_violation, pulumi.get_stack())
    return StackValidationPolicy(name=rule.name, description=rule.description,
                                 validate=validate, enforcement_level=_level(rule))


def _level(rule) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if rule.level == MANDATORY else EnforcementLevel.ADVISORY


POLICIES = [(_stack_policy if rule.stack_level else _resource_policy)(rule) for rule in RULES]
