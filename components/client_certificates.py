"""Client certificates for Client VPN's mutual TLS sign-in, one per person or device.

They are signed by the endpoint's own CA (the one that signs the server certificate), so the
endpoint's client root is the server certificate's chain and no CA key goes to ACM. Each key is a
Pulumi secret; a certificate is renewed before it ends, like the server's. Removing a name deletes
its certificate from the state only: until its serial is in the endpoint's revocation list it still
signs in (docs/remote-access.md, "Revoking a certificate").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

RENEW_BEFORE_HOURS = 30 * 24


@dataclass(frozen=True)
class ClientCertificate:
    key: tls.PrivateKey
    cert: tls.LocallySignedCert


def client_certificates(name: str, people: Sequence[str], *, days: int, domain: str,
                        ca_key: tls.PrivateKey, ca_cert: tls.SelfSignedCert,
                        parent: pulumi.Resource) -> dict[str, ClientCertificate]:
    """`{name}-user-{person}-key/-csr/-cert` for each person, common name `{person}.{domain}`."""
    child = pulumi.ResourceOptions(parent=parent)
    issued = {}
    for person in people:
        key = tls.PrivateKey(f"{name}-user-{person}-key", algorithm="RSA", rsa_bits=2048, opts=child)
        request = tls.CertRequest(
            f"{name}-user-{person}-csr", private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=f"{person}.{domain}"), opts=child)
        cert = tls.LocallySignedCert(
            f"{name}-user-{person}-cert", cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem, ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=days * 24, early_renewal_hours=RENEW_BEFORE_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "client_auth"], opts=child)
        issued[person] = ClientCertificate(key, cert)
    return issued
