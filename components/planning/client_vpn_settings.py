"""Settings of Client VPN (`multicloud-vpn:clientVpn`): sign-in, authorization, routes, logs.

Sign-in is SAML (IAM Identity Center), client certificates (mutual TLS), or both; Active
Directory is out of scope. Whatever is accepted has an effect in the chosen combination: a
setting that would be ignored is refused, so a stack file never promises what AWS does not do.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .client_vpn_plan import INTERNET
from .errors import SettingsError
from .fields import Section, ipv4_network
from .saml_metadata import metadata_problems, read_saml_metadata

AUTHENTICATIONS = ("saml", "certificate", "saml+certificate")
TRANSPORTS = ("udp", "tcp")
PORTS = (443, 1194)
SESSION_HOURS = (8, 10, 12, 24)
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)
BANNER_LIMIT = 1400
CERTIFICATE_DAYS = (60, 1095)
# An Identity Store group id: a UUID, optionally after a 10-hex-digit identity store prefix and "-".
GROUP_ID = re.compile(r"^(?:[0-9a-f]{10}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
GROUP_ID_HINT = ("expected an IAM Identity Center group ID such as 906754a0e1-0b1c2d3e-4f50-6172-8394-"
                 "a5b6c7d8e9f0 (IAM Identity Center > Groups > the group > Group ID), not its display name")
CLIENT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
CLIENT_NAME_HINT = "expected a lower-case name of 1-32 letters, digits and dashes, e.g. alice or laptop-07"
SERIAL = re.compile(r"^[0-9]{1,49}$")


@dataclass(frozen=True)
class AuthorizationRule:
    cidr: str
    groups: tuple[str, ...]   # empty: every authenticated user
    key: str = field(default="", compare=False)   # where the stack file says it


@dataclass(frozen=True)
class RevokedCertificate:
    name: str
    serial: str   # decimal, as the `clientCertificates` output shows it


@dataclass(frozen=True)
class ClientVpnSettings:
    enabled: bool
    client_cidr: str = ""
    authentication: str = "saml"
    saml_metadata: str = ""
    saml_metadata_file: str = ""
    self_service_saml_metadata: str | None = None
    transport: str = "udp"
    port: int = 443
    session_timeout_hours: int = 12
    disconnect_on_session_timeout: bool = True
    split_tunnel: bool = False
    split_tunnel_destinations: tuple[str, ...] = ()
    # None: the default, every authenticated user reaches every routed destination. An empty cidr
    # in a rule (from `accessGroups` without destinations) means every routed destination.
    authorization: tuple[AuthorizationRule, ...] | None = None
    all_users_reach_all_ranges: bool = False
    log_retention_days: int = 30
    login_banner: str | None = None
    certificate_domain: str = "vpn.multicloud-vpn.internal"
    extra_routes: tuple[str, ...] = ()   # reached through the VPC's own routes (e.g. an office VPN)
    client_certificates: tuple[str, ...] = ()
    client_certificate_days: int = 365
    revoked_client_certificates: tuple[RevokedCertificate, ...] = ()
    notices: tuple[str, ...] = ()   # accepted, worth a word: logged as warnings

    @property
    def self_service_portal(self) -> bool:
        return self.self_service_saml_metadata is not None

    @property
    def revoked_serials(self) -> dict[str, list[str]]:
        """name -> the serials revoked under it (a re-issued certificate leaves older ones)."""
        found: dict[str, list[str]] = {}
        for r in self.revoked_client_certificates:
            found.setdefault(r.name, []).append(r.serial)
        return found

    @property
    def saml(self) -> bool:
        return "saml" in self.authentication

    @property
    def certificates(self) -> bool:
        return "certificate" in self.authentication


def _cidr_list(section: Section, name: str) -> tuple[str, ...]:
    return tuple(str(ipv4_network(key, raw)) for key, raw in section.items(name))


def _client_cidr(section: Section) -> str:
    key = section.child("clientCidr")
    accepted = "expected an IPv4 CIDR from /22 (1,024 addresses) to /12, e.g. 172.16.0.0/22"
    cidr = ipv4_network(key, section.raw("clientCidr"), accepted=accepted)
    if not 12 <= cidr.prefixlen <= 22:
        raise SettingsError(key, str(cidr), accepted)
    return str(cidr)


def _sso(section: Section, authentication: str, base_dir: Path) -> tuple[str, str, str | None, list[str]]:
    """(metadata, its file, the portal's metadata or None, problems worth a warning)."""
    if "saml" not in authentication:
        for name in ("samlMetadataFile", "selfServiceSamlMetadataFile"):
            if section.given(name):
                raise SettingsError(section.child(name), section.raw(name, None),
                                    f"not used with {section.child('authentication')}: certificate: SAML "
                                    "sign-in (and the self-service portal, which exists only with SAML) "
                                    "needs authentication saml or saml+certificate")
            section.raw(name, None)
        return "", "", None, []
    file = section.string("samlMetadataFile", accepted="expected the path of the IdP's metadata file")
    saml = read_saml_metadata(section.child("samlMetadataFile"), file, base_dir)
    problems = metadata_problems(saml, file)
    portal_file = section.optional_string("selfServiceSamlMetadataFile")
    portal = None
    if portal_file:
        portal = read_saml_metadata(section.child("selfServiceSamlMetadataFile"), portal_file, base_dir)
        problems += metadata_problems(portal, portal_file)
    return saml, file, portal, [f"{section.key}: {p}" for p in problems]


def _group_id(key: str, raw: object) -> str:
    if not isinstance(raw, str) or not GROUP_ID.match(raw.strip()):
        raise SettingsError(key, raw, GROUP_ID_HINT)
    return raw.strip()


def _client_name(key: str, raw: object) -> str:
    if not isinstance(raw, str) or not CLIENT_NAME.match(raw):
        raise SettingsError(key, raw, CLIENT_NAME_HINT)
    return raw


def _distinct(section: Section, name: str, parse: Callable[[str, object], str]) -> tuple[str, ...]:
    """A list setting of values `parse` checks (key, raw -> value), none listed twice."""
    out: list[str] = []
    for key, raw in section.items(name):
        value = parse(key, raw)
        if value in out:
            raise SettingsError(key, raw, "listed twice")
        out.append(value)
    return tuple(out)


def _authorization(section: Section, saml: bool) -> tuple[AuthorizationRule, ...] | None:
    """`authorization` (rules mixing every user and groups) or its shorthand `accessGroups`
    (each group to its destinations, none: every routed destination; nobody else)."""
    if section.given("authorization") and section.given("accessGroups"):
        raise SettingsError(section.child("accessGroups"), section.raw("accessGroups"),
                            f"give either {section.child('authorization')} or its shorthand accessGroups, "
                            "not both")
    rules: list[AuthorizationRule] = []
    for key, raw in section.items("authorization"):
        item = Section(key, raw)
        cidr = str(ipv4_network(item.child("cidr"), item.raw("cidr")))
        everyone = item.boolean("allUsers", False)
        groups = _distinct(item, "groups", _group_id)
        if everyone == bool(groups):
            raise SettingsError(key, raw, "expected exactly one of allUsers: true (every authenticated "
                                "user) or groups: [groupId, ...]")
        item.finish()
        if any(r.cidr == cidr for r in rules):
            raise SettingsError(item.child("cidr"), cidr, "listed twice: give one rule per range")
        rules.append(AuthorizationRule(cidr, groups, item.child("cidr")))
    for key, raw in section.items("accessGroups"):
        item = Section(key, raw)
        group = _group_id(item.child("groupId"), item.raw("groupId"))
        destinations = [(f"{item.child('destinations')}[{i}]", d)
                        for i, d in enumerate(_cidr_list(item, "destinations"))] or [(key, "")]
        item.finish()
        rules += [AuthorizationRule(d, (group,), where) for where, d in destinations]
    if not rules:
        return None
    if not saml and any(r.groups for r in rules):
        name = "authorization" if section.given("authorization") else "accessGroups"
        raise SettingsError(section.child(name), section.raw(name),
                            "groups come from SAML sign-in: with authentication certificate, use "
                            "allUsers: true rules, or authentication saml+certificate")
    return tuple(rules)


def _certificates(section: Section, certificates: bool) -> tuple[tuple[str, ...], int, tuple[RevokedCertificate, ...]]:
    names = _distinct(section, "clientCertificates", _client_name)
    low, high = CERTIFICATE_DAYS
    days = section.integer("clientCertificateDays", accepted=f"expected {low} to {high} days",
                           check=lambda v: low <= v <= high)
    revoked: list[RevokedCertificate] = []
    for key, raw in section.items("revokedClientCertificates"):
        item = Section(key, raw)
        name = item.string("name", accepted=CLIENT_NAME_HINT, check=lambda v: bool(CLIENT_NAME.match(v)))
        serial = item.raw("serial")
        serial = str(serial) if isinstance(serial, int) and not isinstance(serial, bool) else serial
        if not isinstance(serial, str) or not SERIAL.match(serial):
            raise SettingsError(item.child("serial"), serial, "expected the certificate's decimal serial "
                                "number, as the clientCertificates output shows it")
        item.finish()
        if any(r.serial == serial for r in revoked):
            raise SettingsError(item.child("serial"), serial, "listed twice")
        # A name still in clientCertificates revokes a superseded certificate (re-issued).
        revoked.append(RevokedCertificate(name, serial))
    if not certificates:
        for name in ("clientCertificates", "clientCertificateDays", "revokedClientCertificates"):
            if section.given(name):
                raise SettingsError(section.child(name), section.raw(name),
                                    f"not used with {section.child('authentication')}: saml: client "
                                    "certificates need authentication certificate or saml+certificate")
    elif not names:
        raise SettingsError(section.child("clientCertificates"), [],
                            "certificate sign-in needs at least one name: one certificate and profile "
                            "per person or device")
    return names, days, tuple(revoked)


def _routes(section: Section) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    split = section.boolean("splitTunnel")
    destinations = _cidr_list(section, "splitTunnelDestinations")
    if INTERNET in destinations:
        raise SettingsError(section.child("splitTunnelDestinations"), list(destinations),
                            "0.0.0.0/0 routes everything: that is full tunnel (splitTunnel: false), "
                            "which needs no destinations")
    if destinations and not split:
        raise SettingsError(section.child("splitTunnelDestinations"), list(destinations),
                            "not used in full tunnel (splitTunnel: false), which routes everything: "
                            "remove them, or set splitTunnel: true")
    extra = _cidr_list(section, "extraRoutes")
    if INTERNET in extra:
        raise SettingsError(section.child("extraRoutes"), list(extra), "0.0.0.0/0 is full tunnel already")
    return split, destinations, extra


def _notices(section: Section, split: bool, destinations: tuple[str, ...]) -> list[str]:
    """Accepted settings whose effect is easy to misread."""
    notices = []
    public = [d for d in destinations if not ipaddress.IPv4Network(d).is_private]
    if public:
        notices.append(f"{section.child('splitTunnelDestinations')}: {', '.join(public)} are public: users "
                       "reach them through the VPC, so they leave from the Elastic IP; everything else "
                       "leaves from each user's own connection")
    elif split:
        notices.append(f"{section.child('splitTunnel')}: internet traffic leaves from each user's own "
                       "connection, not from the Elastic IP partners allowlist")
    return notices


def parse_client_vpn(section: Section, base_dir: Path) -> ClientVpnSettings:
    """Switched off, the section may stay in the stack file; what is written is still checked."""
    enabled = section.boolean("enabled")
    if not enabled and section.only_read_so_far():
        return ClientVpnSettings(enabled=False)
    cidr = _client_cidr(section)
    authentication = section.choice("authentication", AUTHENTICATIONS)
    saml, saml_file, portal, problems = _sso(section, authentication, base_dir)
    split, destinations, extra = _routes(section)
    authorization = _authorization(section, "saml" in authentication)
    names, days, revoked = _certificates(section, "certificate" in authentication)
    banner = section.optional_string(
        "loginBanner", accepted=f"expected at most {BANNER_LIMIT} characters",
        check=lambda v: len(v) <= BANNER_LIMIT)
    settings = ClientVpnSettings(
        enabled=enabled,
        client_cidr=cidr,
        authentication=authentication,
        saml_metadata=saml,
        saml_metadata_file=saml_file,
        self_service_saml_metadata=portal,
        transport=section.choice("transport", TRANSPORTS),
        port=section.choice("port", PORTS),
        session_timeout_hours=section.choice("sessionTimeoutHours", SESSION_HOURS),
        disconnect_on_session_timeout=section.boolean("disconnectOnSessionTimeout"),
        split_tunnel=split,
        split_tunnel_destinations=destinations,
        authorization=authorization,
        all_users_reach_all_ranges=section.boolean("allUsersReachAllRanges"),
        extra_routes=extra,
        log_retention_days=section.choice("logRetentionDays", LOG_RETENTION_DAYS),
        login_banner=banner,
        certificate_domain=section.string(
            "certificateDomain",
            accepted="expected a DNS name with at least one dot",
            check=lambda v: "." in v and " " not in v and not v.startswith("*")),
        client_certificates=names,
        client_certificate_days=days,
        revoked_client_certificates=revoked,
        notices=((*problems, *_notices(section, split, destinations)) if enabled else
                 (f"{section.child('enabled')}: false: the other clientVpn settings are checked and build "
                  "nothing",)),
    )
    section.finish()
    return settings


def client_cidr_range(settings: ClientVpnSettings, key: str) -> list[tuple[str, ipaddress.IPv4Network]]:
    """The client range and the extra routes: none may overlap anything routed (or each other)."""
    if not settings.enabled:
        return []
    return [(key, ipaddress.IPv4Network(settings.client_cidr)),
            *((f"{key.rsplit('.', 1)[0]}.extraRoutes[{i}]", ipaddress.IPv4Network(c))
              for i, c in enumerate(settings.extra_routes))]
