"""Logical names are injective over the settings: the engine refuses a duplicate URN."""

import pytest

from offline.evaluate import DuplicateUrnError, RecordingMonitor
from tests.stacks import deploy


def urns(d):
    return [r.urn for r in d.resources]


@pytest.mark.parametrize("sections", [
    {"dns": {"awsDomains": ["corp-aws.internal", "corp.aws-internal"],
             "gcpDomains": ["corp-gcp.internal", "corp.gcp-internal"], "awsToGcp": True}},
    {"gcpHub": {"spokes": [{"name": "hub-to-hub", "cidr": "10.111.0.0/20"}]}},
    {"gcpHub": {"spokes": [{"name": "x-to-hub", "cidr": "10.111.0.0/20"},
                           {"name": "hub-to-x", "cidr": "10.112.0.0/20"}]}},
    {"gcpHub": {"spokes": [{"name": "forward", "cidr": "10.111.0.0/20"},
                           {"name": "gcp-zone", "cidr": "10.112.0.0/20"},
                           {"name": "peer", "cidr": "10.113.0.0/20"}]},
     "dns": {"awsDomains": ["peer-aws.internal", "aws.internal"], "gcpDomains": ["zone.gcp.internal"]}},
    {"gcpHub": {"networkName": "spoke-a", "subnets": [{"name": "network", "cidr": "10.110.0.0/20"}],
                "spokes": [{"name": "a", "cidr": "10.111.0.0/20"}]}},
])
def test_names_that_used_to_collide_give_distinct_urns(sections):
    d = deploy("dev", sections=sections)
    assert len(urns(d)) == len(set(urns(d)))
    physical = [(r.type, r.state.get("name")) for r in d.resources if r.type.startswith("gcp:")]
    assert len(physical) == len(set(physical))


def test_the_evaluator_refuses_a_duplicate_urn_with_the_engines_message():
    d = deploy("dev")
    monitor = RecordingMonitor.__new__(RecordingMonitor)
    monitor.resources = {d.resources[0].urn: object()}
    monitor.make_urn = lambda parent, type_, name: d.resources[0].urn

    class Request:
        parent, type, name = "", d.resources[0].type, d.resources[0].name

    with pytest.raises(DuplicateUrnError, match=r"^Duplicate resource URN 'urn:pulumi:dev::multicloud-vpn::.*'; "
                                                 r"try giving it a unique name$"):
        monitor.RegisterResource(Request)
