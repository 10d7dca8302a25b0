"""multicloud-vpn:monitoring: alarms on every tunnel in use (never the idle one), the NAT gateways
and Client VPN, a dashboard, and who is told: SNS emails, an existing topic, GCP channels."""

import copy
import json

import pulumi
import pytest

from components.planning import reference
from components.planning.errors import SettingsError
from components.planning.fields import Section
from components.planning.monitoring_settings import parse_monitoring
from components.planning.settings import load_settings
from tests.estate import OFFICES, estate_config
from tests.harness import ROOT_DIR, run_program, stack_config, to_pulumi_config
from tests.stacks import ENDPOINT, NAT, PEER, TGW, TUNNEL, VPN, config_for, deploy

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
MONITORING_TYPES = (ALARM, TOPIC, SUBSCRIPTION, DASHBOARD, CHANNEL, POLICY)
EMAILS = ["network-oncall@example.com", "noc@example.co.jp"]
TOPIC_ARN = "arn:aws:sns:ap-northeast-1:123456789012:network-alarms"
CHANNEL_ID = "projects/example-network-prod/notificationChannels/1234567890123456789"


def alarms(d, namespace, metric):
    return [a for a in d.of_type(ALARM) if a.get("namespace") == namespace and a.get("metricName") == metric]


def tunnel_alarms(d):
    return {a.name: a for a in alarms(d, "AWS/VPN", "TunnelState")}


def vpn_state(d, name):
    return d.named(VPN, name).state


@pytest.mark.parametrize("stack, site_to_site, expected", [
    ("dev", {}, ["c0-t1"]),
    ("prod", {}, ["c0-t1", "c0-t2", "c1-t1", "c1-t2"]),
    ("dev", {"tunnelsPerConnection": 2}, ["c0-t1", "c0-t2"]),
    ("dev", {"connections": 2}, ["c0-t1", "c1-t1"]),
])
def test_one_alarm_per_tunnel_gcp_uses_and_none_on_the_idle_one(stack, site_to_site, expected):
    d = deploy(stack, **site_to_site)
    found = tunnel_alarms(d)
    assert sorted(found) == [f"monitoring-tunnel-alarm-{k}" for k in expected]
    watched = set()
    for key in expected:
        c, n = key[1], key[-1]
        alarm, vpn = found[f"monitoring-tunnel-alarm-{key}"], vpn_state(d, f"site-to-site-vpn-c{c}")
        assert alarm.get("dimensions") == {"VpnId": d.named(VPN, f"site-to-site-vpn-c{c}").id,
                                           "TunnelIpAddress": vpn[f"tunnel{n}Address"]}
        watched.add(vpn[f"tunnel{n}Address"])
    idle = {vpn.state["tunnel2Address"] for vpn in d.of_type(VPN)} if "-t2" not in "".join(expected) else set()
    assert not idle & watched


def test_a_tunnel_alarm_needs_three_minutes_down_and_counts_silence_as_down():
    alarm = tunnel_alarms(deploy("dev"))["monitoring-tunnel-alarm-c0-t1"]
    assert alarm.get("statistic") == "Minimum" and alarm.get("comparisonOperator") == "LessThanThreshold"
    assert alarm.get("threshold") == 1 and alarm.get("period") == 60
    assert alarm.get("evaluationPeriods") == 3 and alarm.get("datapointsToAlarm") == 3
    assert alarm.get("treatMissingData") == "breaching"


def test_offices_add_an_alarm_on_each_of_their_two_tunnels():
    d = run_program(estate_config(stack_config("prod")), stack="prod")
    found = tunnel_alarms(d)
    assert len(found) == 4 + 2 * len(OFFICES)
    for office in OFFICES:
        vpn = d.named(VPN, f"offices-vpn-{office['name']}")
        for n in (1, 2):
            alarm = found[f"monitoring-office-tunnel-alarm-t{n}-{office['name']}"]
            assert alarm.get("dimensions") == {"VpnId": vpn.id, "TunnelIpAddress": vpn.state[f"tunnel{n}Address"]}


