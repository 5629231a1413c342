"""PagerDuty against a local stand-in of its Events API v2 that keeps incidents by dedup_key as
PagerDuty does: one incident per clock, whatever repeats, resolved when the clock stops."""

from datetime import datetime, timedelta

import pytest

from policies.models import AlertChannel, EscalationLevel, NotificationRule
from tests.threads.servers import pagerduty_server
from tests.threads.test_delivery import (
    BERLIN,
    DUE,
    MONDAY_10,
    NOW,
    breach,
    channel,
    configure,
    run,
    travel,
)
from threads.alerting.delivery import send_test_alert
from threads.models import Delivery, SlaClock
from threads.services import agent_reply, thread_catch_up, thread_create, thread_set_status

pytestmark = [pytest.mark.django_db, pytest.mark.both]

ROUTING_KEY = "R0UT1NGK3Y0000000000000000003f2a"  # 32 letters and digits, like PagerDuty's


@pytest.fixture
def pagerduty():
    with pagerduty_server() as server:
        yield server


def pager(server, **fields):
    return channel("pagerduty", "On call", url=server.url, secret=ROUTING_KEY, **fields)


def test_a_breach_opens_one_incident_and_the_agents_reply_resolves_it(pagerduty, agent):
    configure(channels=[pager(pagerduty)])  # the rule lists "breaching" only
    thread = breach(assignee=agent)
    clock = SlaClock.objects.get(thread=thread)

    run()
    with travel(NOW + timedelta(minutes=10)):
        thread_catch_up(thread=thread)  # the evaluator again: nothing new to page
    run(NOW + timedelta(minutes=10))

    key = f"slaops-clock-{clock.pk}@sla.example.com"
    assert pagerduty.opened == [key]
    [trigger] = pagerduty.events("trigger")
    assert trigger["routing_key"] == ROUTING_KEY
    assert (
        trigger["payload"]["summary"] == f"First response breaching: #{thread.pk} Printer on fire"
    )
    assert trigger["payload"]["severity"] == "warning"  # a normal-priority thread
    assert trigger["links"][0]["href"] == f"https://sla.example.com/threads/{thread.pk}/"

    with travel(NOW + timedelta(minutes=20)):
        agent_reply(thread=thread, author=agent, body="On it")
    run(NOW + timedelta(minutes=20))
    run(NOW + timedelta(minutes=25))

    assert pagerduty.events("resolve") == [
        {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": key}
    ]
    assert pagerduty.incidents == {key: "resolved"}
    assert [(d.event.kind, d.status) for d in Delivery.objects.order_by("id")] == [
        ("breaching", "sent"),
        ("breached", "sent"),  # not listed in the rule: the channel follows its page's stop
    ]


def test_a_retried_trigger_keeps_its_dedup_key_and_opens_no_second_incident(agent):
    with pagerduty_server(fail=["503", "429"]) as pagerduty:
        configure(channels=[pager(pagerduty)])
        breach()

        assert run().retrying == 1
        sent = Delivery.objects.get()
        assert "PagerDuty answered 503 Service Unavailable" in sent.last_error
        run(sent.next_attempt_at)
        sent.refresh_from_db()
        run(sent.next_attempt_at)

    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.response_code) == ("sent", 3, 202)
    keys = {event["dedup_key"] for event in pagerduty.events("trigger")}
    assert len(pagerduty.events("trigger")) == 3 and len(keys) == 1
    assert pagerduty.opened == list(keys)


def test_a_trigger_still_retrying_when_the_clock_stops_is_dropped_not_reopened(agent):
    with pagerduty_server(fail=["503"]) as pagerduty:
        configure(channels=[pager(pagerduty)])
        thread = breach(assignee=agent)
        assert run().retrying == 1
        with travel(NOW + timedelta(seconds=10)):
            agent_reply(thread=thread, author=agent, body="On it")  # before the retry is due
        run(NOW + timedelta(hours=2))

    trigger, resolve = Delivery.objects.order_by("id")
    assert trigger.status == "dead"
    assert trigger.last_error == "Dropped: no longer true, the clock is breached now."
    assert resolve.status == "sent"
    assert [e["event_action"] for e in pagerduty.events()] == ["trigger", "resolve"]
    assert pagerduty.opened == []  # the one trigger that arrived was refused (503)


