"""Twingate connectors behind the same NAT Elastic IP as Client VPN.

Two connectors, each on its own Auto Scaling Group of exactly one instance (a failed instance is
replaced), in private subnets of different zones, so traffic to the allowlisted destinations
leaves from the address partners already allowlist. Each connector's token pair is stored as an
SSM SecureString that only that connector's instance role can read: the tokens never appear in
the launch template or its user data.
"""

from __future__ import annotations

import base64
import fnmatch
import ipaddress
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_twingate as twingate

from components.planning.twingate_settings import (
    CONNECTORS,
    SETUP_SCRIPT,
    TWINGATE_AMI_NAME,
    TWINGATE_AMI_OWNER,
    TwingateSettings,
)
from components.tags import name_tag

TWINGATE_TCP = (("443", 443, 443), ("30000-31000", 30000, 31000))  # control plane and relays


# Prints one SSM SecureString read with the instance role, using only python3's standard library:
# Ubuntu AMIs have no aws CLI, and cloud-init itself needs python3. Python 3.8 syntax (Ubuntu 20.04).
# The MULTICLOUD_VPN_* variables exist for the tests; nothing sets them on an instance.
GET_PARAMETER = r"""import hashlib, hmac, json, os, sys, time, urllib.error, urllib.parse, urllib.request

IMDS = os.environ.get("MULTICLOUD_VPN_IMDS", "http://169.254.169.254")
ATTEMPTS = 6  # 1+2+4+8+16 s: the instance role can take seconds to appear
OPEN = urllib.request.build_opener(urllib.request.ProxyHandler({})).open  # direct: no proxy for IMDS


def imds(path, token=None):
    headers = {"X-aws-ec2-metadata-token": token} if token else {"X-aws-ec2-metadata-token-ttl-seconds": "300"}
    with OPEN(urllib.request.Request(IMDS + path, headers=headers, method="GET" if token else "PUT"),
              timeout=5) as response:
        return response.read().decode()


def role_credentials():
    token = imds("/latest/api/token")
    base = "/latest/meta-data/iam/security-credentials/"
    return json.loads(imds(base + imds(base, token).split()[0], token))


def sign(method, host, headers, body, key_id, secret, region, service, amz_date):
    # SigV4 Authorization of a request to / without a query; headers hold X-Amz-Date
    signed = {k.lower(): " ".join(v.split()) for k, v in dict(headers, Host=host).items()}
    names = ";".join(sorted(signed))
    canonical = "\n".join([method, "/", ""] + [k + ":" + signed[k] for k in sorted(signed)]
                          + ["", names, hashlib.sha256(body).hexdigest()])
    scope = "/".join([amz_date[:8], region, service, "aws4_request"])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    text = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    return "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}".format(
        key_id, scope, names, hmac.new(key, text.encode(), hashlib.sha256).hexdigest())


def get_parameter(region, name):
    creds = role_credentials()
    endpoint = os.environ.get("MULTICLOUD_VPN_SSM", "https://ssm." + region + ".amazonaws.com")
    body = json.dumps({"Name": name, "WithDecryption": True}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameter",
               "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
               "X-Amz-Security-Token": creds["Token"]}
    headers["Authorization"] = sign("POST", urllib.parse.urlsplit(endpoint).netloc, headers, body,
                                    creds["AccessKeyId"], creds["SecretAccessKey"], region, "ssm",
                                    headers["X-Amz-Date"])
    with OPEN(urllib.request.Request(endpoint + "/", body, headers, method="POST"), timeout=10) as response:
        return json.load(response)["Parameter"]["Value"]


def reason(error):
    # what failed, never a response body (it could hold a secret), only SSM's error type
    if isinstance(error, urllib.error.HTTPError):
        try:
            return "HTTP {} {}".format(error.code, json.loads(error.read()).get("__type", ""))
        except ValueError:
            return "HTTP {}".format(error.code)
    return type(error).__name__


def main(region, name):
    for attempt in range(ATTEMPTS):
        try:
            print(get_parameter(region, name))
            return 0
        except Exception as error:  # any failure may be the role or its policy not there yet
            print("reading {} failed ({}), attempt {} of {}".format(name, reason(error), attempt + 1, ATTEMPTS),
                  file=sys.stderr)
            if attempt + 1 < ATTEMPTS:
                time.sleep(2 ** attempt)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
"""


