"""Where the status command's facts about the stack come from: its outputs and its stack file.

Outputs come from `--outputs FILE` (the JSON of `pulumi stack output --json [--show-secrets]`) or,
without it, from the Pulumi Automation API, which needs the `pulumi` CLI and the state backend's
login. The stack file gives the defaults for the GCP project and region and the AWS region.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml


class UsageError(Exception):
    """Something the user can fix on the command line: one line, exit code 3."""


def read_json_object(path: Path, what: str, expected: str) -> dict:
    """A JSON object from a file the user names; any failure is one UsageError line."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {what} from {path}: {error}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected {expected}")
    return data


def read_outputs_file(path: Path) -> dict:
    return read_json_object(path, "stack outputs", "the JSON object of `pulumi stack output --json`")


def read_outputs_automation(stack: str, project_dir: Path) -> dict:
    """Select the stack in the project directory and read its outputs (secrets decrypted)."""
    if shutil.which("pulumi") is None:
        raise UsageError("the pulumi CLI is not installed: pass --outputs FILE "
                         "(pulumi stack output --json --show-secrets --stack STACK > FILE)")
    from pulumi import automation

    try:
        selected = automation.select_stack(stack_name=stack, work_dir=str(project_dir))
        return {key: value.value for key, value in selected.outputs().items()}
    except automation.errors.CommandError as error:
        raise UsageError(f"cannot read the outputs of stack {stack!r}: "
                         f"{str(error).strip().splitlines()[-1] if str(error).strip() else error}") from None


def stack_config(stack: str, project_dir: Path) -> dict:
    """The `config:` of Pulumi.<stack>.yaml, {} when the file is absent."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return {}
    try:
        return dict((yaml.safe_load(path.read_text()) or {}).get("config") or {})
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: {error}") from None
