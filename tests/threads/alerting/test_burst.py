"""An incident-sized burst: every delivery due at once goes out in one run, side by side, and a
slow endpoint holds up nothing but itself. Time is frozen; only the local servers are real."""

import threading
from datetime import timedelta

import pytest

from slaops import stopping
from tests.threads.test_delivery import NOW, breach, channel, configure, run, travel
from threads import tasks
from threads.alerting.delivery import deliver_due
from threads.models import Delivery

pytestmark = [pytest.mark.django_db]


def slack_alerts(web) -> int:
    """Alerts the Slack stand-in heard of: one per message, or a grouped message's count."""
    count = 0
    for request in web.to("/slack"):
        header = request.json()["blocks"][0]["text"]["text"]
        count += int(header.split()[0]) if header.endswith(" SLA alerts") else 1
    return count


def three_channels(web, mail, *, slow=None):
    hook = web.script("/hook", [slow] if slow else ["200"])
    configure(
        channels=[
            channel("slack", url=web.script("/slack", ["200"])),
            channel("webhook", url=hook),
            channel("email", addresses="oncall@example.com"),
        ]
    )


def test_600_deliveries_due_at_once_all_go_out_in_one_run_without_waiting_for_the_next_minute(
    web, mail
):
    three_channels(web, mail)
    for i in range(200):
        breach(f"outage {i}")
    assert Delivery.objects.filter(status="pending").count() == 600

    report = run()

    assert (report.sent, report.more) == (600, False)
    assert len(web.to("/hook")) == len(mail.received) == slack_alerts(web) == 200
    # Slack takes about a message a second: the burst reaches it in a few grouped messages.
    assert len(web.to("/slack")) <= 10
    assert Delivery.objects.exclude(status="sent").count() == 0


def test_a_slow_webhook_holds_up_neither_slack_nor_email(web, mail, settings):
    settings.SLA_DELIVERY_PER_DESTINATION = 2
    others_done = threading.Event()
    hook_seen = []

    def slow(request):
        # Answers only once Slack and e-mail have all arrived: with the slow endpoint taking
        # every thread this would wait for its own timeout.
        hook_seen.append(others_done.wait(timeout=10))
        return "200"

    three_channels(web, mail, slow=slow)
    for i in range(20):
        breach(f"outage {i}")

    def watch():
        while not others_done.is_set():
            if slack_alerts(web) == 20 and len(mail.received) == 20:
                others_done.set()
            others_done.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    report = run()
    others_done.set()

    assert report.sent == 60
    assert len(hook_seen) == 20 and all(hook_seen)


def test_a_run_whose_time_is_used_hands_over_to_a_next_run_at_once(web, mail, monkeypatch):
    three_channels(web, mail)
    breach()
    queued = []
    monkeypatch.setattr(tasks, "deliver_soon", lambda: queued.append("deliver"))
    monkeypatch.setattr(
        "threads.alerting.delivery.deliver_due",
        lambda **kw: deliver_due(**{**kw, "budget": timedelta(0)}),
    )

    with travel(NOW):
        tasks.deliver()

    assert queued == ["deliver"]
    assert Delivery.objects.filter(status="pending").count() == 3


def test_a_stopping_cluster_claims_nothing_new(web, mail, monkeypatch):
    three_channels(web, mail)
    breach()
    monkeypatch.setattr(stopping._STOPPING, "value", 1)
    queued = []
    monkeypatch.setattr(tasks, "deliver_soon", lambda: queued.append("deliver"))

    with travel(NOW):
        assert deliver_due().sent == 0
        tasks.deliver()

    assert queued == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}


def test_a_run_ending_while_another_worker_holds_claims_hands_over_so_they_are_not_left_a_minute(
    web, mail, monkeypatch, settings
):
    settings.SLA_DELIVERY_RUN_SECONDS = 1
    three_channels(web, mail)
    breach()
    Delivery.objects.filter(kind="webhook").update(
        status="sending", claimed_until=NOW + timedelta(seconds=15)
    )
    queued = []
    monkeypatch.setattr(tasks, "deliver_soon", lambda: queued.append("deliver"))

    with travel(NOW):
        tasks.deliver()

    assert queued == ["deliver"]
    assert Delivery.objects.filter(status="sent").count() == 2
