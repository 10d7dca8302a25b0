"""IKE proposals pinned to one algorithm per role per phase on both clouds.

Google documents that with AWS's default (long) transform lists the IKE SA payload fragments and
Cloud VPN can fail to rekey. A profile is one IKEv2 set (encryption, integrity, DH group, used in
both phases, and the AWS lifetimes), spelled the way each API wants it, so the two ends can never
drift apart. `ikeProfile` names a preset or gives the set as an object; every value is checked
against what both ends accept (`ike_ciphers.json`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from . import ike_ciphers, reference
from .errors import MISSING, SettingsError
from .fields import Section

OBJECT_FIELDS = "{encryption, integrity, dhGroup[, ikeVersion, phase1LifetimeSeconds, phase2LifetimeSeconds]}"
LONG_PROPOSAL = ("one value, not a list: every extra value lengthens the IKE proposal, and long proposals "
                 "fragment and can fail to rekey (Google documents it for Cloud VPN)")


@dataclass(frozen=True)
class IkeProfile:
    """One IKEv2 set in AWS's spelling; `name` is the preset's, empty for an object."""

    encryption: str
    integrity: str
    dh_group: int
    phase1_lifetime_seconds: int = 28800
    phase2_lifetime_seconds: int = 3600
    name: str = ""

    @property
    def aead(self) -> bool:
        """AES-GCM: no integrity transform; the integrity value only chooses the PRF."""
        return ike_ciphers.is_aead(self.encryption)

    def aws_tunnel_options(self, tunnel: int) -> dict:
        """Keyword arguments for `aws.ec2.VpnConnection` for AWS tunnel 1 or 2."""
        p = f"tunnel{tunnel}_"
        return {
            p + "ike_versions": ["ikev2"],
            p + "phase1_encryption_algorithms": [self.encryption],
            p + "phase1_integrity_algorithms": [self.integrity],
            p + "phase1_dh_group_numbers": [self.dh_group],
            p + "phase1_lifetime_seconds": self.phase1_lifetime_seconds,
            p + "phase2_encryption_algorithms": [self.encryption],
            p + "phase2_integrity_algorithms": [self.integrity],
            p + "phase2_dh_group_numbers": [self.dh_group],
            p + "phase2_lifetime_seconds": self.phase2_lifetime_seconds,
        }

    def gcp_cipher_suite(self) -> dict:
        """The `cipher_suite` of a `gcp.compute.VPNTunnel`, as plain dicts (no integrity with AES-GCM)."""
        encryption = ike_ciphers.gcp_name("encryption", self.encryption)
        integrity = [] if self.aead else [ike_ciphers.gcp_name("integrity", self.integrity)]
        group = ike_ciphers.gcp_name("dhGroup", self.dh_group)
        phase1: dict[str, list[str]] = {"encryptions": [encryption]}
        phase2: dict[str, list[str]] = {"encryptions": [encryption]}
        if integrity:
            phase1["integrities"] = phase2["integrities"] = integrity
        phase1.update(prves=[ike_ciphers.gcp_prf(self.integrity)], dhs=[group])
        phase2["pfs"] = [group]
        return {"phase1": phase1, "phase2": phase2}


PROFILES = {
    p.name: p for p in (
        IkeProfile("AES256", "SHA2-256", 20, name="aes256-sha256-ecp384"),
        IkeProfile("AES256", "SHA2-256", 14, name="aes256-sha256-modp2048"),
    )
}

DEFAULT_PROFILE = reference.BY_KEY["siteToSite"].field("ikeProfile").default  # type: ignore[union-attr]
OBJECT_TABLE = reference.BY_KEY["siteToSite.ikeProfile"]


def parse_profile(key: str, raw: Any, *, with_gcp: bool, default: IkeProfile | None = None) -> IkeProfile:
    """`ikeProfile` at `key`: a preset's name or an object; absent, `default`.

    `with_gcp`: the profile serves the GCP tunnels, so GCP must accept every value too (an office's
    serves AWS tunnels to the office's router only).
    """
    if (raw is MISSING or raw is None) and default is not None:
        return default
    if isinstance(raw, str) and raw in PROFILES:
        return PROFILES[raw]
    if isinstance(raw, dict):
        return parse_object(Section(key, raw), with_gcp=with_gcp)
    shown = ", ".join(repr(n) for n in sorted(PROFILES))
    raise SettingsError(key, raw, f"accepted values: {shown}, or an object {OBJECT_FIELDS}")


def parse_object(section: Section, *, with_gcp: bool) -> IkeProfile:
    """The object form: one value per role, used in both phases, lifetimes in AWS's ranges."""
    encryption = _algorithm(section, "encryption", with_gcp)
    integrity = _algorithm(section, "integrity", with_gcp)
    dh_group = _algorithm(section, "dhGroup", with_gcp)
    _ike_version(section)
    phase1 = _lifetime(section, "phase1", with_gcp)
    phase2 = _lifetime(section, "phase2", with_gcp)
    if phase2 >= phase1:
        raise SettingsError(section.child("phase2LifetimeSeconds"), phase2,
                            f"it must be less than {section.child('phase1LifetimeSeconds')} ({phase1}): "
                            "AWS refuses a phase 2 lifetime that is not below phase 1's")
    section.finish()
    return IkeProfile(encryption, integrity, dh_group, phase1, phase2)


def _default(name: str) -> Any:
    field = OBJECT_TABLE.field(name)
    assert field is not None, name
    return MISSING if field.default is reference.REQUIRED else field.default


def _algorithm(section: Section, role: str, with_gcp: bool) -> Any:
    value = section.raw(role, _default(role))
    both = ike_ciphers.accepted(role, with_gcp=with_gcp)
    where = "for the GCP tunnels (AWS in both phases and GCP)" if with_gcp else \
        "for an office's tunnels (AWS in both phases)"
    accepted = f"accepted {where}: {_show(both)}"
    if isinstance(value, list):
        raise SettingsError(section.child(role), value, f"{LONG_PROPOSAL}; {accepted}")
    if value in both and type(value) is type(both[0]):
        return value
    raise SettingsError(section.child(role), value, _why(role, value, with_gcp, both) + accepted)


def _why(role: str, value: Any, with_gcp: bool, both: tuple) -> str:
    """What each side says of a refused value, then the lists."""
    by_text = {str(b): b for b in both}
    near = ([b for b in both if str(b).lower() == str(value).lower()]
            or [by_text[t] for t in difflib.get_close_matches(str(value), list(by_text), n=1)])
    hint = f"did you mean {near[0]!r}? " if near and isinstance(value, str) else ""
    phases = ike_ciphers.aws_phases(role, value)
    kind = int if role == "dhGroup" else str
    if type(value) is not kind:
        reason = "expected a number (the DH group); " if kind is int else "expected a name; "
    elif len(phases) == 1:
        reason = f"AWS accepts it in {phases[0].replace('phase', 'phase ')} only, and one value serves both phases; "
    elif not phases:
        reason = "AWS's tunnel options do not accept it; "
    elif with_gcp and not ike_ciphers.gcp_accepts(role, value):
        reason = "GCP does not accept it; "
    else:
        reason = ""
    lists = [ike_ciphers.aws_values(role, p) for p in ike_ciphers.PHASES]
    aws = (f"{_show(lists[0])} in both phases" if lists[0] == lists[1] else
           f"{_show(lists[0])} in phase 1 and {_show(lists[1])} in phase 2")
    sides = f"AWS accepts {aws}"
    if with_gcp:
        sides += f"; GCP accepts {_show(ike_ciphers.gcp_values(role, spelled_as_aws=True))}"
    return f"{hint}{reason}{sides}; "


def _ike_version(section: Section) -> None:
    value = section.raw("ikeVersion", _default("ikeVersion"))
    if value == 2 and type(value) is int:
        return
    why = ("IKEv1 is refused: the policy pack's ike-pinned rule holds every tunnel to IKEv2 (AWS accepts "
           "ikev1 and ikev2, GCP 1 and 2); " if value == 1 and type(value) is int else "")
    raise SettingsError(section.child("ikeVersion"), value, f"{why}accepted values: 2 (IKEv2)")


def _lifetime(section: Section, phase: str, with_gcp: bool) -> int:
    low, high = ike_ciphers.aws_lifetime_range(phase)
    accepted = f"expected {low}-{high} seconds (AWS's range)"
    if with_gcp:
        accepted += (f"; GCP's {phase.replace('phase', 'phase ')} lifetime is fixed at "
                     f"{ike_ciphers.gcp_lifetime(phase)} s and IKEv2 does not negotiate lifetimes, "
                     "so AWS, the shorter, rekeys: any value in AWS's range works with GCP")
    name = f"{phase}LifetimeSeconds"
    return section.integer(name, _default(name), accepted=accepted, check=lambda v: low <= v <= high)


def _show(values: tuple) -> str:
    return ", ".join(str(v) for v in values)
