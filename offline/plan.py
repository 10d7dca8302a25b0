"""Offline plan: what a stack declares, what it costs, what policy says — with no cloud access.

    python -m offline.plan dev                      # one stack (name or stack file)
    python -m offline.plan dev prod                 # compare two stacks
    python -m offline.plan prod --base-rev main     # the stack at a git revision vs. this tree
    python -m offline.plan prod --format markdown   # for a pull-request comment
    python -m offline.plan ci/prod-tokyo.yaml --stack prod-tokyo   # a file not named Pulumi.<stack>.yaml

Comparing, it also lists each resource created, deleted, updated or replaced (offline/diff.py,
offline/replacements.json) and flags, first, protected resources deleted or replaced and
replaced VPN / BGP resources.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from offline.evaluate import ROOT_DIR

EXIT_OK = 0
EXIT_ERROR = 1       # unreadable or invalid stack file, CLI config error, invalid settings, bad revision
EXIT_USAGE = 2       # bad command-line arguments (argparse's own code)
EXIT_VIOLATION = 3   # --fail-on-violation and a mandatory policy is violated

EPILOG = f"""\
exit status:
  {EXIT_OK}  the plan was printed (with --fail-on-violation: and no mandatory policy is violated)
  {EXIT_ERROR}  error: the stack file cannot be read or is not a stack file, the Pulumi CLI's config
     step refuses it, its settings are invalid, or a --base-rev cannot be evaluated;
     "error: ..." on stderr (for a bad stack file, one line "error: <file>: <problem>") and
     nothing on stdout
  {EXIT_USAGE}  bad command-line arguments
  {EXIT_VIOLATION}  --fail-on-violation was given and a mandatory policy is violated, or (comparing two
     evaluations) a protected resource would be deleted or replaced (the plan is printed)