@pytest.mark.parametrize("sections, gateways", [({}, 1), ({"network": {"natGateways": "perZone"}}, 2)])
def test_two_alarms_per_nat_gateway(sections, gateways):
    d = deploy("prod", sections=sections)
    nat_ids = {n.id for n in d.of_type(NAT)}
    assert len(nat_ids) == gateways
    for metric, statistic in (("ErrorPortAllocation", "Sum"), ("PacketsDropCount", "Sum")):
        found = alarms(d, "AWS/NATGateway", metric)
        assert {a.get("dimensions")["NatGatewayId"] for a in found} == nat_ids and len(found) == gateways
        assert all(a.get("statistic") == statistic and a.get("comparisonOperator") == "GreaterThanThreshold"
                   and a.get("threshold") == 0 for a in found)


def test_client_vpn_authentication_failures_alarm_only_with_client_vpn():
    d = deploy("prod")
    (alarm,) = alarms(d, "AWS/ClientVPN", "AuthenticationFailures")
    assert alarm.get("dimensions") == {"Endpoint": d.of_type(ENDPOINT)[0].id}
    assert not alarms(deploy("prod", sections={"clientVpn": {"enabled": False}}),
                      "AWS/ClientVPN", "AuthenticationFailures")


def test_the_dashboard_shows_tunnels_transit_gateway_nat_and_client_vpn_by_their_ids():
    d = deploy("prod")
    (dashboard,) = d.of_type(DASHBOARD)
    assert dashboard.get("dashboardName") == "multicloud-vpn-prod"
    body = json.loads(dashboard.get("dashboardBody"))
    metrics = [m for w in body["widgets"] for m in w["properties"]["metrics"]]
    assert all(w["properties"]["region"] == "ap-northeast-1" for w in body["widgets"])
    tunnels = {(m[3], m[5]) for m in metrics if m[:2] == ["AWS/VPN", "TunnelState"]}
    assert tunnels == {(vpn.id, vpn.state[f"tunnel{n}Address"]) for vpn in d.of_type(VPN) for n in (1, 2)}
    tgw = d.of_type(TGW)[0].id
    assert {tuple(m) for m in metrics if m[0] == "AWS/TransitGateway"} == {
        ("AWS/TransitGateway", "BytesIn", "TransitGateway", tgw),
        ("AWS/TransitGateway", "BytesOut", "TransitGateway", tgw)}
    assert {m[3] for m in metrics if m[:2] == ["AWS/NATGateway", "BytesOutToDestination"]} == {
        n.id for n in d.of_type(NAT)}
    assert [m[3] for m in metrics if m[:2] == ["AWS/ClientVPN", "ActiveConnectionsCount"]] == [
        d.of_type(ENDPOINT)[0].id]


def test_every_email_gets_a_subscription_to_the_topic_the_alarms_notify():
    d = deploy("prod", sections={"monitoring": {"emails": EMAILS}})
    (topic,) = d.of_type(TOPIC)
    subscriptions = d.of_type(SUBSCRIPTION)
    assert sorted(s.name for s in subscriptions) == sorted(f"monitoring-email-{e}" for e in EMAILS)
    assert {(s.get("endpoint"), s.get("protocol"), s.get("topic")) for s in subscriptions} == {
        (e, "email", topic.state["arn"]) for e in EMAILS}
    assert all(a.get("alarmActions") == [topic.state["arn"]] == a.get("okActions") for a in d.of_type(ALARM))


def test_an_existing_topic_and_existing_channels_are_used_instead():
    d = deploy("prod", sections={"monitoring": {"emails": EMAILS[:1], "snsTopicArn": TOPIC_ARN,
                                                "notificationChannels": [CHANNEL_ID]}})
    assert not d.of_type(TOPIC)
    assert all(a.get("alarmActions") == [TOPIC_ARN] for a in d.of_type(ALARM))
    assert [s.get("topic") for s in d.of_type(SUBSCRIPTION)] == [TOPIC_ARN]
    (channel,) = d.of_type(CHANNEL)
    assert all(p.get("notificationChannels") == [channel.id, CHANNEL_ID] for p in d.of_type(POLICY))


