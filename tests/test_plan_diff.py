"""The offline plan's resource-by-resource diff: replacements, flags, outputs, secrets."""

import copy
import json

import pytest
import yaml

from offline import plan
from offline.diff import _secret_strings, compare, load_replacements
from offline.evaluate import ROOT_DIR
from offline.plan import EXIT_VIOLATION, main

FORMATS = ("text", "markdown", "json")


def _edited(base, edit):
    data = yaml.safe_load((ROOT_DIR / f"Pulumi.{base}.yaml").read_text())
    edit(data["config"])
    return data


EDITS = {
    "renamed": ("prod", lambda c: c["multicloud-vpn:gcpHub"]["spokes"][1].update(name="spoke-prod-analytics")),
    "perzone2": ("prod", lambda c: c["multicloud-vpn:network"].update(natGateways="perZone", availabilityZones=2)),
    "perzone1": ("prod", lambda c: c["multicloud-vpn:network"].update(natGateways="perZone", availabilityZones=1)),
    "layout": ("dev", lambda c: c["multicloud-vpn:siteToSite"].update(connections=2, tunnelsPerConnection=2)),
    "cidr": ("dev", lambda c: c["multicloud-vpn:clientVpn"].update(clientCidr="172.20.4.0/22")),
    "ike": ("prod", lambda c: c["multicloud-vpn:siteToSite"].update(ikeProfile="aes256-sha256-modp2048")),
    "same": ("prod", lambda c: None),
}


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    """Stack files with one edit each, named like the stack they edit (the same ids on both sides)."""
    paths = {}
    for case, (base, edit) in EDITS.items():
        path = tmp_path_factory.mktemp(case) / f"Pulumi.{base}.yaml"
        path.write_text(yaml.safe_dump(_edited(base, edit)))
        paths[case] = str(path)
    return paths


def run(capsys, before, after, fmt, *extra):
    code = main([before, after, "--format", fmt, *extra])
    return code, capsys.readouterr().out


def outputs(capsys, before, after):
    return {fmt: run(capsys, before, after, fmt)[1] for fmt in FORMATS}


def by_name(out):
    return {r["name"]: r for r in json.loads(out)["diff"]["resources"]}


def test_a_renamed_spoke_lists_what_is_deleted_and_created(stacks, capsys):
    out = outputs(capsys, "prod", stacks["renamed"])
    gone = ["gcp-hub-spoke-network-spoke-prod-data", "gcp-hub-spoke-subnet-spoke-prod-data",
            "gcp-hub-peering-hub-side-spoke-prod-data", "gcp-hub-peering-spoke-side-spoke-prod-data",
            "gcp-hub-spoke-network-spoke-prod-data-firewall",
            "private-dns-peering-zone-spoke-prod-data.aws.example.internal",
            "private-dns-spoke-dns-policy-spoke-prod-data"]
    new = [n.replace("spoke-prod-data", "spoke-prod-analytics") for n in gone]
    resources = by_name(out["json"])
    assert {n: resources[n]["action"] for n in gone} == dict.fromkeys(gone, "delete")
    assert {n: resources[n]["action"] for n in new} == dict.fromkeys(new, "create")
    assert "No change in resource counts, but resources change: 7 created, 7 deleted" in out["text"]
    for fmt in ("text", "markdown"):
        for name in gone + new:
            assert name in out[fmt], (fmt, name)
    assert "| deleted | gcp:compute/network:Network | gcp-hub-spoke-network-spoke-prod-data |  |" in out["markdown"]
    assert "### multicloud-vpn:index:GcpHub" in out["markdown"]
    assert [o["name"] for o in json.loads(out["json"])["diff"]["outputs"]] == ["gcpSpokes"]


def test_per_zone_nat_two_zones_to_one_flags_the_protected_eip(stacks, capsys):
    before, after = stacks["perzone2"], stacks["perzone1"]
    out = outputs(capsys, before, after)
    data = json.loads(out["json"])
    assert list(data)[0] == "flags"
    flag = data["flags"][0]
    assert flag["kind"] == "protected-deleted" and flag["resources"] == ["aws:ec2/eip:Eip aws-network-egress-ip-1"]
    assert "allowlisted" in flag["message"] and "pulumi up` will stop" in flag["message"]
    for fmt in ("text", "markdown"):
        head = out[fmt].split("Resources:")[0]  # the flags come before the summary
        assert "PROTECTED aws:ec2/eip:Eip aws-network-egress-ip-1 would be deleted" in head, fmt
        assert "allowlisted egress address" in head
    assert out["markdown"].startswith("# Offline plan diff: prod -> prod\n\n## Flags\n\n- **STOP** PROTECTED")
    code, _ = run(capsys, before, after, "text", "--fail-on-violation")
    assert code == EXIT_VIOLATION
    assert run(capsys, before, after, "text")[0] == 0  # reported, fails only with the flag
    assert run(capsys, after, before, "text", "--fail-on-violation")[0] == 0  # adding one is fine


