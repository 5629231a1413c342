"""/status: 200 while the alerting works, 503 when a critical part stops, detail for staff only."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from mail.models import Mailbox
from slackapp.models import SlackApp, SlackEvent
from slaops.health import heartbeats, probes
from tests.factories import policy, tier
from threads.models import Delivery, SlaClock, SlaEvent
from threads.services import thread_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TOKEN = "s3cret-metrics-token"


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.METRICS_TOKEN = TOKEN
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ago(seconds: int) -> datetime:
    return NOW - timedelta(seconds=seconds)


@pytest.fixture
def working():
    """A cluster that beat 30 s ago and an evaluator that ticked 20 s ago."""
    heartbeats.beat("cluster:a1b2c3d4", at=ago(30))
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(20))


def status(client, **headers):
    response = client.get("/status", headers=headers)
    return response.status_code, response.json()


def detail(client):
    return status(client, Authorization=f"Bearer {TOKEN}")


def test_all_well_is_200_ok_with_every_check(client, working):
    code, body = detail(client)
    assert code == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "task_cluster",
        "evaluator",
        "alert_delivery",
        "mail_polls",
        "slack_events",
        "cache",
    }
    assert body["checks"]["task_cluster"]["last_beat_seconds_ago"] == 30
    assert body["checks"]["evaluator"]["last_tick_seconds_ago"] == 20


def test_anonymous_callers_and_agents_learn_only_the_overall_state(client, agent, working):
    assert status(client) == (200, {"status": "ok"})
    client.force_login(agent)
    assert status(client) == (200, {"status": "ok"})


def test_staff_read_the_checks(client, manager, working):
    client.force_login(manager)
    assert "checks" in status(client)[1]


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", f"Token {TOKEN}", "Bearer ", TOKEN])
def test_a_wrong_token_reads_no_detail(client, working, header):
    assert status(client, Authorization=header) == (200, {"status": "ok"})


def test_no_token_configured_opens_nothing(client, settings, working):
    settings.METRICS_TOKEN = ""
    assert status(client, Authorization="Bearer ") == (200, {"status": "ok"})


def test_a_cluster_silent_for_more_than_two_minutes_fails_status(client, working, frozen):
    heartbeats.beat("cluster:a1b2c3d4", at=ago(120))
    assert detail(client)[0] == 200
    frozen.shift(timedelta(seconds=1))
    heartbeats.beat(heartbeats.EVALUATOR)  # only the cluster is late
    code, body = detail(client)
    assert code == 503 and body["status"] == "failing"
    assert body["checks"]["task_cluster"]["state"] == "failing"
    assert status(client) == (503, {"status": "failing"})


def test_one_cluster_of_two_silent_is_degraded_not_failing(client, working):
    heartbeats.beat("cluster:0000ffff", at=ago(600))
    code, body = detail(client)
    assert code == 200 and body["status"] == "degraded"
    cluster = body["checks"]["task_cluster"]
    assert (cluster["state"], cluster["clusters_beating"], cluster["clusters_silent"]) == (
        "degraded",
        1,
        1,
    )


def test_no_cluster_ever_seen_fails(client):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(5))
    assert detail(client)[1]["checks"]["task_cluster"]["state"] == "failing"


def test_an_evaluator_tick_older_than_three_minutes_fails(client, working):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(180))
    assert detail(client)[0] == 200
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(181))
    code, body = detail(client)
    assert code == 503 and body["checks"]["evaluator"]["state"] == "failing"


def _clock_due(seconds_ago: int) -> SlaClock:
    tier("Free", default=True)
    policy("Standard")
    thread = thread_create(subject="Printer on fire", first_message="Help").thread
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    SlaClock.objects.filter(pk=clock.pk).update(due_at=ago(seconds_ago), warn_at=None)
    return clock


def test_the_evaluator_lag_is_the_oldest_due_clock_not_yet_evaluated(client, working):
    _clock_due(120)
    code, body = detail(client)
    assert code == 200 and body["checks"]["evaluator"]["lag_seconds"] == 120
    SlaClock.objects.update(due_at=ago(121))
    code, body = detail(client)
    assert code == 503 and body["checks"]["evaluator"]["state"] == "failing"


def test_an_alert_due_and_not_sent_is_degraded_not_503(client, working):
    _clock_due(10)
    event = SlaEvent.objects.first()
    due = Delivery.objects.create(
        event=event, kind="email", recipient="a@x.example", next_attempt_at=ago(121)
    )
    code, body = detail(client)
    assert code == 200 and body["checks"]["alert_delivery"]["state"] == "degraded"
    assert body["checks"]["alert_delivery"]["oldest_due_seconds"] == 121
    # Held for quiet hours or backing off: due later, not late.
    Delivery.objects.filter(pk=due.pk).update(
        status="retrying", next_attempt_at=NOW + timedelta(minutes=5)
    )
    Delivery.objects.create(
        event=event,
        kind="email",
        recipient="b@x.example",
        held_for_quiet_hours=True,
        next_attempt_at=NOW + timedelta(hours=8),
    )
    assert detail(client)[1]["checks"]["alert_delivery"]["state"] == "ok"


def test_an_imap_mailbox_without_a_recent_successful_poll_is_degraded(client, working):
    box = Mailbox.objects.create(
        name="Support",
        address="support@acme.example",
        imap_host="imap.internal.acme.example",
        last_error="could not reach imap.internal.acme.example",
    )
    Mailbox.objects.create(name="Webhook only", address="hook@acme.example")  # no poll check
    response = client.get("/status", headers={"Authorization": f"Bearer {TOKEN}"})
    polls = response.json()["checks"]["mail_polls"]
    assert response.status_code == 200 and polls["state"] == "degraded"
    assert polls["mailboxes"] == [{"id": box.pk, "name": "Support", "last_poll_seconds_ago": None}]
    assert b"internal" not in response.content  # no host name, no error text
    heartbeats.beat(heartbeats.mailbox_name(box.pk), at=ago(300))
    assert detail(client)[1]["checks"]["mail_polls"]["state"] == "ok"
    heartbeats.beat(heartbeats.mailbox_name(box.pk), at=ago(301))
    assert detail(client)[1]["checks"]["mail_polls"]["state"] == "degraded"


def test_slack_events_unprocessed_after_two_minutes_are_degraded(client, working):
    app = SlackApp.objects.create(team_id="T1", bot_token="xoxb-1", signing_secret="s")
    SlackEvent.objects.create(app=app, event_id="Ev1", payload={}, received_at=ago(119))
    SlackEvent.objects.create(
        app=app, event_id="Ev2", payload={}, received_at=ago(900), status="done"
    )
    assert detail(client)[1]["checks"]["slack_events"]["state"] == "ok"
    SlackEvent.objects.create(app=app, event_id="Ev3", payload={}, received_at=ago(121))
    code, body = detail(client)
    slack = body["checks"]["slack_events"]
    assert code == 200 and (slack["state"], slack["unprocessed"], slack["oldest_seconds"]) == (
        "degraded",
        1,
        121,
    )


def test_a_broken_cache_is_degraded_not_503(client, working, monkeypatch):
    from slaops.health import checks

    def broken(*args, **kwargs):
        raise ConnectionError("cache.internal:6379")

    monkeypatch.setattr(checks.cache, "set", broken)
    code, body = detail(client)
    assert code == 200 and body["checks"]["cache"]["state"] == "degraded"
    assert "6379" not in str(body)


def test_a_database_that_does_not_answer_fails_and_the_rest_is_unknown(
    client, working, monkeypatch
):
    monkeypatch.setattr(probes.PROBE, "database_answers", lambda: False)
    code, body = detail(client)
    assert code == 503
    assert body["checks"]["database"]["state"] == "failing"
    assert body["checks"]["evaluator"] == {"state": "failing", "critical": True, "unknown": True}
    assert body["checks"]["slack_events"]["state"] == "degraded"
    assert body["checks"]["cache"]["state"] == "ok"
