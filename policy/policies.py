"""The rules of `rules.py` as pulumi-policy objects (built here, served by `__main__.py`)."""

from __future__ import annotations

import os
import sys

import pulumi
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rules import MANDATORY, RULES, ResourceView  # noqa: E402


def _view(resource) -> ResourceView:
    return ResourceView(type=resource.resource_type, name=resource.name, props=resource.props,
                        protect=bool(getattr(resource.opts, "protect", False)))


def _resource_policy(rule) -> ResourceValidationPolicy:
    def validate(args, report_violation):
        for message in rule.check(_view(args)):
            report_violation(message)
    return ResourceValidationPolicy(name=rule.name, description=rule.description,
                                    validate=validate, enforcement_level=_level(rule))


def _stack_policy(rule) -> StackValidationPolicy:
    def validate(args, report_violation):
        for message in rule.check([_view(r) for r in args.resources], pulumi.get_stack()):
            report_violation(message)
    return StackValidationPolicy(name=rule.name, description=rule.description,
                                 validate=validate, enforcement_level=_level(rule))


def _level(rule) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if rule.level == MANDATORY else EnforcementLevel.ADVISORY


POLICIES = [(_stack_policy if rule.stack_level else _resource_policy)(rule) for rule in RULES]
