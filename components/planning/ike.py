"""IKE proposals pinned to one algorithm per role per phase on both clouds.

Google documents that with AWS's default (long) transform lists the IKE SA payload fragments and
Cloud VPN can fail to rekey. Each profile names one IKEv2 set both clouds accept, spelled the way
each API wants it, so the two ends can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import reference


@dataclass(frozen=True)
class IkeProfile:
    name: str
    description: str
    # AWS Site-to-Site VPN tunnel options
    aws_encryption: str
    aws_integrity: str
    aws_dh_group: int
    # GCP VPN tunnel cipher_suite
    gcp_encryption: str
    gcp_integrity: str
    gcp_prf: str
    gcp_dh_group: str
    # Lifetimes (AWS accepts 900-28800 s for phase 1, 900-3600 s for phase 2)
    phase1_lifetime_seconds: int = 28800
    phase2_lifetime_seconds: int = 3600

    def aws_tunnel_options(self, tunnel: int) -> dict:
        """Keyword arguments for `aws.ec2.VpnConnection` for AWS tunnel 1 or 2."""
        p = f"tunnel{tunnel}_"
        return {
            p + "ike_versions": ["ikev2"],
            p + "phase1_encryption_algorithms": [self.aws_encryption],
            p + "phase1_integrity_algorithms": [self.aws_integrity],
            p + "phase1_dh_group_numbers": [self.aws_dh_group],
            p + "phase1_lifetime_seconds": self.phase1_lifetime_seconds,
            p + "phase2_encryption_algorithms": [self.aws_encryption],
            p + "phase2_integrity_algorithms": [self.aws_integrity],
            p + "phase2_dh_group_numbers": [self.aws_dh_group],
            p + "phase2_lifetime_seconds": self.phase2_lifetime_seconds,
        }

    def gcp_cipher_suite(self) -> dict:
        """The `cipher_suite` of a `gcp.compute.VPNTunnel`, as plain dicts."""
        return {
            "phase1": {
                "encryptions": [self.gcp_encryption],
                "integrities": [self.gcp_integrity],
                "prves": [self.gcp_prf],
                "dhs": [self.gcp_dh_group],
            },
            "phase2": {
                "encryptions": [self.gcp_encryption],
                "integrities": [self.gcp_integrity],
                "pfs": [self.gcp_dh_group],
            },
        }


PROFILES = {
    p.name: p for p in (
        IkeProfile(
            name="aes256-sha256-ecp384",
            description="IKEv2, AES-256-CBC, SHA2-256, DH group 20 (ECP-384) in both phases",
            aws_encryption="AES256", aws_integrity="SHA2-256", aws_dh_group=20,
            gcp_encryption="AES-CBC-256", gcp_integrity="HMAC-SHA2-256-128",
            gcp_prf="PRF-HMAC-SHA2-256", gcp_dh_group="Group-20",
        ),
        IkeProfile(
            name="aes256-sha256-modp2048",
            description="IKEv2, AES-256-CBC, SHA2-256, DH group 14 (MODP-2048) in both phases",
            aws_encryption="AES256", aws_integrity="SHA2-256", aws_dh_group=14,
            gcp_encryption="AES-CBC-256", gcp_integrity="HMAC-SHA2-256-128",
            gcp_prf="PRF-HMAC-SHA2-256", gcp_dh_group="Group-14",
        ),
    )
}

DEFAULT_PROFILE = reference.BY_KEY["siteToSite"].field("ikeProfile").default  # type: ignore[union-attr]