@pytest.fixture
def warnings(monkeypatch):
    said: list[str] = []
    original = pulumi.log.warn
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: (said.append(message),
                                                                      original(message, *a, **k)))
    return said


def test_nobody_notified_is_one_warning_and_the_alarms_still_exist(warnings):
    d = run_program(config_for("dev"), stack="dev")
    assert [w for w in warnings if "nobody is notified" in w] == [
        "multicloud-vpn:monitoring: no emails, snsTopicArn or notificationChannels: the alarms exist "
        "but nobody is notified"]
    assert d.of_type(ALARM) and d.of_type(TOPIC) and not d.of_type(SUBSCRIPTION)


def test_no_warning_when_someone_is_notified(warnings):
    run_program(config_for("dev", {"monitoring": {"emails": EMAILS}}), stack="dev")
    assert not [w for w in warnings if "nobody is notified" in w]


def test_gcp_alert_policies_per_tunnel_and_per_bgp_session_wait_five_minutes():
    d = deploy("prod", sections={"monitoring": {"emails": EMAILS}})
    channels = d.of_type(CHANNEL)
    assert sorted((c.get("type"), c.get("labels")["email_address"]) for c in channels) == [
        ("email", e) for e in sorted(EMAILS)]
    policies = {p.name: p for p in d.of_type(POLICY)}
    tunnels, peers = d.of_type(TUNNEL), d.of_type(PEER)
    assert len(policies) == len(tunnels) + len(peers) == 8
    for kind, resources, resource_type, metric, label in (
            ("tunnel", tunnels, "vpn_gateway", "vpn.googleapis.com/tunnel_established", "tunnel_name"),
            ("bgp", peers, "gce_router", "router.googleapis.com/bgp/session_up", "bgp_peer_name")):
        for r in resources:
            key = r.name.rsplit("-", 2)[-2] + "-" + r.name.rsplit("-", 1)[-1]
            policy = policies[f"monitoring-{kind}-policy-{key}"]
            (condition,) = policy.get("conditions")
            threshold = condition["conditionThreshold"]
            assert f'resource.type = "{resource_type}"' in threshold["filter"]
            assert f'metric.type = "{metric}"' in threshold["filter"]
            assert f'metric.label.{label} = "{r.state["name"]}"' in threshold["filter"]
            assert int(threshold["duration"].rstrip("s")) >= 300
            assert threshold["comparison"] == "COMPARISON_LT" and threshold["thresholdValue"] == 1
            assert policy.get("notificationChannels") == [
                d.named(CHANNEL, f"monitoring-email-channel-{e}").id for e in EMAILS]


def test_without_the_site_to_site_vpn_there_is_no_gcp_monitoring():
    remote = ROOT_DIR / "examples" / "Pulumi.remote-access.yaml"
    config = stack_config(str(remote))
    config["multicloud-vpn:monitoring"] = {"emails": EMAILS}
    d = run_program(config, stack=str(remote))
    assert not d.of_type(CHANNEL) and not d.of_type(POLICY) and not tunnel_alarms(d)
    assert alarms(d, "AWS/NATGateway", "ErrorPortAllocation") and d.of_type(DASHBOARD)
    config["multicloud-vpn:monitoring"] = {"notificationChannels": [CHANNEL_ID]}
    with pytest.raises(SettingsError) as raised:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    assert raised.value.key == "multicloud-vpn:monitoring.notificationChannels"


def test_monitoring_disabled_creates_nothing():
    d = deploy("prod", sections={"monitoring": {"enabled": False, "emails": EMAILS}})
    assert not [r for r in d.resources if r.type in MONITORING_TYPES or r.name.startswith("monitoring")]
    assert deploy("prod").of_type(ALARM)


