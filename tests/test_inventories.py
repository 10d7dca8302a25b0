"""Each stack file still declares exactly its inventory (tests/inventories/<stack>.yaml)."""

import pytest
import yaml

from tests.inventory import STACKS, evaluate, path


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_matches_its_inventory(stack):
    expected = yaml.safe_load(path(stack).read_text())
    actual = evaluate(stack)
    added = sorted(set(actual) - set(expected))
    removed = sorted(set(expected) - set(actual))
    assert not added and not removed, (
        f"{stack}: resources added {added} and removed {removed}; a rename needs aliases "
        "(or, if intended, rewrite the inventory: python -m tests.inventory)")
    changed = {k: (expected[k], actual[k]) for k in expected if expected[k] != actual[k]}
    assert not changed, f"{stack}: inputs changed (inventory, now): {changed}"
