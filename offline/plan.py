"""Offline plan: what a stack declares, what it costs, what policy says — with no cloud access.

    python -m offline.plan dev                      # one stack (name or stack file)
    python -m offline.plan dev prod                 # compare two stacks
    python -m offline.plan prod --base-rev main     # the stack at a git revision vs. this tree
    python -m offline.plan prod --format markdown   # for a pull-request comment
"""

from __future__ import annotations

import argparse
import json
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
  {EXIT_VIOLATION}  --fail-on-violation was given and a mandatory policy is violated (the plan is printed)

A region without prices in offline/prices.json is not an error: the plan is printed and its cost
section names the region and the items left unpriced."""


def _summarise(stack: str, project_dir: Path) -> dict:
    import pulumi

    from offline.cli_config import CliConfigError
    from offline.summary import StackFileError, summarise
    try:
        return summarise(stack, project_dir)
    except StackFileError as error:  # not a readable stack file: `error: <file>: <problem>`
        raise SystemExit(f"error: {error}") from None
    except CliConfigError as error:  # the CLI's config step refused the stack: the program never ran
        raise SystemExit(f"error: {error.cli_message}") from None  # the CLI's words, verbatim
    except pulumi.RunError as error:
        raise SystemExit(f"error: {error}") from None



def _summarise_at(stack: str, rev: str) -> dict:
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
             "--format", "json", "--project-dir", tmp],
            cwd=ROOT_DIR, capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(result.stderr.strip() or f"error: evaluating {stack} at {rev} failed")
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.plan", description=__doc__.split("\n")[0],
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stacks", nargs="+", metavar="STACK",
                        help="stack name (dev, prod) or stack file; two to compare")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--base-rev", help="compare with the stack as it was at this git revision")
    parser.add_argument("--project-dir", type=Path, default=ROOT_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--fail-on-violation", action="store_true",
                        help=f"exit {EXIT_VIOLATION} when a mandatory policy is violated")
    args = parser.parse_args(argv)
    if len(args.stacks) > 2 or (args.base_rev and len(args.stacks) != 1):
        parser.error("give one stack, one stack with --base-rev, or two stacks")

    from offline.render import render, render_diff
    markdown = args.format == "markdown"
    if args.base_rev or len(args.stacks) == 2:
        if args.base_rev:
            before, after = _summarise_at(args.stacks[0], args.base_rev), _summarise(args.stacks[0], args.project_dir)
            labels = (f"{after['stack']}@{args.base_rev}", f"{after['stack']} (this tree)")
        else:
            before, after = (_summarise(s, args.project_dir) for s in args.stacks)
            labels = (before["stack"], after["stack"])
        if args.format == "json":
            print(json.dumps({"before": before, "after": after}, indent=2))
        else:
            print(render_diff(before, after, markdown, labels), end="")
        summaries = [after]
    else:
        summary = _summarise(args.stacks[0], args.project_dir)
        print(json.dumps(summary, indent=2) if args.format == "json" else render(summary, markdown), end="")
        summaries = [summary]
    mandatory = [v for s in summaries for v in s["violations"] if v["level"] == "mandatory"]
    return EXIT_VIOLATION if args.fail_on_violation and mandatory else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