def test_a_layout_change_flags_replaced_tunnels_and_bgp(stacks, capsys):
    out = outputs(capsys, "dev", stacks["layout"])
    data = json.loads(out["json"])
    resources = by_name(out["json"])
    replaced = {"site-to-site-aws-peer", "site-to-site-tunnel-c0-t1", "site-to-site-bgp-if-c0-t1",
                "site-to-site-bgp-peer-c0-t1"}
    assert {n for n, r in resources.items() if r["action"] == "replace"} == replaced
    assert "redundancyType" in resources["site-to-site-aws-peer"]["replaceBecause"]
    assert "peerExternalGateway" in resources["site-to-site-tunnel-c0-t1"]["replaceBecause"]
    flag = next(f for f in data["flags"] if f["kind"] == "connectivity-replaced")
    assert {r.split()[1] for r in flag["resources"]} == replaced
    for fmt in ("text", "markdown"):
        head = out[fmt].split("Resources:")[0]
        assert "Connectivity interruption" in head and all(n in head for n in replaced), fmt
    assert resources["site-to-site-tunnel-c1-t2"]["action"] == "create"


def test_an_unchanged_stack_reports_no_change(stacks, capsys):
    out = outputs(capsys, "prod", stacks["same"])
    data = json.loads(out["json"])
    assert data["flags"] == [] and data["diff"]["unchanged"] and data["diff"]["resources"] == []
    for fmt in ("text", "markdown"):
        assert "No changes: every resource's inputs and every stack output are the same." in out[fmt]
        assert "Flags" not in out[fmt]
    assert run(capsys, "prod", stacks["same"], "text", "--fail-on-violation")[0] == 0


def test_a_client_cidr_change_replaces_the_endpoint(stacks, capsys):
    out = outputs(capsys, "dev", stacks["cidr"])
    resources = by_name(out["json"])
    endpoint = resources["client-vpn-endpoint"]
    assert endpoint["action"] == "replace" and list(endpoint["replaceBecause"]) == ["clientCidrBlock"]
    assert endpoint["changed"]["clientCidrBlock"] == {"before": "172.20.0.0/22", "after": "172.20.4.0/22"}
    assert resources["client-vpn-association-0"]["action"] == "replace"  # a new endpoint id
    assert ("| REPLACED | aws:ec2clientvpn/endpoint:Endpoint | client-vpn-endpoint | clientCidrBlock "
            "172.20.0.0/22 -> 172.20.4.0/22 [forces replacement] |") in out["markdown"]
    assert "new client configuration" in out["text"].split("Resources:")[0]


def test_an_ike_profile_change_replaces_gcp_tunnels_and_updates_aws_in_place(stacks, capsys):
    resources = by_name(run(capsys, "prod", stacks["ike"], "json")[1])
    assert resources["site-to-site-tunnel-c0-t1"]["action"] == "replace"
    assert list(resources["site-to-site-tunnel-c0-t1"]["replaceBecause"]) == ["cipherSuite"]
    vpn = resources["site-to-site-vpn-c0"]
    assert vpn["action"] == "update" and "tunnel1Phase1DhGroupNumbers" in vpn["interrupting"]
    assert vpn["changed"]["tunnel1Phase1DhGroupNumbers"] == {"before": "[20]", "after": "[14]"}


def test_secrets_never_appear(stacks, capsys):
    for before, after in (("dev", stacks["layout"]), ("prod", stacks["ike"])):
        values = set()
        for stack in (before, after):
            values |= _secret_strings(plan._evaluate(stack, ROOT_DIR)[1])  # cached evaluations
        psks = {v for v in values if len(v) >= 16 and "BEGIN" not in v}
        assert psks
        for fmt, text in outputs(capsys, before, after).items():
            leaked = [v for v in values if v in text]
            assert not leaked, (fmt, len(leaked))
    # a tunnel's shared secret that changes shows only as [secret]
    a = {"resources": [_tunnel({"[secret]": "aaa"})], "outputs": {"psk": {"[secret]": "aaa"}}}
    b = {"resources": [_tunnel({"[secret]": "bbb"})], "outputs": {"psk": {"[secret]": "bbb"}}}
    diff = compare(a, b)
    assert diff["resources"][0]["changed"]["sharedSecret"] == {"before": "[secret]", "after": "[secret]"}
    assert diff["resources"][0]["action"] == "replace"
    assert diff["outputs"] == [{"name": "psk", "action": "changed", "before": "[secret]", "after": "[secret]"}]
    assert compare(a, copy.deepcopy(a))["unchanged"]  # the same secret on both sides: no change


