"""AWS `Name` tags that carry the stack, so two stacks in one account are told apart."""

from __future__ import annotations

import pulumi


def name_tag(text: str, **extra: str) -> dict[str, str]:
    return {"Name": f"multicloud-vpn-{pulumi.get_stack()}-{text}", **extra}