def boot_script(region: str, network: str, access_parameter: str, refresh_parameter: str,
                setup_sha256: str | None = None) -> str:
    """The connector's user data: the tokens read from SSM at boot by GET_PARAMETER, then either
    the connector the image comes with configured and started (`setup_sha256` None: Twingate's
    connector image), or Twingate's setup.sh downloaded and run only if its SHA-256 is
    `setup_sha256` (checked before any token is read).

    Plain assignments, not `export X="$(get ...)"`: export would hide a failed read from `set -e`
    and start the connector with an empty token.
    """
    lines = ["#!/bin/bash", "set -euo pipefail"]
    if setup_sha256:
        lines += [
            'setup="$(mktemp)"',
            f"curl -fsSL --proto '=https' --tlsv1.2 -o \"$setup\" {SETUP_SCRIPT}",
            f'if ! echo "{setup_sha256}  $setup" | sha256sum -c --status; then',
            f'  echo "{SETUP_SCRIPT} does not match twingate.setupScriptSha256 {setup_sha256}: not run" >&2',
            "  exit 1",
            "fi",
        ]
    lines += [
        f"get() {{ python3 -I - {region} \"$1\" <<'PY'",
        GET_PARAMETER.rstrip("\n"),
        "PY",
        "}",
        f"TWINGATE_ACCESS_TOKEN=\"$(get {access_parameter})\"",
        f"TWINGATE_REFRESH_TOKEN=\"$(get {refresh_parameter})\"",
    ]
    if setup_sha256:
        return "\n".join(lines + [
            f"export TWINGATE_NETWORK=\"{network}\"",
            "export TWINGATE_ACCESS_TOKEN TWINGATE_REFRESH_TOKEN",
            "export TWINGATE_LABEL_DEPLOYED_BY=\"multicloud-vpn\"",
            'bash "$setup"',
            "",
        ])
    # What setup.sh would write for the connector the image already has: a root-only file.
    return "\n".join(lines + [
        'conf="${MULTICLOUD_VPN_TWINGATE_DIR:-/etc/twingate}"',
        "umask 077",
        'mkdir -p "$conf"',
        f"printf '%s\\n' \"TWINGATE_URL=https://{network}.twingate.com\" "
        '"TWINGATE_ACCESS_TOKEN=$TWINGATE_ACCESS_TOKEN" "TWINGATE_REFRESH_TOKEN=$TWINGATE_REFRESH_TOKEN" '
        '"TWINGATE_LABEL_DEPLOYED_BY=multicloud-vpn" > "$conf/connector.conf"',
        "systemctl enable --now twingate-connector",
        "",
    ])


def _is_private_range(address: str, private: Sequence[str]) -> bool:
    """Inside the VPC or a GCP range. The settings refuse IPv6, but a mixed-version compare must not
    raise: it is simply not inside an IPv4 range."""
    try:
        net = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return False  # a DNS name: a public, allowlisted destination
    for p in map(ipaddress.ip_network, private):
        if isinstance(net, ipaddress.IPv4Network) and isinstance(p, ipaddress.IPv4Network) and net.subnet_of(p):
            return True
    return False


def _is_twingate_image(owner: str, name: str) -> bool:
    return owner == TWINGATE_AMI_OWNER and fnmatch.fnmatchcase(name or "", TWINGATE_AMI_NAME)


def _policy_id(found: str | None, name: str) -> str:
    if not found:
        raise pulumi.RunError(f"multicloud-vpn:twingate: {name!r} is not accepted as securityPolicy; expected the "
                              "name of a security policy of the Twingate network (Admin Console: Policies)")
    return found


