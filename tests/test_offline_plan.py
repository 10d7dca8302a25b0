"""The offline plan command: report, cost, diff, revisions and clear errors."""

import json

import pytest

from offline import cost
from offline.evaluate import ROOT_DIR, stack_config
from offline.plan import main
from offline.summary import describe
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
    assert dev["topology"]["dns"] == {"gcpToAws": True, "awsToGcp": False}
    assert dev["cost"]["monthlyTotal"] < prod["cost"]["monthlyTotal"]
    assert items(dev)["Route 53 Resolver endpoint IPs"]["quantity"] == 2


def test_unknown_region_is_an_error_not_a_zero():
    with pytest.raises(cost.UnknownRegion, match="aws:region: no AWS prices for region 'eu-west-9'"):
        cost.estimate(deploy("dev"), "eu-west-9", "asia-northeast1")
    with pytest.raises(cost.UnknownRegion, match="gcp:region"):
        cost.estimate(deploy("dev"), "ap-northeast-1", "mars-north1")


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
    assert "1 connection(s) x 1 tunnel(s)" in text and "Estimated monthly cost" in text
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
    assert "| GCP HA VPN tunnels | $36.50 | $146.00 | +$109.50 |" in out


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
    other = tmp_path / "Pulumi.far.yaml"
    other.write_text((ROOT_DIR / "Pulumi.dev.yaml").read_text().replace("ap-northeast-1", "sa-east-1"))
    with pytest.raises(SystemExit, match="no AWS prices for region 'sa-east-1'"):
        main([str(other)])


def test_mandatory_violations_can_fail_the_command(tmp_path, capsys):
    text = (ROOT_DIR / "Pulumi.dev.yaml").read_text()
    renamed = tmp_path / "Pulumi.prod-small.yaml"  # a prod stack with dev's layout
    renamed.write_text(text)
    assert main([str(renamed), "--fail-on-violation"]) == 2
    assert "prod-four-tunnels" in capsys.readouterr().out
