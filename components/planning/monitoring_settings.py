"""Alarms on what breaks a working stack (`multicloud-vpn:monitoring`), on unless `enabled: false`.

Who hears about an alarm: `emails` (an SNS email subscription each and, with GCP, a Cloud
Monitoring email channel each), an existing SNS topic (`snsTopicArn`, used instead of creating
one) and existing Cloud Monitoring channels (`notificationChannels`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SettingsError
from .fields import Section

# Deliberately simple: one '@', no spaces, a dotted domain of DNS labels.
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                   r"[A-Za-z]{2,63}$")
EMAIL_ACCEPTED = "expected an email address like network-oncall@example.com"
SNS_TOPIC_ARN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256})"
                           r"(\.fifo)?$")
SNS_ACCEPTED = ("expected the ARN of an existing standard SNS topic, like "
                "arn:aws:sns:ap-northeast-1:123456789012:network-alarms")
CHANNEL = re.compile(r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/notificationChannels/[0-9]+$")
CHANNEL_ACCEPTED = ("expected the id of an existing Cloud Monitoring notification channel, like "
                    "projects/my-network-project/notificationChannels/1234567890123456789")


@dataclass(frozen=True)
class MonitoringSettings:
    enabled: bool = True
    emails: tuple[str, ...] = ()
    sns_topic_arn: str | None = None              # None: the program creates the topic
    notification_channels: tuple[str, ...] = ()   # existing Cloud Monitoring channels

    @property
    def notifies_anyone(self) -> bool:
        """False when no address and no existing target hears an alarm."""
        return bool(self.emails or self.sns_topic_arn or self.notification_channels)


def _unique(section: Section, name: str, pattern: re.Pattern, accepted: str) -> tuple[str, ...]:
    out: list[str] = []
    for key, raw in section.items(name):
        if not isinstance(raw, str) or not pattern.match(raw.strip()):
            raise SettingsError(key, raw, accepted)
        value = raw.strip()
        if value.lower() in (v.lower() for v in out):
            raise SettingsError(key, raw, "listed twice")
        out.append(value)
    return tuple(out)


def parse_monitoring(section: Section, *, aws_region: str | None = None,
                     with_gcp: bool = True) -> MonitoringSettings:
    """`aws_region` (when known) must be the topic's: CloudWatch alarms notify topics of their own
    region only. Without GCP (`with_gcp` False) there is nothing to send to a Cloud Monitoring channel."""
    enabled = section.boolean("enabled")
    emails = _unique(section, "emails", EMAIL, EMAIL_ACCEPTED)
    topic = section.optional_string("snsTopicArn", accepted=SNS_ACCEPTED,
                                    check=lambda v: bool(SNS_TOPIC_ARN.match(v)))
    if topic is not None:
        match = SNS_TOPIC_ARN.match(topic)
        assert match is not None
        if match.group(4):
            raise SettingsError(section.child("snsTopicArn"), topic,
                                "a FIFO topic cannot receive CloudWatch alarms; use a standard topic")
        if aws_region and match.group(1) != aws_region:
            raise SettingsError(section.child("snsTopicArn"), topic,
                                f"the topic must be in aws:region ({aws_region}): CloudWatch alarms "
                                "notify topics of their own region only")
    channels = _unique(section, "notificationChannels", CHANNEL, CHANNEL_ACCEPTED)
    if channels and not with_gcp:
        raise SettingsError(section.child("notificationChannels"), list(channels),
                            "it needs multicloud-vpn:siteToSite: without it there is no GCP "
                            "resource to alert on")
    section.finish()
    return MonitoringSettings(enabled=enabled, emails=emails, sns_topic_arn=topic,
                              notification_channels=channels)
