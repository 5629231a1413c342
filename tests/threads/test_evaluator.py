"""The evaluator: every warning, breach and escalation once, to the right people, on time."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from accounts.models import Team
from policies.models import AlertChannel, EscalationLevel, NotificationRule
from tests.factories import office_calendar, policy, tier
from threads.evaluator import evaluate
from threads.models import ClockState, Delivery, EventKind, Notification, SlaClock, SlaEvent
from threads.services import agent_reply, thread_create

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def setup(agent, other_agent, manager):
    tier("Free", default=True)
    support = Team.objects.create(name="Support")
    support.members.add(agent)
    escalation_team = Team.objects.create(name="Escalations")
    escalation_team.members.add(other_agent)
    gold = policy(
        "Gold",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("resolution", "", 480)],
        thresholds=[("percent_used", 50), ("minutes_before", 15)],
    )
    EscalationLevel.objects.create(
        policy=gold,
        level=1,
        after=timedelta(minutes=30),
        reassign_team=escalation_team,
        raise_priority="urgent",
    )
    slack = AlertChannel.objects.create(name="#support", kind="slack", url="http://127.0.0.1:9/x")
    hook = AlertChannel.objects.create(name="CRM", kind="webhook", url="http://127.0.0.1:9/hook")
    rules = [
        NotificationRule(
            policy=gold, events=["warning"], metrics=["first_response"], to_assignee=True
        ),
        NotificationRule(policy=gold, events=["breaching"], to_team=True, in_app=False),
        NotificationRule(policy=gold, events=["escalated"], to_managers=True, by_email=False),
        NotificationRule(policy=gold, events=["achieved", "breached", "cancelled"]),
    ]
    for rule in rules:
        rule.save()
    rules[1].channels.add(slack)
    rules[3].channels.add(hook)
    return {"policy": gold, "slack": slack, "hook": hook, "support": support}


def open_thread(at, **kwargs):
    with time_machine.travel(at, tick=False):
        return thread_create(subject="Printer on fire", first_message="help", **kwargs).thread


def tick(at):
    with time_machine.travel(at, tick=False):
        return evaluate()


def outbox():
    return [
        (d.event.kind, d.kind, d.recipient)
        for d in Delivery.objects.select_related("event").order_by("event__at", "id")
    ]


def test_a_thread_lives_through_warnings_breach_escalation_and_a_late_reply(setup, agent):
    thread = open_thread(berlin(23, 10), team=setup["support"], assignee=agent)
    assert tick(berlin(23, 10, 29)).events == 0
    tick(berlin(23, 10, 31))
    tick(berlin(23, 10, 32))  # the same warning never fires twice
    assert outbox() == [("warning", "email", "alex@example.com")]
    tick(berlin(23, 10, 46))
    tick(berlin(23, 11, 1))
    first = SlaClock.objects.get(thread=thread, metric="first_response")
    assert first.state == ClockState.BREACHING
    tick(berlin(23, 11, 31))
    thread.refresh_from_db()
    assert (thread.priority, thread.team.name) == ("urgent", "Escalations")
    with time_machine.travel(berlin(23, 11, 40), tick=False):
        agent_reply(thread=thread, author=agent, body="sorry")
    kinds = list(
        SlaEvent.objects.filter(clock__metric="first_response").values_list("kind", flat=True)
    )
    assert kinds == ["started", "warning", "warning", "breaching", "escalated", "breached"]
    assert outbox() == [
        ("warning", "email", "alex@example.com"),
        ("warning", "email", "alex@example.com"),
        ("breaching", "email", "alex@example.com"),
        ("breaching", "slack", f"channel:{setup['slack'].pk}"),
        ("breached", "webhook", f"channel:{setup['hook'].pk}"),
    ]
    managers = Group.objects.get(name="Managers").user_set.all()
    assert set(
        Notification.objects.filter(event__kind="escalated").values_list("user", flat=True)
    ) == {m.pk for m in managers}


def test_a_clock_answered_between_warning_and_breach_never_breaches(setup, agent):
    thread = open_thread(berlin(23, 10), team=setup["support"], assignee=agent)
    tick(berlin(23, 10, 31))
    with time_machine.travel(berlin(23, 10, 40), tick=False):
        agent_reply(thread=thread, author=agent, body="on it")
    tick(berlin(23, 11, 30))
    first = SlaClock.objects.get(thread=thread, metric="first_response")
    assert first.state == ClockState.ACHIEVED
    assert [k for k, _, _ in outbox()] == ["warning", "achieved"]


def test_escalation_due_after_the_clock_stopped_never_fires(setup, agent):
    thread = open_thread(berlin(23, 10), team=setup["support"])
    tick(berlin(23, 11, 1))
    with time_machine.travel(berlin(23, 11, 10), tick=False):
        agent_reply(thread=thread, author=agent, body="late")
    tick(berlin(23, 12))
    assert not SlaEvent.objects.filter(kind=EventKind.ESCALATED).exists()


def test_alerts_outside_business_hours_wait_for_the_calendar_to_open(setup, agent):
    open_thread(berlin(27, 16, 30), team=setup["support"], assignee=agent)  # Friday
    tick(berlin(27, 17, 5))  # 50% warning fell at closing time, 17:00
    [delivery] = Delivery.objects.filter(event__kind="warning")
    assert delivery.held_for_quiet_hours
    assert delivery.next_attempt_at == berlin(30, 9)
    assert Notification.objects.filter(event__kind="warning").count() == 1  # in-app is not held


def test_policies_that_page_around_the_clock_are_not_held(setup, agent):
    setup["policy"].page_24_7 = True
    setup["policy"].save()
    open_thread(berlin(27, 16, 30), team=setup["support"], assignee=agent)
    tick(berlin(27, 17, 5))
    [delivery] = Delivery.objects.filter(event__kind="warning")
    assert not delivery.held_for_quiet_hours
    assert delivery.next_attempt_at == berlin(27, 17, 5)


def test_two_evaluator_runs_at_once_alert_once(setup, agent):
    open_thread(berlin(23, 10), team=setup["support"], assignee=agent)
    tick(berlin(23, 11, 1))
    tick(berlin(23, 11, 1))
    assert SlaEvent.objects.filter(kind="breaching").count() == 1
    assert Delivery.objects.filter(event__kind="breaching").count() == 2  # team e-mail + Slack


def test_imported_history_is_never_alerted(setup, tmp_path, agent):
    import json

    from django.core.management import call_command

    row = {
        "external_id": "old-1",
        "subject": "Old",
        "created_at": berlin(2, 10).isoformat(),
        "events": [{"type": "customer_message", "at": berlin(2, 10).isoformat()}],
    }
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with time_machine.travel(berlin(23, 12), tick=False):
        call_command("import_threads", str(path))
    assert SlaEvent.objects.filter(kind="breaching", historical=True).count() == 2  # FRT, RT
    tick(berlin(23, 12, 1))
    assert not Delivery.objects.exists()


def test_the_evaluator_reads_only_due_clocks(setup, django_assert_max_num_queries):
    for minute in range(20):
        open_thread(berlin(23, 10, minute))  # due 11:00–11:19
    with django_assert_max_num_queries(4):  # nothing due: four index lookups, nothing else
        assert tick(berlin(23, 10, 25)).events == 0
    queries = []
    for n in (1, 10):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        SlaClock.objects.filter(state="breaching").update(escalate_at=None)
        with CaptureQueriesContext(connection) as captured:
            tick(berlin(23, 11, n))
        queries.append(len(captured.captured_queries))
    assert queries[1] <= queries[0] + 2  # ten due threads cost about what one does