def test_the_same_trigger_sent_twice_adds_to_the_open_incident(pagerduty):
    configure(channels=[pager(pagerduty)])
    breach()
    run()
    Delivery.objects.update(status=Delivery.Status.PENDING, next_attempt_at=NOW)  # a repeat

    run()

    assert len(pagerduty.events("trigger")) == 2 and len(pagerduty.opened) == 1


def test_an_escalation_level_re_triggers_the_same_incident_at_its_new_priority(pagerduty):
    standard = configure(channels=[pager(pagerduty)])
    EscalationLevel.objects.create(
        policy=standard, level=1, after=timedelta(minutes=30), raise_priority="urgent"
    )
    rule = NotificationRule.objects.get(policy=standard)
    rule.events = ["breaching", "escalated"]
    rule.save()
    thread = breach()
    run()
    with travel(DUE + timedelta(minutes=35)):
        thread_catch_up(thread=thread)
    run(DUE + timedelta(minutes=35))

    first, second = pagerduty.events("trigger")
    assert first["dedup_key"] == second["dedup_key"]
    assert second["payload"]["summary"].startswith("First response escalated (level 1)")
    assert second["payload"]["severity"] == "critical"  # the level raised the thread to urgent
    assert len(pagerduty.opened) == 1


def test_resolving_the_thread_resolves_the_incident(pagerduty):
    configure(channels=[pager(pagerduty)])
    thread = breach()
    run()

    with travel(NOW + timedelta(minutes=5)):
        thread_set_status(thread=thread, status="resolved")
    run(NOW + timedelta(minutes=5))

    assert len(pagerduty.events("resolve")) == 1
    assert set(pagerduty.incidents.values()) == {"resolved"}


def test_a_clock_that_never_paged_sends_pagerduty_nothing(pagerduty, agent):
    configure(channels=[pager(pagerduty)])
    with travel(MONDAY_10):
        thread = thread_create(subject="Fine", first_message="hi").thread
    with travel(MONDAY_10 + timedelta(minutes=10)):
        agent_reply(thread=thread, author=agent, body="Hello")  # achieved in time
    run(MONDAY_10 + timedelta(minutes=10))

    assert pagerduty.http.requests == [] and not Delivery.objects.exists()


def test_pagerduty_pages_outside_business_hours(pagerduty):
    configure(channels=[pager(pagerduty)], page_24_7=False, minutes=10)
    friday_1650 = datetime(2026, 11, 27, 16, 50, tzinfo=BERLIN)
    breach(opened=friday_1650, at=friday_1650 + timedelta(minutes=15))  # due after closing

    assert run(friday_1650 + timedelta(minutes=15)).sent == 1
    assert not Delivery.objects.get().held_for_quiet_hours
    assert len(pagerduty.opened) == 1


def test_a_refused_event_is_final_and_shows_pagerduty_s_reason(pagerduty):
    configure(channels=[pager(pagerduty)])
    AlertChannel.objects.update(secret="tooshort")  # stored some other way than the form
    breach()

    assert run().dead == 1
    error = Delivery.objects.get().last_error
    assert error.startswith("PagerDuty answered 400 Bad Request: Event object is invalid")
    assert "'routing_key' is incorrect" in error
    assert "tooshort" not in error


def test_a_test_alert_opens_and_closes_a_test_incident(pagerduty):
    [result] = send_test_alert(channel=pager(pagerduty))

    assert result.ok and result.message == "accepted (202)"
    assert [e["event_action"] for e in pagerduty.events()] == ["trigger", "resolve"]
    assert pagerduty.incidents == {"slaops-test@sla.example.com": "resolved"}


def test_a_url_that_is_not_pagerduty_never_gets_the_routing_key(pagerduty, settings):
    settings.SLA_HTTP_ALLOWED_HOSTS = []
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    hook = pager(pagerduty)
    hook.url = "https://collector.example.com/v2/enqueue"

    [result] = send_test_alert(channel=hook)

    assert not result.ok and "not PagerDuty's Events API" in result.message
    assert pagerduty.http.requests == []
