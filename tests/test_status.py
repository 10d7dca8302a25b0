"""`python -m operate status`: every diagnosis from recorded responses; no test calls a cloud.

AWS: moto for what it models (Transit Gateway, customer gateways, VPN connections, the attachment's
route table, static TGW routes); moto returns no `VgwTelemetry`, so the tunnel states come from
recorded DescribeVpnConnections responses (tests/status_fixtures/*-aws.json) served through
botocore's Stubber. GCP: recorded REST responses (*-gcp.json) parsed into compute_v1 messages and
served by fake clients through the same interface the real ones have.
"""

import copy
import datetime
import io
import json
import warnings
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # google.api_core's Python 3.11 support notice
    from google.cloud import compute_v1

from operate.__main__ import main
from operate.clients import AwsStatus, GcpStatus
from operate.diagnose import diagnose

FIXTURES = Path(__file__).resolve().parent / "status_fixtures"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "ap-northeast-1",
                       "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
                       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                       "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/adc.json"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def load(stack):
    return {part: json.loads((FIXTURES / f"{stack}-{part}.json").read_text()) for part in ("outputs", "aws", "gcp")}


class FakeTunnels:
    def __init__(self, response):
        self.items = [compute_v1.VpnTunnel.from_json(json.dumps(t)) for t in response.get("items", [])]

    def list(self, *, project, region):
        return iter(self.items)


class FakeRouters:
    def __init__(self, responses):
        self.responses = responses

    def get_router_status(self, *, project, region, router):
        return compute_v1.RouterStatusResponse.from_json(json.dumps(self.responses[router]),
                                                         ignore_unknown_fields=True)


def _with_datetimes(response):
    response = copy.deepcopy(response)
    for c in response.get("VpnConnections", []):
        for t in c.get("VgwTelemetry", []):
            t["LastStatusChange"] = datetime.datetime.fromisoformat(t["LastStatusChange"])
    return response


