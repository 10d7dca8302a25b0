"""Stack settings of the `aws:` and `gcp:` namespaces, passed to the program's explicit providers.

An explicit provider takes its configuration only from its constructor, so a stack's
`aws:profile` or `gcp:impersonateServiceAccount` would configure nothing and a `pulumi up` could
run against the wrong account. Every key of those namespaces is either passed through here or
refused with the list of keys that are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import MISSING, SettingsError
from .fields import Section, parse_json_value

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$")
DURATION = re.compile(r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?$")

# Read by the program itself, not passed as provider options.
HANDLED = frozenset({"aws:region", "gcp:project", "gcp:region"})
# Secrets: only their presence is checked here; values reach the provider as Pulumi secrets.
AWS_SECRETS = {"aws:accessKey": "access_key", "aws:secretKey": "secret_key", "aws:token": "token"}
GCP_SECRETS = {"gcp:credentials": "credentials", "gcp:accessToken": "access_token"}
AWS_PLAIN = ("aws:profile", "aws:sharedConfigFiles", "aws:sharedCredentialsFiles",
             "aws:allowedAccountIds", "aws:forbiddenAccountIds", "aws:assumeRoles")
GCP_PLAIN = ("gcp:impersonateServiceAccount", "gcp:impersonateServiceAccountDelegates",
             "gcp:billingProject", "gcp:userProjectOverride")
PASSED = frozenset({*AWS_SECRETS, *GCP_SECRETS, *AWS_PLAIN, *GCP_PLAIN})
SECRET_KEYS = (*AWS_SECRETS, *GCP_SECRETS)
ASSUME_ROLE_FIELDS = {"roleArn": "role_arn", "sessionName": "session_name", "externalId": "external_id",
                      "duration": "duration", "sourceIdentity": "source_identity", "policy": "policy",
                      "policyArns": "policy_arns", "tags": "tags", "transitiveTagKeys": "transitive_tag_keys"}


@dataclass(frozen=True)
class ProviderSettings:
    """Keyword arguments for `aws.Provider` / `gcp.Provider` (assume roles as plain dicts), and the
    secret keys to read with `get_secret` and pass as secrets."""

    aws: Mapping[str, Any] = field(default_factory=dict)
    gcp: Mapping[str, Any] = field(default_factory=dict)
    aws_secrets: tuple[tuple[str, str], ...] = ()   # (config key, provider argument)
    gcp_secrets: tuple[tuple[str, str], ...] = ()


def _strings(key: str, raw: Any, check=None, accepted: str = "expected a list of strings") -> list[str]:
    value = parse_json_value(key, raw) if isinstance(raw, str) and raw.startswith("[") else raw
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(key, raw, accepted)
    for i, item in enumerate(value):
        if check and not check(item):
            raise SettingsError(f"{key}[{i}]", item, accepted)
    return value


def _assume_roles(key: str, raw: Any) -> list[dict[str, Any]]:
    value = parse_json_value(key, raw) if isinstance(raw, str) else raw
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise SettingsError(key, raw, "expected a list of {roleArn, sessionName, externalId, ...}")
    roles = []
    for i, item_raw in enumerate(value):
        item = Section(f"{key}[{i}]", item_raw)
        role: dict[str, Any] = {"role_arn": item.string("roleArn", accepted="expected an IAM role ARN "
                                        "(arn:aws:iam::123456789012:role/name)",
                                        check=lambda v: bool(ROLE_ARN.match(v)))}
        for name in ("sessionName", "externalId", "sourceIdentity", "policy"):
            if (text := item.optional_string(name)) is not None:
                role[ASSUME_ROLE_FIELDS[name]] = text
        if (duration := item.optional_string("duration", accepted="expected a duration such as 1h or 15m",
                                             check=lambda v: bool(DURATION.match(v)))) is not None:
            role["duration"] = duration
        for name in ("policyArns", "transitiveTagKeys"):
            if item.raw(name, None) is not None:
                role[ASSUME_ROLE_FIELDS[name]] = _strings(item.child(name), item.raw(name))
        if (tags := item.raw("tags", None)) is not None:
            if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
                raise SettingsError(item.child("tags"), tags, "expected a map of strings")
            role["tags"] = tags
        item.finish()
        roles.append(role)
    return roles


def _boolean(key: str, raw: Any) -> bool:
    if raw in (True, "true"):
        return True
    if raw in (False, "false"):
        return False
    raise SettingsError(key, raw, "expected true or false")


def _string(key: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise SettingsError(key, raw, "expected a non-empty string")
    return raw


def parse_provider_settings(config: Mapping[str, Any]) -> ProviderSettings:
    """Check every `aws:`/`gcp:` key of the stack and turn it into provider arguments."""
    for key in sorted(k for k in config if k.split(":", 1)[0] in ("aws", "gcp")):
        if key not in HANDLED and key not in PASSED and config[key] is not None:
            namespace = key.split(":", 1)[0]
            known = ", ".join(sorted(k for k in (*HANDLED, *PASSED) if k.startswith(namespace + ":")))
            raise SettingsError(key, config[key], f"the program's explicit {namespace} provider does "
                                f"not take this key, so it would be ignored; keys it takes: {known}")
    aws: dict[str, Any] = {}
    gcp: dict[str, Any] = {}

    def given(key: str) -> Any:
        return config.get(key)

    if (v := given("aws:profile")) is not None:
        aws["profile"] = _string("aws:profile", v)
    for key, arg in (("aws:sharedConfigFiles", "shared_config_files"),
                     ("aws:sharedCredentialsFiles", "shared_credentials_files")):
        if (v := given(key)) is not None:
            aws[arg] = _strings(key, v)
    for key, arg in (("aws:allowedAccountIds", "allowed_account_ids"),
                     ("aws:forbiddenAccountIds", "forbidden_account_ids")):
        if (v := given(key)) is not None:
            aws[arg] = _strings(key, v, check=lambda a: bool(ACCOUNT_ID.match(a)),
                                accepted="expected a list of 12-digit AWS account ids")
    if "allowed_account_ids" in aws and "forbidden_account_ids" in aws:
        raise SettingsError("aws:forbiddenAccountIds", given("aws:forbiddenAccountIds"),
                            "the AWS provider takes aws:allowedAccountIds or aws:forbiddenAccountIds, "
                            "not both")
    if (v := given("aws:assumeRoles")) is not None:
        aws["assume_roles"] = _assume_roles("aws:assumeRoles", v)
    if (v := given("gcp:impersonateServiceAccount")) is not None:
        gcp["impersonate_service_account"] = _string("gcp:impersonateServiceAccount", v)
    if (v := given("gcp:impersonateServiceAccountDelegates")) is not None:
        gcp["impersonate_service_account_delegates"] = _strings("gcp:impersonateServiceAccountDelegates", v)
    if (v := given("gcp:billingProject")) is not None:
        gcp["billing_project"] = _string("gcp:billingProject", v)
    if (v := given("gcp:userProjectOverride")) is not None:
        gcp["user_project_override"] = _boolean("gcp:userProjectOverride", v)
    gcp_secrets = tuple((k, a) for k, a in GCP_SECRETS.items() if given(k) is not None)
    if len(gcp_secrets) > 1:
        raise SettingsError("gcp:accessToken", "<secret>",
                            "the Google provider takes gcp:credentials or gcp:accessToken, not both")
    aws_secrets = tuple((k, a) for k, a in AWS_SECRETS.items() if given(k) is not None)
    if aws_secrets and {k for k, _ in aws_secrets} & {"aws:accessKey", "aws:secretKey"} != {
            "aws:accessKey", "aws:secretKey"}:
        raise SettingsError("aws:secretKey" if given("aws:accessKey") else "aws:accessKey", MISSING,
                            "aws:accessKey and aws:secretKey go together (set both as secrets)")
    return ProviderSettings(aws=aws, gcp=gcp, aws_secrets=aws_secrets, gcp_secrets=gcp_secrets)