def test_a_preview_declares_every_monitoring_resource_up_declares():
    config = estate_config(config_for("prod", {"monitoring": {"emails": EMAILS,
                                                              "notificationChannels": [CHANNEL_ID]}}))
    preview = run_program(config, stack="prod", preview=True)
    up = run_program(copy.deepcopy(config), stack="prod")
    assert preview.names(MONITORING_TYPES) == up.names(MONITORING_TYPES) and up.names(MONITORING_TYPES)


def test_logical_names_keep_distinct_inputs_apart():
    d = deploy("prod", sections={"monitoring": {"emails": EMAILS}})
    names = [r.name for r in d.resources if r.type in MONITORING_TYPES]
    assert len(names) == len(set(names))
    alarm_names = [a.get("name") for a in d.of_type(ALARM)]
    assert len(alarm_names) == len(set(alarm_names)) and all(n.startswith("multicloud-vpn-prod-")
                                                              for n in alarm_names)


def settings_error(monitoring) -> SettingsError:
    config = copy.deepcopy(stack_config("prod"))
    config["multicloud-vpn:monitoring"] = monitoring
    with pytest.raises(SettingsError) as raised:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    return raised.value


@pytest.mark.parametrize("monitoring, key, fragment", [
    ({"emails": ["not-an-address"]}, "multicloud-vpn:monitoring.emails[0]", "email address"),
    ({"emails": ["a@example.com", "ops@example"]}, "multicloud-vpn:monitoring.emails[1]", "email address"),
    ({"emails": ["a@example.com", "A@example.com"]}, "multicloud-vpn:monitoring.emails[1]", "listed twice"),
    ({"emails": "a@example.com"}, "multicloud-vpn:monitoring.emails", "YAML list"),
    ({"snsTopicArn": "network-alarms"}, "multicloud-vpn:monitoring.snsTopicArn", "ARN"),
    ({"snsTopicArn": "arn:aws:sqs:ap-northeast-1:123456789012:q"}, "multicloud-vpn:monitoring.snsTopicArn",
     "ARN"),
    ({"snsTopicArn": TOPIC_ARN + ".fifo"}, "multicloud-vpn:monitoring.snsTopicArn", "FIFO"),
    ({"snsTopicArn": TOPIC_ARN.replace("ap-northeast-1", "us-east-1")},
     "multicloud-vpn:monitoring.snsTopicArn", "aws:region"),
    ({"notificationChannels": ["1234567890"]}, "multicloud-vpn:monitoring.notificationChannels[0]",
     "notification channel"),
    ({"notificationChannels": ["projects/p/notificationChannels/12"]},
     "multicloud-vpn:monitoring.notificationChannels[0]", "notification channel"),
    ({"enabled": "yes"}, "multicloud-vpn:monitoring.enabled", "true or false"),
    ({"email": ["a@example.com"]}, "multicloud-vpn:monitoring.email", "did you mean emails?"),
])
def test_bad_monitoring_settings_name_the_key(monitoring, key, fragment):
    error = settings_error(monitoring)
    assert error.key == key and fragment in str(error), str(error)


def test_a_misspelt_section_name_is_refused():
    config = copy.deepcopy(stack_config("prod"))
    config["multicloud-vpn:monitor"] = {"emails": EMAILS}
    with pytest.raises(SettingsError) as raised:
        load_settings(to_pulumi_config(config), ROOT_DIR)
    assert "did you mean multicloud-vpn:monitoring" in str(raised.value)


def test_the_reference_table_lists_every_field_the_parser_reads():
    section = Section("multicloud-vpn:monitoring", {"emails": EMAILS, "snsTopicArn": TOPIC_ARN,
                                                    "notificationChannels": [CHANNEL_ID]})
    settings = parse_monitoring(section, aws_region="ap-northeast-1")
    assert settings.emails == tuple(EMAILS) and settings.sns_topic_arn == TOPIC_ARN
    table = reference.section_for("multicloud-vpn:monitoring")
    assert table is not None and section.fields_read == {f.name for f in table.fields}
    default = load_settings(to_pulumi_config(stack_config("dev")), ROOT_DIR).monitoring
    assert default.enabled and not default.notifies_anyone
