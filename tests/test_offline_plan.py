"""The offline plan command: report, cost, diff, revisions and clear errors."""

import json
import subprocess
import sys

import pytest

from offline import cost
from offline.evaluate import ROOT_DIR, stack_config
from offline.plan import EXIT_ERROR, EXIT_USAGE, EXIT_VIOLATION, main
from offline.render import FOLD_ROWS, UNCONFIRMED, render
from offline.summary import describe, load_stack_config
from tests.stacks import deploy


def summary(stack):
    return describe(stack, stack_config(stack), deploy(stack))


def items(s):
    return {i["item"]: i for i in s["cost"]["items"]}


def test_prod_topology_and_fixed_costs():
    s = summary("prod")
    t = s["topology"]
    assert (t["connections"], t["tunnels"], t["redundancyType"]) == (2, 4, "FOUR_IPS_REDUNDANCY")
    assert t["sla"].startswith("99.99%") and t["aggregateGbps"] == 5.0
    assert t["spokes"] == ["spoke-prod-apps", "spoke-prod-data"]
    assert t["dns"] == {"gcpToAws": True, "awsToGcp": True}
    i = items(s)
    assert i["AWS Site-to-Site VPN connections"]["monthly"] == pytest.approx(2 * 0.05 * 730)
    assert i["GCP HA VPN tunnels"]["quantity"] == 4
    assert i["Transit Gateway attachments (VPN + VPC)"]["quantity"] == 3
    assert i["Route 53 Resolver endpoint IPs"]["monthly"] == pytest.approx(4 * 0.125 * 730)
    assert i["Client VPN subnet associations"]["quantity"] == 2
    assert s["cost"]["monthlyTotal"] == pytest.approx(sum(x["monthly"] for x in s["cost"]["items"]), abs=0.01)
    assert s["resources"]["multicloud-vpn:index:SiteToSiteVpn"]["gcp:compute/vPNTunnel:VPNTunnel"] == 4


def test_dev_is_the_cheap_layout():
    dev, prod = summary("dev"), summary("prod")
    assert dev["topology"]["tunnels"] == 1 and not dev["topology"]["survivesAwsMaintenance"]
    assert dev["topology"]["dns"] == {"gcpToAws": True, "awsToGcp": True, "resolver": "instance"}
    assert dev["cost"]["monthlyTotal"] < prod["cost"]["monthlyTotal"]
    assert "Route 53 Resolver endpoint IPs" not in items(dev)
    assert items(dev)["EC2 instances t4g.nano (DNS forwarder)"]["quantity"] == 1


def test_unknown_region_is_an_error_not_a_zero():
    with pytest.raises(cost.UnknownRegion, match="aws:region: no AWS prices for region 'eu-west-9'"):
        cost.estimate(deploy("dev"), "eu-west-9", "asia-northeast1")
    with pytest.raises(cost.UnknownRegion, match="gcp:region"):
        cost.estimate(deploy("dev"), "ap-northeast-1", "europe-west1")


def test_every_price_has_a_source():
    prices = cost.load_prices()
    assert prices["retrieved"] and prices["hoursPerMonth"] == 730
    for region, table in prices["regions"].items():
        for name, entry in table.items():
            values = entry["prices"].values() if "prices" in entry else [entry["price"]]
            assert all(v > 0 for v in values) and entry["source"], (region, name)
    assert prices["vendors"]["twingate"]["businessUserMonth"]["source"]


