"""IdP metadata for tests: signed by a fresh self-signed certificate that ends in `days` days."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REAL_ENTITY = "https://portal.sso.ap-northeast-1.amazonaws.com/saml/assertion/MTIzNDU2Nzg5MDEyX2lucy0x"


def idp_metadata(days: int, entity: str = REAL_ENTITY) -> str:
    """SAML 2.0 IdP metadata with one signing certificate, its base64 in PEM's 64-column lines."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(5).not_valid_before(now - datetime.timedelta(days=800))
            .not_valid_after(now + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    body = "\n".join(cert.public_bytes(serialization.Encoding.PEM).decode().splitlines()[1:-1])
    return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
            f'<ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
            '</md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>')