def run(tmp_path, data, *args, gcp_factory=None):
    """The CLI on recorded responses: returns (exit code, stdout, stderr)."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(data["outputs"]))
    ec2 = boto3.client("ec2", region_name="ap-northeast-1")
    stub = Stubber(ec2)
    stub.add_response("describe_vpn_connections", _with_datetimes(data["aws"]["DescribeVpnConnections"]))
    if "routeTableId" not in data["outputs"]:
        stub.add_response("describe_transit_gateway_attachments", data["aws"]["DescribeTransitGatewayAttachments"])
    stub.add_response("search_transit_gateway_routes", data["aws"]["SearchTransitGatewayRoutes"])
    stub.activate()
    gcp = data["gcp"]
    gcp_factory = gcp_factory or (lambda project, region: GcpStatus(
        project, region, FakeTunnels(gcp["vpnTunnels.list"]), FakeRouters(gcp["routers.getRouterStatus"])))
    out, err = io.StringIO(), io.StringIO()
    code = main(["status", "prod" if len(data["outputs"]["tunnels"]) == 4 else "dev", "--outputs", str(outputs),
                 "--project-dir", str(ROOT), *args],
                aws_factory=lambda region: AwsStatus(ec2), gcp_factory=gcp_factory, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def peers(data):
    (status,) = data["gcp"]["routers.getRouterStatus"].values()
    return status["result"]["bgpPeerStatus"]


def kinds(text_json):
    return [f["kind"] for f in json.loads(text_json)["findings"]]


# ------------------------------------------------------------------------------ diagnoses
def test_a_healthy_prod_stack_exits_0_with_four_tunnels_up(tmp_path):
    code, out, err = run(tmp_path, load("prod"))
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split()[:3] == ["TUNNEL", "AWS", "OUTSIDE"]
    assert sum(" ok" in line for line in out.splitlines()) == 4
    assert out.rstrip().endswith("stack prod: healthy")
    assert "Why:" not in out


def test_the_idle_second_tunnel_of_a_one_tunnel_layout_is_expected_down(tmp_path):
    code, out, _ = run(tmp_path, load("dev"))
    assert code == 0
    idle = next(line for line in out.splitlines() if "13.112.40.12" in line)
    assert "DOWN" in idle and "idle (expected)" in idle
    assert "stack dev: healthy" in out


def test_an_unused_aws_tunnel_in_a_two_tunnel_layout_is_a_gap(tmp_path):
    data = load("dev")
    data["outputs"]["layout"]["tunnelsPerConnection"] = 2
    code, out, _ = run(tmp_path, data, "--format", "json")
    assert code == 1 and kinds(out) == ["unused-tunnel"]


def test_ike_proposal_mismatch_is_named(tmp_path):
    data = load("prod")
    tunnel = data["gcp"]["vpnTunnels.list"]["items"][0]
    tunnel.update(status="NEGOTIATION_FAILURE",
                  detailedStatus="Negotiation failed with error NO_PROPOSAL_CHOSEN. Proposals do not match.")
    telemetry = data["aws"]["DescribeVpnConnections"]["VpnConnections"][0]["VgwTelemetry"][0]
    telemetry.update(Status="DOWN", StatusMessage="IPSEC IS DOWN", AcceptedRouteCount=0)
    peers(data)[0].update(status="DOWN", state="Idle", numLearnedRoutes=0)
    code, out, _ = run(tmp_path, data)
    assert code == 1
    assert "c0-t1: IPsec is down: the IKE proposals do not match" in out
    assert "NO_PROPOSAL_CHOSEN" in out


def test_tunnel_up_but_bgp_down_with_a_wrong_inside_address(tmp_path):
    data = load("prod")
    peers(data)[1].update(status="DOWN", state="Connect", numLearnedRoutes=0, peerIpAddress="169.254.20.6")
    telemetry = data["aws"]["DescribeVpnConnections"]["VpnConnections"][0]["VgwTelemetry"][1]
    telemetry.update(Status="DOWN", StatusMessage="IPSEC IS UP", AcceptedRouteCount=0)
    code, out, _ = run(tmp_path, data)
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("- c0-t2"))
    assert "169.254.20.6" in line and "puts AWS at 169.254.20.5 and GCP at 169.254.20.6" in line


def test_tunnel_up_but_bgp_down_with_matching_addresses_points_at_the_asns(tmp_path):
    data = load("prod")
    peers(data)[2].update(status="DOWN", state="OpenSent", numLearnedRoutes=0)
    code, out, _ = run(tmp_path, data, "--format", "json")
    assert code == 1 and kinds(out) == ["bgp-asn"]


def test_bgp_up_but_no_routes_either_way(tmp_path):
    data = load("prod")
    data["aws"]["DescribeVpnConnections"]["VpnConnections"][1]["VgwTelemetry"][1]["AcceptedRouteCount"] = 0
    peers(data)[3]["numLearnedRoutes"] = 0
    code, out, _ = run(tmp_path, data, "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["health"] == "degraded"
    assert kinds(out) == ["no-routes-to-aws", "no-routes-to-gcp"]
    assert {f["tunnel"] for f in report["findings"]} == {"c1-t2"}


def test_a_spoke_range_missing_from_the_advertisement(tmp_path):
    data = load("prod")
    routes = data["aws"]["SearchTransitGatewayRoutes"]["Routes"]
    data["aws"]["SearchTransitGatewayRoutes"]["Routes"] = [r for r in routes
                                                           if r["DestinationCidrBlock"] != "10.102.0.0/20"]
    code, out, _ = run(tmp_path, data)
    assert code == 1
    assert "- spoke-prod-data: Spoke spoke-prod-data range 10.102.0.0/20 is missing" in out


def test_every_tunnel_down_exits_2(tmp_path):
    data = load("prod")
    for tunnel in data["gcp"]["vpnTunnels.list"]["items"]:
        tunnel.update(status="NO_INCOMING_PACKETS", detailedStatus="No incoming packets from peer.")
    for peer in peers(data):
        peer.update(status="DOWN", state="Idle", numLearnedRoutes=0)
    for connection in data["aws"]["DescribeVpnConnections"]["VpnConnections"]:
        for telemetry in connection["VgwTelemetry"]:
            telemetry.update(Status="DOWN", StatusMessage="IPSEC IS DOWN", AcceptedRouteCount=0)
    code, out, _ = run(tmp_path, data, "--format", "json")
    report = json.loads(out)
    assert code == 2 and report["health"] == "down" and report["exitCode"] == 2
    assert {r["state"] for r in report["tunnels"]} == {"down"}
    assert kinds(out) == ["no-packets"] * 4


def test_exported_ids_and_route_table_are_used_when_present(tmp_path):
    data = load("dev")
    items = data["gcp"]["vpnTunnels.list"]["items"]
    decoy = copy.deepcopy(items[0])
    decoy.update(name="someone-elses-tunnel", status="NEGOTIATION_FAILURE")
    items.insert(0, decoy)  # same peer address: only the exported name tells them apart
    tunnel = data["outputs"]["tunnels"][0]
    tunnel.update(gcpTunnel=items[1]["name"], gcpRouter=items[1]["router"].rsplit("/", 1)[-1],
                  vpnConnectionId=data["aws"]["DescribeVpnConnections"]["VpnConnections"][0]["VpnConnectionId"])
    data["outputs"]["routeTableId"] = "tgw-rtb-0exported"
    code, out, _ = run(tmp_path, data)
    assert code == 0, out


def test_the_pure_diagnosis_takes_plain_dicts():
    data = load("dev")
    report = diagnose(data["outputs"], data["aws"]["DescribeVpnConnections"]["VpnConnections"], [], [], None)
    # AWS still says UP (BGP routes accepted): traffic flows, but GCP's side is not where it was asked.
    assert report.health == "degraded"
    assert [f.kind for f in report.findings] == ["gcp-missing", "spokes-unchecked"]
    report = diagnose(data["outputs"], [], [], [], None)
    assert report.health == "down" and [f.kind for f in report.findings] == ["aws-missing", "gcp-missing"]


# ------------------------------------------------------------------------------ credentials and usage
def test_missing_aws_credentials_is_one_line_and_exit_4(tmp_path, monkeypatch, capsys):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(load("dev")["outputs"]))
    code = main(["status", "dev", "--outputs", str(outputs), "--project-dir", str(ROOT)])
    captured = capsys.readouterr()
    assert code == 4 and captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("operate status: missing cloud credentials: Unable to locate credentials")


def test_missing_gcp_credentials_is_one_line_and_exit_4(tmp_path):
    code, out, err = run(tmp_path, load("dev"), gcp_factory=GcpStatus.default)
    assert code == 4 and out == ""
    assert len(err.splitlines()) == 1 and "missing cloud credentials" in err and "/nonexistent/adc.json" in err


def test_usage_errors_exit_3(tmp_path, capsys):
    assert main(["status", "dev", "--outputs", str(tmp_path / "absent.json")]) == 3
    with pytest.raises(SystemExit) as exit_:
        main(["status"])
    assert exit_.value.code == 3
    no_vpn = tmp_path / "outputs.json"
    no_vpn.write_text(json.dumps({"vpcId": "vpc-1"}))
    assert main(["status", "dev", "--outputs", str(no_vpn)]) == 3
    assert "no `tunnels` output" in capsys.readouterr().err


# ------------------------------------------------------------------------------ AWS wrapper against moto
def test_the_aws_wrapper_finds_the_stacks_connections_and_routes_in_moto():
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="ap-northeast-1")
        tgw = ec2.create_transit_gateway(Description="AWS side of the HA VPN to GCP")["TransitGateway"]
        other = ec2.create_transit_gateway(Description="someone else's")["TransitGateway"]
        vpn_ids = []
        for ip, gateway in (("35.242.10.1", tgw), ("35.242.10.2", tgw), ("198.51.100.7", other)):
            cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=ip, BgpAsn=65000)["CustomerGateway"]
            vpn = ec2.create_vpn_connection(
                Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"],
                TransitGatewayId=gateway["TransitGatewayId"], Options={"StaticRoutesOnly": False})
            vpn_ids.append(vpn["VpnConnection"]["VpnConnectionId"])
        aws = AwsStatus(ec2)
        found = aws.vpn_connections(tgw["TransitGatewayId"])
        assert sorted(c["VpnConnectionId"] for c in found) == sorted(vpn_ids[:2])
        assert [c["VpnConnectionId"] for c in aws.vpn_connections(None, [vpn_ids[2]])] == [vpn_ids[2]]
        # moto models no tunnel telemetry: the diagnosis then reports the tunnel as missing on AWS.
        assert all(not c.get("VgwTelemetry") for c in found)
        table = aws.route_table_of(vpn_ids[:1])
        assert table and table.startswith("tgw-rtb-")
        attachment = ec2.describe_transit_gateway_attachments(
            Filters=[{"Name": "resource-id", "Values": vpn_ids[:1]}])["TransitGatewayAttachments"][0]
        ec2.create_transit_gateway_route(DestinationCidrBlock="10.111.0.0/20", TransitGatewayRouteTableId=table,
                                         TransitGatewayAttachmentId=attachment["TransitGatewayAttachmentId"])
        assert [r["DestinationCidrBlock"] for r in aws.routes(table)] == ["10.111.0.0/20"]
