"""Operator alerts: a channel failing, a mailbox not polled, the evaluator stopped reach the
operator channel once per incident, then "Recovered" once; rate-limited; time frozen."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from mail.models import Mailbox
from policies.models import AlertChannel
from slaops.health import heartbeats
from slaops.health.incidents import run_operator_alerts
from slaops.models import OperatorIncident
from tests.factories import policy, tier
from tests.threads.servers import http_server
from threads.models import Delivery, SlaEvent
from threads.services import thread_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        heartbeats.beat(heartbeats.EVALUATOR, at=NOW - timedelta(seconds=10))
        yield traveller


@pytest.fixture
def ops_hook():
    with http_server({"/ops": ["200"]}) as server:
        AlertChannel.objects.create(
            name="Ops hook", kind="webhook", url=server.url("/ops"), operator_alerts=True
        )
        yield server


def _failing_delivery() -> Delivery:
    tier("Free", default=True)
    policy("Standard")
    thread_create(subject="Printer on fire", first_message="Help")
    channel = AlertChannel.objects.create(name="Ops Slack", kind="webhook", url="https://x.test/")
    return Delivery.objects.create(
        event=SlaEvent.objects.first(),
        kind="webhook",
        channel=channel,
        recipient=f"channel:{channel.pk}",
        status=Delivery.Status.RETRYING,
        created_at=NOW - timedelta(minutes=11),
    )


def sent(server) -> list[dict]:
    return [request.json() for request in server.to("/ops")]


def test_a_failing_channel_is_announced_once_then_recovered_once(ops_hook, frozen):
    delivery = _failing_delivery()
    run_operator_alerts()
    frozen.shift(60)
    run_operator_alerts()
    [alert] = sent(ops_hook)
    assert alert["type"] == "sla.operator" and alert["event"] == "operator.incident"
    assert alert["data"]["title"] == "SLA Ops: Alerts to “Ops Slack” failing for 11 minutes"
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    frozen.shift(60)
    run_operator_alerts()
    run_operator_alerts()
    recovered = sent(ops_hook)[1:]
    assert [a["event"] for a in recovered] == ["operator.recovered"]
    assert recovered[0]["data"]["title"].startswith("Recovered: Alerts to “Ops Slack”")
    incident = OperatorIncident.objects.get()
    assert incident.ended_at == NOW + timedelta(seconds=120)


def test_a_problem_back_within_the_quiet_time_is_not_announced_again(ops_hook, frozen):
    delivery = _failing_delivery()
    run_operator_alerts()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    frozen.shift(60)
    run_operator_alerts()  # recovered
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.RETRYING)
    frozen.shift(60)
    run_operator_alerts()  # back after 2 minutes: recorded, not sent
    assert [a["event"] for a in sent(ops_hook)] == ["operator.incident", "operator.recovered"]
    assert OperatorIncident.objects.filter(ended_at__isnull=True, announced=False).count() == 1
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    frozen.shift(60)
    heartbeats.beat(heartbeats.EVALUATOR)  # the evaluator works on
    run_operator_alerts()  # its recovery is not sent either
    assert len(sent(ops_hook)) == 2


def test_a_stopped_evaluator_is_an_incident(ops_hook, frozen):
    frozen.shift(7 * 60)
    run_operator_alerts()
    [alert] = sent(ops_hook)
    assert alert["data"]["problem"] == "evaluator"
    assert "last evaluation 7 minutes ago" in alert["data"]["title"]


def test_a_mailbox_not_polled_is_an_incident(ops_hook):
    box = Mailbox.objects.create(name="Support", imap_host="imap.example.com", active=True)
    heartbeats.beat(heartbeats.mailbox_name(box.pk), at=NOW - timedelta(minutes=6))
    run_operator_alerts()
    [alert] = sent(ops_hook)
    assert alert["data"]["title"] == "SLA Ops: Mailbox “Support” not polled for 6 minutes"


def test_without_an_operator_channel_the_managers_get_an_email(manager, frozen):
    frozen.shift(5 * 60)
    run_operator_alerts()
    [message] = mail.outbox
    assert message.to == ["maria@example.com"]
    assert message.subject.startswith("[SLA] SLA Ops: The SLA evaluator is stopped")


def test_when_the_operator_channel_fails_the_managers_get_an_email(manager, frozen):
    with http_server({"/ops": ["500"]}) as server:
        AlertChannel.objects.create(
            name="Ops hook", kind="webhook", url=server.url("/ops"), operator_alerts=True
        )
        frozen.shift(5 * 60)
        run_operator_alerts()
    assert len(mail.outbox) == 1


def test_nothing_wrong_nothing_sent(ops_hook):
    assert run_operator_alerts() == "0 incidents opened, 0 recovered, 0 open, 0 sent"
    assert not sent(ops_hook) and not OperatorIncident.objects.exists()


def test_an_operator_alert_nobody_took_is_sent_by_a_later_run_once(frozen):
    """No channel took it and no manager has an address: the next runs try again, and the
    recovery goes out only after its start, each once."""
    with http_server({"/ops": ["500", "500", "200", "200"]}) as server:
        AlertChannel.objects.create(
            name="Ops hook", kind="webhook", url=server.url("/ops"), operator_alerts=True
        )
        frozen.shift(5 * 60)
        run_operator_alerts()  # the evaluator stopped: the hook answers 500
        frozen.shift(60)
        heartbeats.beat(heartbeats.EVALUATOR)  # back before anyone heard of it
        run_operator_alerts()  # ended; its start is tried again (500): the recovery waits
        frozen.shift(60)
        run_operator_alerts()  # start, then recovery
        run_operator_alerts()  # nothing left
        events = [request.json()["event"] for request in server.to("/ops")]
    assert events == [
        "operator.incident",
        "operator.incident",
        "operator.incident",
        "operator.recovered",
    ]
    incident = OperatorIncident.objects.get()
    assert incident.announced_at == NOW + timedelta(minutes=7)
    assert incident.recovery_sent_at == NOW + timedelta(minutes=7)


def test_an_operator_alert_is_not_retried_past_the_retry_time(frozen, settings):
    settings.SLA_OPERATOR_ALERT_RETRY_MINUTES = 2
    with http_server({"/ops": ["500"] * 10}) as server:
        AlertChannel.objects.create(
            name="Ops hook", kind="webhook", url=server.url("/ops"), operator_alerts=True
        )
        frozen.shift(5 * 60)
        for _ in range(5):
            run_operator_alerts()
            frozen.shift(60)
        tried = len(server.to("/ops"))
    assert tried == 3  # at 5, 6 and 7 minutes; then it is given up
