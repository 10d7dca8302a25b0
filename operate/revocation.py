"""`python -m operate revocation-list <stack>`: the endpoint's client certificate revocation list.

Neither provider manages a Client VPN revocation list, so this writes one: signed by the
endpoint's CA (its key and certificate read from the stack's state), listing the serials of
`clientVpn.revokedClientCertificates`, and prints the `aws ec2` command that imports it. The file
depends only on its inputs (its dates are the CA's own), so running it twice changes nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from components.planning.client_vpn_settings import ClientVpnSettings, parse_client_vpn
from components.planning.errors import SettingsError
from components.planning.fields import Section
from operate.stack import UsageError, read_json_object, stack_config

KEY_TYPE, CERT_TYPE = "tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert"
ENDPOINT_TYPE = "aws:ec2clientvpn/endpoint:Endpoint"
CLIENT_CERT_TYPE = "tls:index/locallySignedCert:LocallySignedCert"
ENDPOINT_NAME = "client-vpn"   # the ClientVpn component's name in __main__.py


def read_state_file(path: Path) -> dict:
    expected = "the JSON of `pulumi stack export --show-secrets`"
    data = read_json_object(path, "the stack's state", expected)
    if "deployment" not in data:
        raise UsageError(f"{path}: expected {expected}")
    return data


def read_state_cli(stack: str, project_dir: Path) -> dict:
    if shutil.which("pulumi") is None:
        raise UsageError("the pulumi CLI is not installed: pass --state FILE "
                         "(pulumi stack export --show-secrets --stack STACK > FILE)")
    run = subprocess.run(["pulumi", "stack", "export", "--show-secrets", "--stack", stack],
                         cwd=project_dir, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise UsageError(f"pulumi stack export failed: {(run.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(run.stdout)


SECRET_SIG = "4dabf18193072939515e22adb298388d"   # marks a secret value in an exported state


def _find(state: dict, type_: str, name: str) -> dict | None:
    """The live resource (not one pending deletion after a replacement)."""
    for resource in state["deployment"].get("resources") or []:
        urn = resource.get("urn", "")
        if resource.get("type") == type_ and urn.rsplit("::", 1)[-1] == name and not resource.get("delete"):
            return resource
    return None


def _resource(state: dict, type_: str, name: str) -> dict:
    found = _find(state, type_, name)
    if found is not None:
        return found
    raise UsageError(f"the state holds no {type_} named {name}: is Client VPN with client certificates "
                     "deployed in this stack?")


def _plain(resource: dict, field: str, name: str) -> str:
    """An output's value; a secret is shown as {sig, plaintext: JSON} by --show-secrets, else
    as {sig, ciphertext}."""
    value = (resource.get("outputs") or {}).get(field)
    if isinstance(value, dict) and SECRET_SIG in value and "plaintext" in value:
        value = json.loads(value["plaintext"])
    if not isinstance(value, str):
        raise UsageError(f"{name}.{field} is encrypted in the state: export it with --show-secrets")
    return value


def revoked_settings(stack: str, project_dir: Path) -> tuple[ClientVpnSettings, str]:
    """The stack file's Client VPN settings, checked as `pulumi up` checks them, and aws:region."""
    config = stack_config(stack, project_dir)
    key = "multicloud-vpn:clientVpn"
    try:
        settings = parse_client_vpn(Section(key, config.get(key), required=False), project_dir)
    except SettingsError as error:
        raise UsageError(str(error)) from None
    if not settings.enabled or not settings.certificates:
        raise UsageError(f"Pulumi.{stack}.yaml: {key} does not sign in with client certificates")
    return settings, str(config.get("aws:region") or "")


def check_serials(settings: ClientVpnSettings, state: dict) -> None:
    """Where the state still holds a listed name's certificate, the serial must fit it: a removed
    name's serial is its certificate's; a current name's is an older one, never the current."""
    for r in settings.revoked_client_certificates:
        cert = _find(state, CLIENT_CERT_TYPE, f"{ENDPOINT_NAME}-user-{r.name}-cert")
        current = str((cert or {}).get("id") or "")
        if not current:
            continue
        if r.name in settings.client_certificates and r.serial == current:
            raise UsageError(f"revokedClientCertificates: {r.serial} is {r.name}'s current certificate: "
                             "revoking it locks them out (list only superseded serials of a current name)")
        if r.name not in settings.client_certificates and r.serial != current:
            raise UsageError(f"revokedClientCertificates: {r.name}'s certificate in the state has serial "
                             f"{current}, not {r.serial}")


def build_crl(ca_key_pem: str, ca_cert_pem: str, serials: Iterable[str]) -> bytes:
    """A PEM CRL signed by the CA, valid for the CA's own lifetime, revoking `serials`."""
    key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise UsageError("the CA key is neither RSA nor ECDSA")
    ca = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
               .last_update(ca.not_valid_before_utc).next_update(ca.not_valid_after_utc))
    for serial in sorted(set(serials), key=int):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(serial))
            .revocation_date(ca.not_valid_before_utc).build())
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def revocation_list(stack: str, state: dict, project_dir: Path, out: Path) -> str:
    """Write the CRL to `out`; return the command that imports it."""
    settings, region = revoked_settings(stack, project_dir)
    check_serials(settings, state)
    ca_key = _plain(_resource(state, KEY_TYPE, f"{ENDPOINT_NAME}-ca-key"), "privateKeyPem", f"{ENDPOINT_NAME}-ca-key")
    ca_cert = _plain(_resource(state, CERT_TYPE, f"{ENDPOINT_NAME}-ca-cert"), "certPem", f"{ENDPOINT_NAME}-ca-cert")
    endpoint = _resource(state, ENDPOINT_TYPE, f"{ENDPOINT_NAME}-endpoint").get("id")
    if not endpoint:
        raise UsageError(f"{ENDPOINT_NAME}-endpoint has no id in the state: has `pulumi up` created it?")
    out.write_bytes(build_crl(ca_key, ca_cert, [r.serial for r in settings.revoked_client_certificates]))
    return ("aws ec2 import-client-vpn-client-certificate-revocation-list "
            f"--client-vpn-endpoint-id {endpoint} --certificate-revocation-list file://{out}"
            + (f" --region {region}" if region else ""))