def test_command_text_markdown_and_json(capsys):
    assert main(["dev"]) == 0
    text = capsys.readouterr().out
    assert "1 connection x 1 tunnel, 1 GCP tunnel" in text and "Estimated monthly cost" in text
    assert main(["dev", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Offline plan: stack dev") and "| item | quantity |" in md
    assert main(["dev", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stack"] == "dev" and data["cost"]["monthlyTotal"] > 0


def test_command_compares_two_stacks(capsys):
    assert main(["dev", "prod", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "# Offline plan diff: dev -> prod" in out
    assert "| multicloud-vpn:index:SiteToSiteVpn | gcp:compute/vPNTunnel:VPNTunnel | 1 | 4 | +3 |" in out
    assert f"| GCP HA VPN tunnels {UNCONFIRMED} | $36.50 | $146.00 | +$109.50 |" in out


def test_command_compares_a_revision(capsys):
    assert main(["dev", "--base-rev", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert "dev@HEAD -> dev (this tree)" in out


def test_bad_settings_fail_like_pulumi_up(tmp_path):
    text = (ROOT_DIR / "Pulumi.dev.yaml").read_text().replace("tunnelsPerConnection: 1",
                                                              "tunnelsPerConnection: 3")
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(text)
    with pytest.raises(SystemExit, match="multicloud-vpn:siteToSite.tunnelsPerConnection: 3"):
        main([str(bad)])


def test_mandatory_violations_can_fail_the_command(tmp_path, capsys):
    text = (ROOT_DIR / "Pulumi.dev.yaml").read_text()
    renamed = tmp_path / "Pulumi.prod-small.yaml"  # a prod stack with dev's layout
    renamed.write_text(text)
    assert main([str(renamed), "--fail-on-violation"]) == EXIT_VIOLATION == 3
    assert "prod-four-tunnels" in capsys.readouterr().out
    assert main([str(renamed)]) == 0  # reported, but only --fail-on-violation fails on it
    assert main(["prod", "--fail-on-violation"]) == 0


def test_a_stack_file_named_otherwise_needs_its_stack_name(tmp_path, capsys):
    other = tmp_path / "prod-small.yaml"
    other.write_text((ROOT_DIR / "Pulumi.dev.yaml").read_text())
    with pytest.raises(SystemExit, match=r"is not named Pulumi\.<stack>\.yaml: give the stack's name with --stack"):
        main([str(other)])
    assert main([str(other), "--stack", "prod-small", "--fail-on-violation"]) == EXIT_VIOLATION  # prod* rules apply
    out = capsys.readouterr().out
    assert "prod-four-tunnels" in out and str(tmp_path) not in out
    assert main([str(other), "--stack", "dev", "--fail-on-violation"]) == 0


@pytest.mark.parametrize("argv,fragment", [
    (["Pulumi.dev.yaml", "--stack", "prod"], "contradicts the file name Pulumi.dev.yaml"),
    (["dev", "--stack", "prod"], "contradicts the stack 'dev'"),
    (["dev", "--stack", "a b"], "expected a stack name"),
])
def test_a_contradicting_stack_name_is_refused(argv, fragment):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert fragment in str(exit_.value.code)


# ------------------------------------------------------------------------- bad stack files
BAD_STACK_FILES = {
    "unclosed-bracket": (b"config:\n  aws:region: [ap-northeast-1\n",
                         "invalid YAML at line 3, column 1: expected ',' or ']'"),
    "config-list": (b"config:\n  - aws:region\n", "config: is a list; expected a mapping"),
    "top-list": (b"- config\n- aws:region\n", "the top level is a list"),
    "not-utf8": (b"config:\n  aws:region: \xff\xfe\n", "not UTF-8 text (byte 0xff at offset 22)"),
    "config-string": (b"config: aws:region\n", "config: is a string"),
}


@pytest.mark.parametrize("case", sorted(BAD_STACK_FILES))
def test_a_bad_stack_file_is_one_error_line(tmp_path, case):
    content, problem = BAD_STACK_FILES[case]
    bad = tmp_path / f"Pulumi.{case}.yaml"
    bad.write_bytes(content)
    with pytest.raises(SystemExit) as exit_:
        main([str(bad)])
    message = exit_.value.code
    assert isinstance(message, str) and "\n" not in message  # SystemExit(str): stderr, exit 1
    assert message.startswith(f"error: {bad}: {problem}"), message


def test_a_missing_stack_file_names_the_path():
    with pytest.raises(SystemExit, match=r"^error: .*Pulumi\.nosuch\.yaml: no such stack file$"):
        main(["nosuch"])


def test_the_validating_loader_returns_what_stack_config_does():
    assert load_stack_config("prod") == stack_config("prod")


def test_bad_stack_file_from_the_shell_is_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_bytes(BAD_STACK_FILES["unclosed-bracket"][0])
    result = subprocess.run([sys.executable, "-m", "offline.plan", str(bad)], cwd=ROOT_DIR,
                            capture_output=True, text=True, check=False)
    assert result.returncode == EXIT_ERROR == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {bad}: invalid YAML")
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------ exit codes
def test_exit_codes_are_distinct_and_documented(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["dev", "--format", "yaml"])
    assert exit_.value.code == EXIT_USAGE == 2
    with pytest.raises(SystemExit) as exit_:
        main(["dev", "prod", "test"])
    assert exit_.value.code == EXIT_USAGE
    assert len({0, EXIT_ERROR, EXIT_USAGE, EXIT_VIOLATION}) == 4
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "exit status:" in text and f"exit {EXIT_VIOLATION} when a mandatory policy" in text
    for code in (EXIT_ERROR, EXIT_USAGE, EXIT_VIOLATION):
        assert f"\n  {code}  " in text


# -------------------------------------------------------------------------------- Markdown
def _blocks_are_separated(md: str) -> None:
    lines = md.split("\n")
    for before, line in zip(lines, lines[1:], strict=False):
        if line.startswith("|") and before.strip():  # a table starts after a blank line ...
            assert before.startswith("|"), (before, line)
        if before.startswith("|") and line.strip():  # ... and ends before one
            assert line.startswith("|"), (before, line)
        if line.startswith("#") or line.startswith("<details>"):
            assert not before.strip(), (before, line)


def _json(stack, capsys):
    assert main([stack, "--format", "json"]) == 0
    return capsys.readouterr().out


def test_markdown_blocks_are_separated_and_long_tables_folded(capsys):
    count = json.loads(_json("prod", capsys))["resourceCount"]
    assert main(["prod", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    _blocks_are_separated(md)
    note = next(line for line in md.split("\n") if line.startswith("Prices of "))
    assert f"\n\n{note}\n\n" in md  # the price note is a paragraph, not a table row
    assert f"<details><summary>{count} resources of " in md
    assert "</summary>\n\n| component | type | count |" in md and "|\n\n</details>" in md
    rows = [line for line in md.split("\n") if line.startswith("| ")]
    assert len(rows) > FOLD_ROWS
    assert main(["dev", "prod", "--format", "markdown"]) == 0
    diff = capsys.readouterr().out
    _blocks_are_separated(diff)
    assert "changed resource types</summary>\n\n| component | type | dev | prod | change |" in diff


def test_short_tables_are_not_folded():
    s = summary("dev")
    s["resources"] = {"stack": {"pulumi:providers:aws": 1}}
    s["resourceCount"] = 1
    md = render(s, markdown=True)
    assert "1 resource; AWS" in md
    assert "## Resources by component\n\n| component | type | count |" in md
    assert "<details><summary>1 resource" not in md


def test_singular_and_plural_words(capsys):
    for stack in ("dev", "prod"):
        for fmt in ("text", "markdown"):
            assert main([stack, "--format", fmt]) == 0
            out = capsys.readouterr().out
            assert "(s)" not in out, stack
    dev, prod = summary("dev")["topology"], summary("prod")["topology"]
    assert dev["layout"] == "1 connection x 1 tunnel" and prod["layout"] == "2 connections x 2 tunnels"
    assert main(["dev"]) == 0
    text = capsys.readouterr().out
    assert "1 Elastic IP to allowlist" in text and "Client VPN in 1 zone," in text
    assert main(["prod"]) == 0
    assert "Client VPN in 2 zones," in capsys.readouterr().out
    assert cost.plural(1, "user") == "1 user" and cost.plural(0, "user") == "0 users"


# ---------------------------------------------------------------------- missing prices
def _far(tmp_path, aws="ap-northeast-1", gcp="asia-northeast1"):
    text = (ROOT_DIR / "Pulumi.dev.yaml").read_text()
    assert "ap-northeast-1" in text and "asia-northeast1" in text
    far = tmp_path / "Pulumi.far.yaml"
    far.write_text(text.replace("ap-northeast-1", aws).replace("asia-northeast1", gcp))
    return far


def test_a_region_without_prices_still_gets_the_plan(tmp_path, capsys):
    far = _far(tmp_path, aws="sa-east-1")
    assert main([str(far)]) == 0
    text = capsys.readouterr().out
    assert "Topology" in text and "Resources by component" in text and "Policy" in text
    assert "single-tunnel" in text
    assert "no prices for aws:region sa-east-1" in text
    assert "aws:region: no AWS prices for region 'sa-east-1'" in text
    assert "AWS Site-to-Site VPN connections           1         no price (aws:region sa-east-1)" in text
    assert main([str(far), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    c = data["cost"]
    assert c["complete"] is False and [m["key"] for m in c["missingPrices"]] == ["aws:region"]
    unpriced = {i["item"]: i for i in c["items"] if i["monthly"] is None}
    assert unpriced["AWS Site-to-Site VPN connections"]["missing"] == "aws:region"
    assert "GCP HA VPN tunnels" not in unpriced  # GCP's region is priced
    assert c["monthlyTotal"] == pytest.approx(sum(i["monthly"] or 0 for i in c["items"]), abs=0.01)
    assert data["resourceCount"] > 0 and data["topology"]["tunnels"] == 1
    assert main([str(far), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "priced items only: no prices for aws:region sa-east-1" in md


def test_a_gcp_region_without_prices_is_named(tmp_path, capsys):
    far = _far(tmp_path, gcp="europe-west1")
    assert main([str(far), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "no prices for gcp:region europe-west1" in md
    assert "| GCP HA VPN tunnels | 1 | no price (gcp:region europe-west1) | n/a | fixed |" in md
    assert main(["dev", str(far)]) == 0
    diff = capsys.readouterr().out
    assert "prices are missing for far" in diff and "gcp:region: no GCP prices" in diff


def test_assess_lists_unpriced_items_and_estimate_still_refuses():
    result = cost.assess(deploy("dev"), "eu-west-9", "asia-northeast1")
    assert not result.complete and [m.region for m in result.missing] == ["eu-west-9"]
    assert {i.item for i in result.items if i.monthly is None} >= {"NAT gateways"}
    assert cost.total(result.items) > 0  # the priced GCP items; the AWS ones are not zeros
    assert cost.assess(deploy("dev"), "ap-northeast-1", "asia-northeast1").complete


# ------------------------------------------------------------------- unconfirmed prices
def test_unconfirmed_flags_match_the_sources():
    prices = cost.load_prices()
    entries = [e for t in prices["regions"].values() for e in t.values()]
    entries += [e for v in prices["vendors"].values() for e in v.values()]
    assert any(e.get("unconfirmed") for e in entries)
    for entry in entries:
        assert bool(entry.get("unconfirmed")) == ("unconfirmed" in entry["source"].lower()), entry


def test_unconfirmed_prices_are_marked(capsys):
    tokyo, virginia = items(summary("dev")), {i.item: i for i in cost.estimate(
        deploy("dev"), "us-east-1", "us-central1")}
    assert tokyo["NAT gateways"]["unconfirmed"] is True
    assert tokyo["AWS Site-to-Site VPN connections"]["unconfirmed"] is False
    assert not any(i.unconfirmed for i in virginia.values())
    for fmt in ("text", "markdown"):
        assert main(["dev", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert f"$0.062 / hour {UNCONFIRMED}" in out and f"$0.050 / hour {UNCONFIRMED}" in out
        assert f"\n{UNCONFIRMED} Unconfirmed price:" in out
    assert main(["dev", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cost"]["unconfirmedPrices"] is True
    assert {i["item"] for i in data["cost"]["items"] if i["unconfirmed"]} >= {"NAT gateways"}
