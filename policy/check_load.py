"""Checks that the policy pack loads, without the Pulumi engine: `python policy/check_load.py`.

`policy/__main__.py` ends in `PolicyPack(...)`, which serves the pack over gRPC to the engine and
never returns. Here PolicyPack is swapped for a stand-in that records its arguments, so running
`__main__.py` imports every module of the pack (with whatever pulumi/pulumi-policy the running
interpreter has, e.g. the pack's own `policy/venv`) and builds the real policy objects.
"""

from __future__ import annotations

import os
import runpy
import sys

import pulumi_policy

HERE = os.path.dirname(os.path.abspath(__file__))


def load() -> dict:
    calls: list[dict] = []

    class RecordingPolicyPack:
        def __init__(self, name, policies, enforcement_level=None, **kwargs):
            calls.append(dict(name=name, policies=policies, enforcement_level=enforcement_level, **kwargs))

    real = pulumi_policy.PolicyPack
    pulumi_policy.PolicyPack = RecordingPolicyPack  # type: ignore[misc,assignment]
    try:
        runpy.run_path(os.path.join(HERE, "__main__.py"), run_name="__main__")
    finally:
        pulumi_policy.PolicyPack = real  # type: ignore[misc]
    if len(calls) != 1:
        raise SystemExit(f"policy/__main__.py built {len(calls)} policy packs, expected 1")
    return calls[0]


def check(pack: dict) -> list[str]:
    from rules import RULES  # on sys.path once __main__.py ran

    policies = pack["policies"]
    kinds = (pulumi_policy.ResourceValidationPolicy, pulumi_policy.StackValidationPolicy)
    problems = []
    if not isinstance(pack["name"], str) or not pack["name"]:
        problems.append(f"bad pack name {pack['name']!r}")
    if not isinstance(policies, list) or not policies:
        return problems + ["no policies"]
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        problems.append(f"duplicate policy names: {names}")
    if len(policies) != len(RULES):
        problems.append(f"{len(policies)} policies for {len(RULES)} rules")
    for p in policies:
        if not isinstance(p, kinds):
            problems.append(f"{p!r} is not a validation policy")
        elif not callable(p.validate) or not isinstance(p.enforcement_level, pulumi_policy.EnforcementLevel):
            problems.append(f"policy {p.name}: no validate function or enforcement level")
    return problems


def main() -> int:
    pack = load()
    problems = check(pack)
    for problem in problems:
        print(f"policy pack: {problem}", file=sys.stderr)
    if not problems:
        print(f"policy pack {pack['name']!r} loads: {len(pack['policies'])} policies "
              f"(pulumi-policy at {os.path.dirname(pulumi_policy.__file__)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