class TwingateConnectors(pulumi.ComponentResource):
    """Twingate: a remote network with its groups and resources, and connectors in AWS that
    leave through the NAT Elastic IP.

    Arguments: the Twingate settings; `region` (AWS, for SSM) and `network` (the Twingate network
    name) the connectors boot with; `vpc_id` and `vpc_cidr`; `private_subnet_ids`, one per
    connector in turn; `private_ranges`, the GCP ranges reached through the VPC. Attributes:
    `remote_network`, `groups` (one Auto Scaling Group per connector).
    """

    remote_network: twingate.TwingateRemoteNetwork
    groups: list[aws.autoscaling.Group]

    def __init__(self, name: str, settings: TwingateSettings, *, region: str, network: str,
                 vpc_id: pulumi.Input[str], vpc_cidr: str, private_subnet_ids: Sequence[pulumi.Input[str]],
                 private_ranges: Sequence[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud-vpn:index:TwingateConnectors", name, None, opts)
        self._name, self._settings = name, settings
        internal = [vpc_cidr, *private_ranges]
        public_ports = self._twingate_side(internal)
        security_group = self._security_group(vpc_id, vpc_cidr, internal, public_ports)
        root_device = self._image_root_device()
        self.groups = [self._connector(i, region, network, security_group, root_device, private_subnet_ids)
                       for i in range(CONNECTORS)]
        self._outputs()

    def _twingate_side(self, internal: list[str]) -> set[str]:
        """The remote network, its groups and resources (and, if asked, the private ranges as
        resources). Returns the ports of resources outside the private ranges."""
        name, settings, child = self._name, self._settings, pulumi.ResourceOptions(parent=self)
        self.remote_network = twingate.TwingateRemoteNetwork(
            f"{name}-remote-network", name=settings.remote_network_name, location="AWS", opts=child)
        groups = {g: twingate.TwingateGroup(f"{name}-group-{g}", name=g, opts=child) for g in settings.groups}
        policies = self._security_policies()
        public_ports: set[str] = set()
        for r in settings.resources:
            private = _is_private_range(r.address, internal)
            if not private:
                public_ports.update(r.ports)
            twingate.TwingateResource(
                f"{name}-resource-{r.name}", name=r.name, address=r.address,
                remote_network_id=self.remote_network.id,
                security_policy_id=policies[r.security_policy] if r.security_policy else None,
                access_groups=[twingate.TwingateResourceAccessGroupArgs(group_id=groups[g].id)
                               for g in r.groups],
                protocols=twingate.TwingateResourceProtocolsArgs(
                    allow_icmp=private,
                    tcp=twingate.TwingateResourceProtocolsTcpArgs(
                        policy="RESTRICTED", ports=list(r.ports)) if r.ports else
                    twingate.TwingateResourceProtocolsTcpArgs(policy="ALLOW_ALL"),
                    udp=twingate.TwingateResourceProtocolsUdpArgs(
                        policy="ALLOW_ALL" if private else "DENY_ALL")),
                opts=child)
        if settings.include_private_ranges:
            for cidr in internal:
                twingate.TwingateResource(
                    f"{name}-range-{cidr.replace('/', '-')}", name=f"{pulumi.get_stack()} {cidr}", address=cidr,
                    remote_network_id=self.remote_network.id,
                    security_policy_id=policies[settings.security_policy] if settings.security_policy else None,
                    access_groups=[twingate.TwingateResourceAccessGroupArgs(group_id=g.id)
                                   for g in groups.values()],
                    opts=child)
        return public_ports

    def _security_policies(self) -> dict[str, pulumi.Output[str]]:
        """The id of each security policy the settings name, looked up by name in the network."""
        found = {}
        for policy in self._settings.security_policies:
            result = twingate.get_twingate_security_policy_output(
                name=policy, opts=pulumi.InvokeOutputOptions(parent=self))
            found[policy] = result.apply(lambda r, policy=policy: _policy_id(r.id, policy))
        return found

    def _image_root_device(self) -> pulumi.Output[str]:
        """The AMI's root device name (Amazon Linux: /dev/xvda; Ubuntu and Twingate's image:
        /dev/sda1), read from EC2; a warning if the image is not Twingate's connector image and no
        setup script installs the connector."""
        settings = self._settings
        image = aws.ec2.get_ami_output(filters=[aws.ec2.GetAmiFilterArgs(name="image-id", values=[settings.ami])],
                                       opts=pulumi.InvokeOutputOptions(parent=self))

        def root_device(owner: str, name: str, device: str) -> str:
            if not settings.setup_script_sha256 and not _is_twingate_image(owner, name):
                pulumi.log.warn(
                    f"multicloud-vpn:twingate.amiId: {settings.ami} is {name!r} of account {owner}, not Twingate's "
                    f"connector image (account {TWINGATE_AMI_OWNER}, {TWINGATE_AMI_NAME}): unless it has the "
                    "connector installed, the connectors never start; set setupScriptSha256 to install it at boot",
                    resource=self)
            return device

        return pulumi.Output.all(image.owner_id, image.name, image.root_device_name).apply(
            lambda a: root_device(*a))

    def _security_group(self, vpc_id: pulumi.Input[str], vpc_cidr: str, internal: list[str],
                        public_ports: set[str]) -> aws.ec2.SecurityGroup:
        """AWS side: no inbound; out only to Twingate, DNS, the private ranges, the resources."""
        egress = [aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=low, to_port=high,
                                                  cidr_blocks=["0.0.0.0/0"], description=f"Twingate {label}")
                  for label, low, high in TWINGATE_TCP]
        egress += [aws.ec2.SecurityGroupEgressArgs(protocol=p, from_port=53, to_port=53,
                                                   cidr_blocks=[vpc_cidr], description=f"VPC DNS ({p})")
                   for p in ("udp", "tcp")]
        egress.append(aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0,
                                                      cidr_blocks=internal,
                                                      description="private ranges (AWS and GCP)"))
        for ports in sorted(public_ports - {label for label, _, _ in TWINGATE_TCP}):
            low, _, high = ports.partition("-")
            egress.append(aws.ec2.SecurityGroupEgressArgs(
                protocol="tcp", from_port=int(low), to_port=int(high or low),
                cidr_blocks=["0.0.0.0/0"], description=f"allowlisted destinations tcp/{ports}"))
        return aws.ec2.SecurityGroup(
            f"{self._name}-connector-sg", vpc_id=vpc_id, description="Twingate connectors: nothing inbound",
            ingress=[], egress=egress, tags=name_tag("twingate-connectors"),
            opts=pulumi.ResourceOptions(parent=self))

    def _connector(self, i: int, region: str, network: str, security_group: aws.ec2.SecurityGroup,
                   root_device: pulumi.Input[str],
                   private_subnet_ids: Sequence[pulumi.Input[str]]) -> aws.autoscaling.Group:
        """Connector i: its tokens in SSM, an instance profile that reads only them, and an Auto
        Scaling Group of one instance, on an encrypted root volume, that boots the connector."""
        name, settings, child = self._name, self._settings, pulumi.ResourceOptions(parent=self)
        prefix = f"/multicloud-vpn/{pulumi.get_stack()}/twingate/connector-{i}"
        parameters = self._token_parameters(i, prefix)
        profile = self._instance_profile(i, parameters)
        script = boot_script(region, network, f"{prefix}/access-token", f"{prefix}/refresh-token",
                             settings.setup_script_sha256)
        template = aws.ec2.LaunchTemplate(
            f"{name}-connector-{i}",
            image_id=settings.ami,
            instance_type=settings.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            vpc_security_group_ids=[security_group.id],
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=root_device,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    encrypted="true", volume_type="gp3", delete_on_termination="true"))],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required"),
            user_data=base64.b64encode(script.encode()).decode(),
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(
                resource_type="instance", tags=name_tag(f"twingate-connector-{i}"))],
            opts=child)
        return aws.autoscaling.Group(
            f"{name}-connector-{i}",
            min_size=1, max_size=1, desired_capacity=1,
            vpc_zone_identifiers=[private_subnet_ids[i % len(private_subnet_ids)]],
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            health_check_type="EC2",
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=0)),
            tags=[aws.autoscaling.GroupTagArgs(key="Name", value=name_tag(f"twingate-connector-{i}")["Name"],
                                               propagate_at_launch=True)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=parameters))

    def _token_parameters(self, i: int, prefix: str) -> list[aws.ssm.Parameter]:
        """The Twingate connector, its token pair, and the pair as SSM SecureStrings under prefix."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        connector = twingate.TwingateConnector(
            f"{name}-connector-{i}", remote_network_id=self.remote_network.id,
            name=f"{pulumi.get_stack()}-connector-{i}", status_updates_enabled=True, opts=child)
        tokens = twingate.TwingateConnectorTokens(f"{name}-connector-{i}-tokens",
                                                  connector_id=connector.id, opts=child)
        return [
            aws.ssm.Parameter(f"{name}-connector-{i}-{kind}", name=f"{prefix}/{kind}", type="SecureString",
                              value=pulumi.Output.secret(value),
                              description=f"Twingate connector {i} {kind}", opts=child)
            for kind, value in (("access-token", tokens.access_token),
                                ("refresh-token", tokens.refresh_token))
        ]

    def _instance_profile(self, i: int, parameters: list[aws.ssm.Parameter]) -> aws.iam.InstanceProfile:
        """An instance role that may read only connector i's parameters, and its profile."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-connector-{i}-role",
            assume_role_policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"Service": "ec2.amazonaws.com"}}]}),
            description=f"Twingate connector {i}: reads its own tokens", opts=child)
        aws.iam.RolePolicy(
            f"{name}-connector-{i}-tokens", role=role.id,
            policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter",
                               "Resource": [p.arn for p in parameters]}]}),
            opts=child)
        return aws.iam.InstanceProfile(f"{name}-connector-{i}-profile", role=role.name, opts=child)

    def _outputs(self) -> None:
        self.register_outputs({"remoteNetworkId": self.remote_network.id,
                               "autoScalingGroups": [g.name for g in self.groups]})
