"""`python -m operate revocation-list`: a CRL signed by the endpoint's CA from the stack's state."""

import datetime
import io
import json

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from operate.__main__ import main

STACK_FILE = {"config": {"aws:region": "ap-northeast-1", "multicloud-vpn:clientVpn": {
    "enabled": True, "clientCidr": "172.20.0.0/22", "authentication": "certificate",
    "clientCertificates": ["alice"],
    "revokedClientCertificates": [{"name": "bob", "serial": "123456789012345678901234567890"},
                                  {"name": "carol", "serial": 42}]}}}


def _ca():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "multicloud-vpn dev client VPN CA")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert


def _state(key_pem, cert, *, secret_shown=True, users=()):
    secret = ({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
               "plaintext": json.dumps(key_pem)} if secret_shown else
              {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "AAAB"})
    base = "urn:pulumi:dev::multicloud-vpn::multicloud-vpn:index:ClientVpn$"
    return {"version": 3, "deployment": {"resources": [
        {"urn": base + "tls:index/privateKey:PrivateKey::client-vpn-ca-key", "type": "tls:index/privateKey:PrivateKey",
         "outputs": {"privateKeyPem": secret}},
        {"urn": base + "tls:index/selfSignedCert:SelfSignedCert::client-vpn-ca-cert",
         "type": "tls:index/selfSignedCert:SelfSignedCert",
         "outputs": {"certPem": cert.public_bytes(serialization.Encoding.PEM).decode()}},
        {"urn": base + "aws:ec2clientvpn/endpoint:Endpoint::client-vpn-endpoint",
         "id": "cvpn-endpoint-0123456789abcdef0",
         "type": "aws:ec2clientvpn/endpoint:Endpoint", "outputs": {}},
        *({"urn": base + f"tls:index/locallySignedCert:LocallySignedCert::client-vpn-user-{name}-cert", "id": serial,
           "type": "tls:index/locallySignedCert:LocallySignedCert", "outputs": {}} for name, serial in users),
    ]}}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(STACK_FILE))
    key_pem, cert = _ca()
    state = tmp_path / "state.json"
    state.write_text(json.dumps(_state(key_pem, cert)))
    return tmp_path, state, key_pem, cert


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_writes_a_crl_the_ca_signed_with_the_revoked_serials(project):
    directory, state, _, ca = project
    crl_path = directory / "crl.pem"
    code, out, err = run("revocation-list", "dev", "--state", str(state), "--out", str(crl_path),
                         "--project-dir", str(directory))
    assert code == 0, err
    crl = x509.load_pem_x509_crl(crl_path.read_bytes())
    assert crl.is_signature_valid(ca.public_key())
    assert crl.issuer == ca.subject
    assert sorted(r.serial_number for r in crl) == [42, 123456789012345678901234567890]
    assert crl.next_update_utc == ca.not_valid_after_utc
    assert out.splitlines()[-1] == (
        "aws ec2 import-client-vpn-client-certificate-revocation-list --client-vpn-endpoint-id "
        f"cvpn-endpoint-0123456789abcdef0 --certificate-revocation-list file://{crl_path} --region ap-northeast-1")


def test_the_same_inputs_write_the_same_file(project):
    directory, state, _, _ = project
    files = []
    for n in (1, 2):
        path = directory / f"crl{n}.pem"
        assert run("revocation-list", "dev", "--state", str(state), "--out", str(path),
                   "--project-dir", str(directory))[0] == 0
        files.append(path.read_bytes())
    assert files[0] == files[1]


def test_an_encrypted_state_is_a_usage_error(project):
    directory, _, key_pem, cert = project
    state = directory / "encrypted.json"
    state.write_text(json.dumps(_state(key_pem, cert, secret_shown=False)))
    code, _, err = run("revocation-list", "dev", "--state", str(state), "--out", str(directory / "x.pem"),
                       "--project-dir", str(directory))
    assert code == 3 and "--show-secrets" in err and len(err.splitlines()) == 1


def test_a_stack_without_certificates_is_a_usage_error(project, tmp_path):
    directory, state, _, _ = project
    (directory / "Pulumi.other.yaml").write_text(yaml.safe_dump({"config": {}}))
    code, _, err = run("revocation-list", "other", "--state", str(state), "--project-dir", str(directory))
    assert code == 3 and "does not sign in with client certificates" in err


def test_a_bad_serial_in_the_stack_file_names_the_key(project):
    directory, state, _, _ = project
    broken = yaml.safe_load(yaml.safe_dump(STACK_FILE))
    broken["config"]["multicloud-vpn:clientVpn"]["revokedClientCertificates"][0]["serial"] = "0x2a"
    (directory / "Pulumi.dev.yaml").write_text(yaml.safe_dump(broken))
    code, _, err = run("revocation-list", "dev", "--state", str(state), "--project-dir", str(directory))
    assert code == 3 and "multicloud-vpn:clientVpn.revokedClientCertificates[0].serial" in err


@pytest.mark.parametrize("users,fragment", [
    ([("bob", "99")], "bob's certificate in the state has serial 99, not 123456789012345678901234567890"),
    ([("bob", "123456789012345678901234567890"), ("alice", "5")], None),
])
def test_serials_are_checked_against_the_state_where_it_still_holds_them(project, users, fragment):
    directory, _, key_pem, cert = project
    state = directory / "with-users.json"
    state.write_text(json.dumps(_state(key_pem, cert, users=users)))
    code, _, err = run("revocation-list", "dev", "--state", str(state), "--out", str(directory / "c.pem"),
                       "--project-dir", str(directory))
    assert (code, fragment is None or fragment in err) == ((0, True) if fragment is None else (3, True)), err


def test_revoking_a_current_certificate_is_refused(project):
    directory, _, key_pem, cert = project
    config = yaml.safe_load(yaml.safe_dump(STACK_FILE))
    config["config"]["multicloud-vpn:clientVpn"]["revokedClientCertificates"] = [{"name": "alice", "serial": "5"}]
    (directory / "Pulumi.dev.yaml").write_text(yaml.safe_dump(config))
    state = directory / "current.json"
    state.write_text(json.dumps(_state(key_pem, cert, users=[("alice", "5")])))
    code, _, err = run("revocation-list", "dev", "--state", str(state), "--project-dir", str(directory))
    assert code == 3 and "current certificate" in err
