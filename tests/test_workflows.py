"""The pull-request workflows keep their promises: forks get the plan without secrets."""

import yaml

from offline.evaluate import ROOT_DIR

WORKFLOWS = ROOT_DIR / ".github" / "workflows"


def load(name):
    text = (WORKFLOWS / name).read_text()
    return text, yaml.safe_load(text)


def test_checks_use_no_secrets_and_run_lint_tests_and_the_plan():
    text, flow = load("checks.yml")
    assert "secrets." not in text
    steps = " ".join(str(s.get("run", "")) for s in flow["jobs"]["checks"]["steps"])
    assert "ruff check" in steps and "pytest -q" in steps
    assert "offline.plan \"$stack\" --base-rev" in steps and "for stack in dev prod" in steps


def test_comment_workflow_updates_one_comment_and_never_runs_pull_request_code():
    text, flow = load("plan-comment.yml")
    assert flow[True]["workflow_run"]["workflows"] == ["checks"]  # YAML reads `on` as True
    assert "actions/checkout" not in text
    assert "updateComment" in text and "multicloud-vpn-offline-plan" in text


def test_preview_uses_pulumi_actions_with_the_policy_pack_where_credentials_exist():
    text, flow = load("preview.yml")
    job = flow["jobs"]["preview"]
    assert "head.repo.full_name == github.repository" in job["if"]
    pulumi_step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert pulumi_step["uses"] == "pulumi/actions@v6"
    assert pulumi_step["with"]["command"] == "preview" and pulumi_step["with"]["policyPacks"] == "policy"
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