def _tunnel(secret):
    return {"type": "gcp:compute/vPNTunnel:VPNTunnel", "name": "t", "component": "c", "protect": False,
            "inputs": {"sharedSecret": secret}, "handles": []}


def test_a_gcp_subnet_range_expands_in_place_but_shrinking_replaces():
    def snap(cidr):
        return {"resources": [{"type": "gcp:compute/subnetwork:Subnetwork", "name": "s", "component": "c",
                               "protect": False, "inputs": {"ipCidrRange": cidr}, "handles": []}],
                "outputs": {}}
    assert compare(snap("10.0.0.0/20"), snap("10.0.0.0/19"))["resources"][0]["action"] == "update"
    assert compare(snap("10.0.0.0/19"), snap("10.0.0.0/20"))["resources"][0]["action"] == "replace"
    assert compare(snap("10.0.0.0/20"), snap("10.1.0.0/20"))["resources"][0]["action"] == "replace"


def test_every_replacement_field_has_a_source():
    rules = load_replacements()
    assert rules["types"]["aws:ec2/subnet:Subnet"]["forceNew"]["cidrBlock"].startswith("terraform-provider-aws")
    for type_, entry in rules["types"].items():
        for field, source in {**entry.get("forceNew", {}), **entry.get("interrupting", {})}.items():
            assert isinstance(source, str) and ("terraform-provider" in source or "pulumi_gcp" in source), \
                (type_, field)


def _cert_stack(path_dir, people, revoked=(), **fields):
    data = yaml.safe_load((ROOT_DIR / "Pulumi.dev.yaml").read_text())
    vpn = data["config"]["multicloud-vpn:clientVpn"]
    vpn.pop("samlMetadataFile")
    vpn.update(authentication="certificate", clientCertificates=list(people),
               revokedClientCertificates=[{"name": n, "serial": s} for n, s in revoked], **fields)
    path = path_dir / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.parametrize("revoked", [False, True])
def test_a_removed_client_certificate_must_be_revoked(tmp_path_factory, capsys, revoked):
    before = _cert_stack(tmp_path_factory.mktemp("before"), ["alice", "bob"])
    bob = _serial(before, "bob")
    after = _cert_stack(tmp_path_factory.mktemp("after"), ["alice"], [("bob", bob if revoked else "1")])
    code, out = run(capsys, before, after, "json", "--fail-on-violation")
    kinds = [f["kind"] for f in json.loads(out)["flags"]]
    assert by_name(out)["client-vpn-user-bob-cert"]["action"] == "delete"
    if revoked:
        assert "certificate-not-revoked" not in kinds and code == 0
    else:  # a wrong serial revokes nothing
        assert kinds.count("certificate-not-revoked") == 1 and code == EXIT_VIOLATION


def _serial(stack_path, person):
    from offline.summary import evaluate
    return evaluate(stack_path)[1].output("clientCertificates")[person]["serial"]


def test_leaving_certificate_sign_in_needs_no_revocation(tmp_path_factory, capsys):
    before = _cert_stack(tmp_path_factory.mktemp("before"), ["alice", "bob"])
    data = yaml.safe_load((ROOT_DIR / "Pulumi.dev.yaml").read_text())
    after = tmp_path_factory.mktemp("after") / "Pulumi.dev.yaml"
    after.write_text(yaml.safe_dump(data))
    code, out = run(capsys, before, str(after), "json", "--fail-on-violation")
    assert by_name(out)["client-vpn-user-bob-cert"]["action"] == "delete"
    assert "certificate-not-revoked" not in [f["kind"] for f in json.loads(out)["flags"]]


def test_a_re_issued_certificate_and_a_replaced_endpoint_are_flagged(tmp_path_factory, capsys):
    before = _cert_stack(tmp_path_factory.mktemp("before"), ["alice"], [("bob", "777")])
    after = _cert_stack(tmp_path_factory.mktemp("after"), ["alice"], [("bob", "777")], clientCertificateDays=90,
                        clientCidr="172.20.4.0/22")
    code, out = run(capsys, before, after, "json", "--fail-on-violation")
    flags = {f["kind"]: f for f in json.loads(out)["flags"]}
    assert by_name(out)["client-vpn-user-alice-cert"]["action"] == "replace"
    reissued = flags["certificate-reissued"]
    assert reissued["severity"] == "warning" and f"serial {_serial(before, 'alice')}" in reissued["message"]
    assert "revocation-list-lost" in flags and code == 0   # warnings: the plan does not fail
