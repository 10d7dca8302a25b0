"""Rules the clouds enforce on create that Pulumi's mocks would let through.

The evaluator applies them to every resource it records, so a name GCP would refuse fails the
offline plan and the tests the way it would fail `pulumi up`, with GCP's own wording.
"""

from __future__ import annotations

import json
import re

# Compute Engine and Cloud DNS resources named by RFC 1035 labels (1-63 characters).
GCP_RFC1035_TYPES = frozenset({
    "gcp:compute/network:Network",
    "gcp:compute/subnetwork:Subnetwork",
    "gcp:compute/networkPeering:NetworkPeering",
    "gcp:compute/firewall:Firewall",
    "gcp:compute/router:Router",
    "gcp:compute/routerInterface:RouterInterface",
    "gcp:compute/routerPeer:RouterPeer",
    "gcp:compute/haVpnGateway:HaVpnGateway",
    "gcp:compute/externalVpnGateway:ExternalVpnGateway",
    "gcp:compute/vPNTunnel:VPNTunnel",
    "gcp:dns/managedZone:ManagedZone",
    "gcp:dns/policy:Policy",
})
GCP_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
GCP_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


class CloudError(Exception):
    """What the cloud's API would answer to the create call."""


def check_gcp_resource(type_: str, state: dict) -> None:
    name = state.get("name")
    if type_ in GCP_RFC1035_TYPES and not (isinstance(name, str) and GCP_NAME.match(name)):
        raise CloudError(
            f"googleapi: Error 400: Invalid value for field 'resource.name': '{name}'. Must be a "
            f"match of regex '(?:[a-z](?:[-a-z0-9]{{0,61}}[a-z0-9])?)', invalid ({type_})")
    # A notification channel's `labels` configure it (email_address); its resource labels are user_labels.
    labels = state.get("userLabels" if type_ == "gcp:monitoring/notificationChannel:NotificationChannel"
                       else "labels")
    for key, value in (labels or {}).items():
        if not isinstance(value, str) or not GCP_LABEL_VALUE.match(value):
            raise CloudError(f"googleapi: Error 400: Invalid value for field 'resource.labels': "
                             f"label {key}={value!r}: values may contain only lower-case letters, "
                             "digits, '_' and '-', at most 63 characters ({type_})")


def check_provider(type_: str, state: dict) -> None:
    """Provider inputs arrive JSON-encoded; GCP's default labels land on every labelled resource."""
    if type_ == "pulumi:providers:gcp" and state.get("defaultLabels"):
        labels = state["defaultLabels"]
        check_gcp_resource(type_, {"labels": json.loads(labels) if isinstance(labels, str) else labels})
