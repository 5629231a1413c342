"""Every clock rule of docs/rules.md, told as a support story with travelled time."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Account, Team
from tests.factories import office_calendar, policy, tier
from threads.models import ClockState, EventKind, SlaClock
from threads.services import (
    ThreadError,
    account_set_tier,
    agent_reply,
    message_receive,
    thread_create,
    thread_mark_no_reply_needed,
    thread_reopen,
    thread_resolve,
    thread_set_status,
    thread_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def office():
    return office_calendar(zone="Europe/Berlin")


@pytest.fixture
def standard(office):
    free = tier("Free", default=True)
    return policy(
        "Standard",
        calendar=office,
        tiers=[free],
        targets=[("first_response", "", 60), ("next_response", "", 120), ("resolution", "", 480)],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer", "on_hold"],
    )


def open_thread(at, **kwargs):
    with time_machine.travel(at, tick=False):
        return thread_create(subject="Printer on fire", first_message="Help", **kwargs).thread


def clock(thread, metric):
    return SlaClock.objects.filter(thread=thread, metric=metric).order_by("-id").first()


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_friday_1630_first_response_is_due_monday_0930(standard):
    thread = open_thread(berlin(27, 16, 30))
    first = clock(thread, "first_response")
    assert first.state == ClockState.PENDING
    assert first.due_at == berlin(30, 9, 30)
    assert first.warn_at == berlin(27, 17, 0)  # 50% of 1h runs out at Friday closing


def test_resolution_starts_with_the_thread(standard):
    thread = open_thread(berlin(23, 10))
    resolution = clock(thread, "resolution")
    assert resolution.started_at == berlin(23, 10)
    assert resolution.due_at == berlin(24, 10)  # 8h business: Mon 10-17 (7h) + Tue 9-10


def test_first_public_agent_reply_achieves_first_response(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 40)):
        agent_reply(thread=thread, author=agent, body="On it")
    first = clock(thread, "first_response")
    assert first.state == ClockState.ACHIEVED
    assert first.stopped_at == berlin(23, 10, 40)
    assert first.used == timedelta(minutes=40)


def test_a_late_reply_is_breached(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 11, 30)):
        agent_reply(thread=thread, author=agent, body="Sorry")
    first = clock(thread, "first_response")
    assert first.state == ClockState.BREACHED
    kinds = list(first.events.values_list("kind", flat=True))
    assert kinds == ["started", "warning", "breaching", "breached"]


def test_internal_notes_and_auto_replies_do_not_stop_the_clock(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 5)):
        agent_reply(thread=thread, author=agent, body="looking", public=False)
        agent_reply(thread=thread, body="We got your mail", automatic=True)
    assert clock(thread, "first_response").state == ClockState.PENDING


def test_a_thanks_that_needs_no_reply_starts_no_clock(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 10)):
        agent_reply(thread=thread, author=agent, body="Fixed")
    with at(berlin(23, 10, 20)):
        message_receive(thread=thread, body="thanks!", needs_reply=False)
    assert clock(thread, "next_response") is None


def test_next_response_starts_after_a_reply_and_is_not_restarted(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 10)):
        agent_reply(thread=thread, author=agent, body="Try turning it off")
    with at(berlin(23, 11)):
        message_receive(thread=thread, body="Still on fire")
    with at(berlin(23, 11, 30)):
        message_receive(thread=thread, body="Hello??")
    clocks = SlaClock.objects.filter(thread=thread, metric="next_response")
    assert clocks.count() == 1
    assert clocks.get().started_at == berlin(23, 11)
    assert clocks.get().due_at == berlin(23, 13)


def test_customer_messages_before_any_reply_do_not_start_next_response(standard):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 5)):
        message_receive(thread=thread, body="more details")
    assert clock(thread, "next_response") is None
    assert SlaClock.objects.filter(thread=thread, metric="first_response").count() == 1


def test_no_reply_needed_cancels_the_response_clock(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 15)):
        thread_mark_no_reply_needed(thread=thread, actor=agent)
    first = clock(thread, "first_response")
    assert first.state == ClockState.CANCELLED
    assert clock(thread, "resolution").state == ClockState.PENDING


def test_resolving_ends_response_clocks_and_resolution(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 20)):
        thread_resolve(thread=thread, actor=agent)
    assert clock(thread, "first_response").state == ClockState.ACHIEVED
    assert clock(thread, "resolution").state == ClockState.ACHIEVED


def test_waiting_on_customer_pauses_resolution_with_a_reason(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 11)):
        thread_set_status(
            thread=thread, status="waiting_on_customer", actor=agent, reason="asked for logs"
        )
    resolution = clock(thread, "resolution")
    assert resolution.paused and resolution.due_at is None
    assert resolution.used == timedelta(hours=1)
    paused = resolution.events.get(kind=EventKind.PAUSED)
    assert paused.details["reason"] == "asked for logs" and paused.actor == agent
    with at(berlin(24, 10)):
        thread_set_status(thread=thread, status="open", actor=agent)
    resolution.refresh_from_db()
    assert not resolution.paused
    assert resolution.due_at == berlin(24, 17)  # 7h left from Tue 10:00


def test_pausing_needs_a_reason(standard, agent):
    thread = open_thread(berlin(23, 10))
    with pytest.raises(ThreadError) as error, at(berlin(23, 11)):
        thread_set_status(thread=thread, status="on_hold", actor=agent)
    assert error.value.field == "reason"


def test_a_customer_writing_while_on_hold_is_flagged_and_the_wait_goes_on(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 11)):
        thread_set_status(thread=thread, status="on_hold", actor=agent, reason="vendor")
    with at(berlin(23, 12)):
        message_receive(thread=thread, body="any news?")
    thread.refresh_from_db()
    assert thread.status == "on_hold"
    assert clock(thread, "resolution").paused
    assert thread.events.filter(kind=EventKind.CUSTOMER_WROTE_WHILE_PAUSED).count() == 1


def test_the_customers_answer_ends_waiting_on_customer_and_resolution_resumes_then(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 11)):
        thread_set_status(thread=thread, status="waiting_on_customer", actor=agent, reason="logs")
    with at(berlin(24, 9)):
        message_receive(thread=thread, body="here are the logs")
    thread.refresh_from_db()
    resolution = clock(thread, "resolution")
    assert thread.status == "open"
    assert not resolution.paused and resolution.running_since == berlin(24, 9)
    # 1h used on Monday; the rest of the 8h target from Tuesday 09:00.
    assert resolution.used == timedelta(hours=1)
    assert resolution.due_at is not None
    reopened = thread.events.get(
        kind=EventKind.THREAD_CHANGED, details__field="status", at=berlin(24, 9)
    )
    assert reopened.details["rule"] == "reply_ends_wait"
    assert reopened.details["new"] == "open"
    assert not thread.events.filter(kind=EventKind.CUSTOMER_WROTE_WHILE_PAUSED).exists()


def test_an_automatic_reply_or_a_thanks_does_not_end_the_wait(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 11)):
        thread_set_status(thread=thread, status="waiting_on_customer", actor=agent, reason="logs")
    with at(berlin(23, 12)):
        message_receive(thread=thread, body="I am out of office", automatic=True)
        message_receive(thread=thread, body="thanks", needs_reply=False)
    thread.refresh_from_db()
    assert thread.status == "waiting_on_customer"
    assert clock(thread, "resolution").paused


def test_a_policy_can_keep_waiting_on_customer_a_flag_only_wait(standard, agent):
    standard.reply_resumes = []
    standard.save()
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 11)):
        thread_set_status(thread=thread, status="waiting_on_customer", actor=agent, reason="logs")
    with at(berlin(23, 12)):
        message_receive(thread=thread, body="here are the logs")
    thread.refresh_from_db()
    assert thread.status == "waiting_on_customer"
    assert thread.events.filter(kind=EventKind.CUSTOMER_WROTE_WHILE_PAUSED).count() == 1


def test_reopening_resumes_resolution_with_the_time_already_used(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 12)):
        thread_resolve(thread=thread, actor=agent)
    with at(berlin(25, 9)):
        thread_reopen(thread=thread, actor=agent)
    resolution = clock(thread, "resolution")
    assert SlaClock.objects.filter(thread=thread, metric="resolution").count() == 1
    assert resolution.state == ClockState.PENDING
    assert resolution.used == timedelta(hours=2)
    assert resolution.due_at == berlin(25, 15)


def test_a_customer_writing_on_a_resolved_thread_reopens_it(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 30)):
        agent_reply(thread=thread, author=agent, body="done")
        thread_resolve(thread=thread, actor=agent)
    with at(berlin(23, 14)):
        message_receive(thread=thread, body="it is back")
    thread.refresh_from_db()
    assert thread.status == "open"
    assert clock(thread, "next_response").state == ClockState.PENDING
    assert clock(thread, "resolution").is_running


def test_first_matching_policy_decides_and_default_tier_applies(office):
    free = tier("Free", default=True)
    gold = tier("Gold")
    policy("Gold", calendar=office, tiers=[gold], order=10, targets=[("first_response", "", 30)])
    policy("Free", calendar=office, tiers=[free], order=20, targets=[("first_response", "", 240)])
    vip = Account.objects.create(name="VIP", tier=gold)
    nobody = Account.objects.create(name="Nobody")
    gold_thread = open_thread(berlin(23, 10), account=vip)
    free_thread = open_thread(berlin(23, 10), account=nobody)
    assert gold_thread.policy.name == "Gold"
    assert clock(gold_thread, "first_response").due_at == berlin(23, 10, 30)
    assert free_thread.policy.name == "Free" and free_thread.tier == free
    assert clock(free_thread, "first_response").due_at == berlin(23, 14)


def test_customer_time_zone_option_uses_the_accounts_zone(office):
    tier("Free", default=True)
    policy("Local", calendar=office, use_customer_time_zone=True)
    ny = Account.objects.create(name="NY", time_zone="America/New_York")
    start = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    thread = open_thread(start, account=ny)
    first = clock(thread, "first_response")
    assert first.zone == "America/New_York"
    assert first.due_at == datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def test_no_matching_policy_means_no_clocks_and_the_thread_says_so(office):
    tier("Free", default=True)
    policy("Urgent only", calendar=office, priorities=["urgent"])
    thread = open_thread(berlin(23, 10), priority="low")
    assert thread.policy is None
    assert not SlaClock.objects.filter(thread=thread).exists()
    assert thread.events.filter(kind=EventKind.NO_POLICY).exists()


def test_raising_priority_retargets_running_clocks_keeping_their_start(office, agent):
    tier("Free", default=True)
    policy(
        "Urgent",
        calendar=office,
        priorities=["urgent"],
        order=10,
        targets=[("first_response", "", 30)],
    )
    policy("Normal", calendar=office, order=20, targets=[("first_response", "", 240)])
    thread = open_thread(berlin(23, 10))
    assert clock(thread, "first_response").due_at == berlin(23, 14)
    with at(berlin(23, 10, 10)):
        thread_update(thread=thread, priority="urgent", actor=agent)
    first = clock(thread, "first_response")
    assert first.started_at == berlin(23, 10)
    assert first.due_at == berlin(23, 10, 30)
    assert first.state == ClockState.PENDING
    event = first.events.get(kind=EventKind.RETARGETED)
    assert event.details["old"]["policy"] == "Normal" and event.details["new"]["policy"] == "Urgent"


def test_retargeting_past_the_new_due_time_breaches_at_once(office, agent):
    tier("Free", default=True)
    policy(
        "Urgent",
        calendar=office,
        priorities=["urgent"],
        order=10,
        targets=[("first_response", "", 30)],
    )
    policy("Normal", calendar=office, order=20, targets=[("first_response", "", 240)])
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 11)):
        thread_update(thread=thread, priority="urgent", actor=agent)
    first = clock(thread, "first_response")
    assert first.state == ClockState.BREACHING
    assert first.due_at == berlin(23, 10, 30)
    assert first.events.filter(kind=EventKind.BREACHING).count() == 1


def test_finished_clocks_are_never_rewritten_by_a_rematch(office, agent):
    tier("Free", default=True)
    policy(
        "Urgent",
        calendar=office,
        priorities=["urgent"],
        order=10,
        targets=[("first_response", "", 30), ("resolution", "", 60)],
    )
    policy(
        "Normal",
        calendar=office,
        order=20,
        targets=[("first_response", "", 240), ("resolution", "", 480)],
    )
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 50)):
        agent_reply(thread=thread, author=agent, body="hi")
    before = SlaClock.objects.get(thread=thread, metric="first_response")
    with at(berlin(23, 11)):
        thread_update(thread=thread, priority="urgent", actor=agent)
    after = SlaClock.objects.get(thread=thread, metric="first_response")
    assert (
        (after.state, after.due_at, after.target_duration)
        == (before.state, before.due_at, before.target_duration)
        == (ClockState.ACHIEVED, berlin(23, 14), timedelta(hours=4))
    )


def test_team_change_can_move_a_thread_to_no_policy(office, agent):
    tier("Free", default=True)
    billing = Team.objects.create(name="Billing")
    support = Team.objects.create(name="Support")
    support_policy = policy("Support", calendar=office)
    support_policy.teams.set([support])
    thread = open_thread(berlin(23, 10), team=support)
    assert clock(thread, "first_response").is_running
    with at(berlin(23, 10, 5)):
        thread_update(thread=thread, team=billing, actor=agent)
    thread.refresh_from_db()
    assert thread.policy is None
    assert clock(thread, "first_response").state == ClockState.CANCELLED


def test_moving_an_account_to_another_tier_rematches_its_open_threads(office, agent):
    free = tier("Free", default=True)
    gold = tier("Gold")
    policy("Gold", calendar=office, tiers=[gold], order=10, targets=[("first_response", "", 30)])
    policy("Free", calendar=office, tiers=[free], order=20, targets=[("first_response", "", 240)])
    acme = Account.objects.create(name="Acme")
    thread = open_thread(berlin(23, 10), account=acme)
    with at(berlin(23, 10, 5)):
        assert account_set_tier(account=acme, tier=gold, actor=agent) == 1
    thread.refresh_from_db()
    assert thread.policy.name == "Gold" and thread.tier == gold
    assert clock(thread, "first_response").due_at == berlin(23, 10, 30)


def test_policy_edits_apply_only_to_clocks_started_afterwards(standard, agent):
    thread = open_thread(berlin(23, 10))
    target = standard.targets.get(metric="first_response")
    target.duration = timedelta(hours=3)
    target.save()
    assert clock(thread, "first_response").due_at == berlin(23, 11)
    later = open_thread(berlin(23, 10))
    assert clock(later, "first_response").due_at == berlin(23, 13)


def test_every_change_is_in_the_history(standard, agent):
    thread = open_thread(berlin(23, 10))
    with at(berlin(23, 10, 30)):
        thread_update(thread=thread, priority="high", actor=agent)
        agent_reply(thread=thread, author=agent, body="hi")
    kinds = list(thread.events.values_list("kind", flat=True))
    assert kinds[:3] == ["policy_matched", "started", "started"]
    assert "thread_changed" in kinds and "achieved" in kinds