A region without prices in offline/prices.json is not an error: the plan is printed and its cost
section names the region and the items left unpriced."""


DIGEST_KEY_ENV = "OFFLINE_PLAN_DIGEST_KEY"  # how a --base-rev evaluation is given the run's key
_EVALUATIONS: dict[tuple, tuple[dict, object]] = {}


STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def stack_name_for(stack: str, given: str | None) -> str:
    """The stack's name: from a stack file's name (`Pulumi.<stack>.yaml`) or `--stack`, which a
    file named otherwise needs (the name is in every resource name and selects the prod* rules)."""
    from offline.evaluate import stack_name
    named = Path(stack).name.startswith("Pulumi.") and Path(stack).name.endswith((".yaml", ".yml"))
    is_file = named or Path(stack).suffix in (".yaml", ".yml") or Path(stack).exists()
    if given is not None and not STACK_NAME.match(given):
        raise SystemExit(f"error: --stack {given!r}: expected a stack name of letters, digits, '-', '_' or '.'")
    if not is_file:
        if given is not None and given != stack:
            raise SystemExit(f"error: --stack {given!r} contradicts the stack {stack!r}")
        return stack
    if named:
        if given is not None and given != stack_name(stack):
            raise SystemExit(f"error: --stack {given!r} contradicts the file name {Path(stack).name}")
        return stack_name(stack)
    if given is None:
        raise SystemExit(f"error: {stack} is not named Pulumi.<stack>.yaml: give the stack's name with "
                         "--stack NAME (it is part of every resource name and selects the prod* policies)")
    return given


def _evaluate(stack: str, project_dir: Path, name: str | None = None) -> tuple[dict, object]:
    """The summary and the evaluation of a stack; one evaluation per stack file content."""
    import pulumi

    from offline.cli_config import CliConfigError
    from offline.evaluate import stack_file
    from offline.summary import StackFileError, evaluate
    path = stack_file(stack, project_dir)
    try:
        content = path.read_bytes()
    except OSError:
        content = None
    key = (stack, name, str(path.resolve()), str(Path(project_dir).resolve()), content)
    if content is not None and key in _EVALUATIONS:
        return _EVALUATIONS[key]
    try:
        result = evaluate(stack, project_dir, name=name)
    except StackFileError as error:  # not a readable stack file: `error: <file>: <problem>`
        raise SystemExit(f"error: {error}") from None
    except CliConfigError as error:  # the CLI's config step refused the stack: the program never ran
        raise SystemExit(f"error: {error.cli_message}") from None  # the CLI's words, verbatim
    except pulumi.RunError as error:
        raise SystemExit(f"error: {error}") from None
    if content is not None:
        _EVALUATIONS[key] = result
    return result


def _summarise(stack: str, project_dir: Path, name: str | None = None) -> dict:
    return _evaluate(stack, project_dir, name)[0]


def _snapshot(stack: str, project_dir: Path, key: bytes, name: str | None = None) -> tuple[dict, dict]:
    from offline.diff import snapshot
    summary, deployment = _evaluate(stack, project_dir, name)
    return summary, snapshot(deployment, key)


def _summarise_at(stack: str, rev: str, key: bytes, name: str) -> tuple[dict, dict]:
    """Evaluate the stack as it was at `rev` (this tree's planner, that revision's program)."""
    archive = subprocess.run(["git", "-C", str(ROOT_DIR), "archive", "--format=tar", rev],
                             capture_output=True, check=False)
    if archive.returncode:
        raise SystemExit(f"error: cannot read revision {rev!r}: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        result = subprocess.run(
            [sys.executable, "-m", "offline.plan", Path(stack).name if Path(stack).exists() else stack,
             "--stack", name, "--snapshot", "--project-dir", tmp],
            cwd=ROOT_DIR, capture_output=True, text=True, check=False,
            env={**os.environ, DIGEST_KEY_ENV: key.hex()})
    if result.returncode:
        raise SystemExit(result.stderr.strip() or f"error: evaluating {stack} at {rev} failed")
    data = json.loads(result.stdout)
    return data["summary"], data["snapshot"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.plan", description=__doc__.split("\n")[0],
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stacks", nargs="+", metavar="STACK",
                        help="stack name (dev, prod) or stack file; two to compare")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--base-rev", help="compare with the stack as it was at this git revision")
    parser.add_argument("--stack", metavar="NAME", help="the stack's name, for a stack file not named "
                        "Pulumi.<stack>.yaml")
    parser.add_argument("--project-dir", type=Path, default=ROOT_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--snapshot", action="store_true", help=argparse.SUPPRESS)  # for --base-rev
    parser.add_argument("--fail-on-violation", action="store_true",
                        help=f"exit {EXIT_VIOLATION} when a mandatory policy is violated, or (comparing) "
                             "when a protected resource would be deleted or replaced")
    args = parser.parse_args(argv)
    if len(args.stacks) > 2 or (args.base_rev and len(args.stacks) != 1):
        parser.error("give one stack, one stack with --base-rev, or two stacks")

    names = [stack_name_for(s, args.stack) for s in args.stacks]
    if args.snapshot:  # internal: one evaluation as JSON, secrets as keyed digests only
        key = bytes.fromhex(os.environ.get(DIGEST_KEY_ENV) or secrets.token_hex(32))
        summary, snap = _snapshot(args.stacks[0], args.project_dir, key, names[0])
        print(json.dumps({"summary": summary, "snapshot": snap}))
        return EXIT_OK

    from offline.diff import blocking, compare
    from offline.render import render, render_diff
    markdown = args.format == "markdown"
    protected: list = []
    if args.base_rev or len(args.stacks) == 2:
        key = secrets.token_bytes(32)  # this run's digest key: secrets compare, never print
        if args.base_rev:
            (before, snap_a) = _summarise_at(args.stacks[0], args.base_rev, key, names[0])
            after, snap_b = _snapshot(args.stacks[0], args.project_dir, key, names[0])
            labels = (f"{after['stack']}@{args.base_rev}", f"{after['stack']} (this tree)")
        else:
            (before, snap_a), (after, snap_b) = (_snapshot(s, args.project_dir, key, n)
                                                 for s, n in zip(args.stacks, names, strict=True))
            labels = (before["stack"], after["stack"])
        diff = compare(snap_a, snap_b)
        if args.format == "json":
            print(json.dumps({"flags": diff["flags"], "diff": diff, "before": before, "after": after},
                             indent=2))
        else:
            print(render_diff(before, after, markdown, labels, diff), end="")
        summaries = [after]
        protected = blocking(diff)
    else:
        summary = _summarise(args.stacks[0], args.project_dir, names[0])
        print(json.dumps(summary, indent=2) if args.format == "json" else render(summary, markdown), end="")
        summaries = [summary]
    mandatory = [v for s in summaries for v in s["violations"] if v["level"] == "mandatory"]
    return EXIT_VIOLATION if args.fail_on_violation and (mandatory or protected) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
