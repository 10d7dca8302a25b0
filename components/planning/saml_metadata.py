"""IdP metadata files: read and checked as SAML 2.0, and judged fit to be trusted.

An IAM SAML provider trusts whatever signs the metadata's certificate. Example metadata (this
project's `saml/examples/`, or an entity id that says "example") or a signing certificate past its
end would let `pulumi up` build a sign-in nobody can use, or one signed by a throwaway key.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from cryptography import x509

from .errors import SettingsError

SAML_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
XMLDSIG = "{http://www.w3.org/2000/09/xmldsig#}"
EXAMPLES_DIR = "saml/examples/"


def read_saml_metadata(key: str, value: str, base_dir: Path) -> str:
    """Read an IdP metadata file and make sure it is SAML 2.0 IdP metadata."""
    path = Path(value) if Path(value).is_absolute() else base_dir / value
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(key, value, f"the file cannot be read ({error.__class__.__name__}); "
                            "expected a path, relative to the project, to the IdP's SAML metadata "
                            "XML (see docs/remote-access.md: IAM Identity Center)") from None
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise SettingsError(key, value, "the file is not XML; expected SAML 2.0 IdP metadata "
                            "(an md:EntityDescriptor)") from None
    if root.tag != f"{SAML_MD}EntityDescriptor" or root.find(f"{SAML_MD}IDPSSODescriptor") is None:
        raise SettingsError(key, value, "the file is not SAML 2.0 IdP metadata: expected an "
                            "md:EntityDescriptor with an md:IDPSSODescriptor")
    return text


def signing_certificates(text: str) -> list[x509.Certificate]:
    """The IdP's signing certificates (KeyDescriptors with use="signing" or no use)."""
    root = ElementTree.fromstring(text)
    found = []
    for descriptor in root.iter(f"{SAML_MD}KeyDescriptor"):
        if descriptor.get("use", "signing") != "signing":
            continue
        for element in descriptor.iter(f"{XMLDSIG}X509Certificate"):
            try:
                der = base64.b64decode("".join((element.text or "").split()), validate=True)
                found.append(x509.load_der_x509_certificate(der))
            except (ValueError, binascii.Error):
                continue
    return found


def metadata_problems(text: str, file: str, *, now: datetime.datetime | None = None) -> list[str]:
    """Why this metadata should not be trusted; empty when nothing is wrong with it."""
    now = now or datetime.datetime.now(datetime.UTC)
    problems = []
    entity = ElementTree.fromstring(text).get("entityID", "")
    if Path(file).as_posix().find(EXAMPLES_DIR) >= 0 or "example" in entity.lower():
        problems.append(f"{file} is example metadata: IAM would trust a throwaway signing key; "
                        "download your IAM Identity Center application's metadata instead")
    certificates = signing_certificates(text)
    if not certificates:
        problems.append(f"{file} names no signing certificate: sign-in cannot be verified")
    elif all(c.not_valid_after_utc < now for c in certificates):
        ends = max(c.not_valid_after_utc for c in certificates).date().isoformat()
        problems.append(f"{file}: its signing certificate expired on {ends}; download the "
                        "application's current metadata")
    return problems
