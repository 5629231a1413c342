"""Nobody can falsify the SLA record: times are bounded, a breach stays a breach, and every
manual action on a clock keeps who did it and why."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Team
from tests.factories import policy, tier
from threads.models import ClockState, EventKind, SlaClock, SlaEvent
from threads.reports import queries as reports
from threads.services import (
    ThreadError,
    account_set_tier,
    agent_reply,
    message_receive,
    thread_create,
    thread_mark_no_reply_needed,
    thread_set_status,
    thread_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]
OPENED = datetime(2026, 11, 23, 9, tzinfo=UTC)  # a Monday
WEEK = reports.ReportRange(start=OPENED.date(), end=(OPENED + timedelta(days=6)).date())


@pytest.fixture
def around_the_clock():
    """24/7: first response 1 h, resolution 24 h; urgent threads get 15 min."""
    free = tier("Free", default=True)
    return policy(
        "Around the clock",
        tiers=[free],
        targets=[
            ("first_response", "", 60),
            ("first_response", "low", 60 * 24 * 7),
            ("first_response", "urgent", 15),
            ("resolution", "", 60 * 24),
        ],
    )


def at(moment):
    return time_machine.travel(moment, tick=False)


def opened(**fields):
    with at(OPENED):
        return thread_create(subject="Printer on fire", first_message="Help", **fields).thread


def first_response(thread) -> SlaClock:
    return SlaClock.objects.get(thread=thread, metric="first_response")


def refused(call) -> ThreadError:
    with pytest.raises(ThreadError) as error:
        call()
    return error.value


# --------------------------------------------------------------------------- time bounds


def test_a_reply_dated_1990_is_refused_on_created_at(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(minutes=90)):
        error = refused(
            lambda: agent_reply(
                thread=thread, author=agent, body="hi", created_at=datetime(1990, 1, 1, tzinfo=UTC)
            )
        )
    assert error.field == "created_at"
    assert "before 2000" in error.message
    assert first_response(thread).state == ClockState.PENDING
    assert thread.messages.count() == 1


def test_a_reply_dated_before_the_thread_was_opened_is_refused(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(minutes=90)):
        error = refused(
            lambda: agent_reply(
                thread=thread, author=agent, body="hi", created_at=OPENED - timedelta(minutes=1)
            )
        )
    assert error.field == "created_at"
    assert "before the thread was opened" in error.message
    assert first_response(thread).state == ClockState.PENDING


def test_a_customer_message_before_the_thread_was_opened_is_refused(around_the_clock):
    thread = opened()
    with at(OPENED + timedelta(hours=1)):
        error = refused(
            lambda: message_receive(thread=thread, body="hm", created_at=OPENED - timedelta(days=1))
        )
    assert error.field == "created_at"
    assert thread.messages.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda thread, when: thread_mark_no_reply_needed(thread=thread, at=when),
        lambda thread, when: thread_set_status(thread=thread, status="resolved", at=when),
        lambda thread, when: thread_update(thread=thread, priority="urgent", at=when),
    ],
    ids=["no reply needed", "status", "priority"],
)
def test_a_change_dated_before_the_thread_was_opened_is_refused_on_at(around_the_clock, change):
    thread = opened()
    recorded = SlaEvent.objects.filter(thread=thread).count()
    with at(OPENED + timedelta(hours=3)):
        error = refused(lambda: change(thread, OPENED - timedelta(seconds=1)))
    assert error.field == "at"
    assert SlaEvent.objects.filter(thread=thread).count() == recorded


def test_a_reply_ten_minutes_ahead_is_refused_and_one_minute_ahead_is_accepted(
    around_the_clock, agent
):
    thread = opened()
    now = OPENED + timedelta(minutes=20)
    with at(now):
        error = refused(
            lambda: agent_reply(
                thread=thread, author=agent, body="hi", created_at=now + timedelta(minutes=10)
            )
        )
        assert error.field == "created_at"
        assert "in the future (more than 5 minutes ahead" in error.message
        agent_reply(thread=thread, author=agent, body="hi", created_at=now + timedelta(minutes=1))
    assert first_response(thread).state == ClockState.ACHIEVED


def test_a_thread_cannot_be_opened_in_the_future(around_the_clock):
    with at(OPENED):
        error = refused(
            lambda: thread_create(subject="Later", created_at=OPENED + timedelta(hours=1))
        )
    assert error.field == "created_at"


@pytest.mark.parametrize("year", [1, 9999])
def test_years_1_and_9999_are_refused_on_the_field_not_a_500(around_the_clock, agent, year):
    extreme = datetime(year, 12 if year == 9999 else 1, 1, tzinfo=UTC)
    with at(OPENED):
        assert refused(lambda: thread_create(subject="x", created_at=extreme)).field == "created_at"
    thread = opened()
    with at(OPENED + timedelta(minutes=5)):
        error = refused(lambda: message_receive(thread=thread, body="x", created_at=extreme))
        assert error.field == "created_at"
        assert refused(lambda: thread_mark_no_reply_needed(thread=thread, at=extreme)).field == "at"


def test_a_naive_time_is_refused_on_the_field_that_carried_it(around_the_clock):
    thread = opened()
    with at(OPENED + timedelta(hours=1)):
        naive = datetime(2026, 11, 23, 10)
        error = refused(lambda: thread_set_status(thread=thread, status="resolved", at=naive))
    assert error.field == "at"
    assert "UTC offset" in error.message


def test_a_late_event_between_the_opening_and_the_last_change_is_still_accepted(
    around_the_clock, agent
):
    thread = opened()
    with at(OPENED + timedelta(hours=2)):
        agent_reply(thread=thread, author=agent, body="hi")
        message_receive(thread=thread, body="from the mail queue", created_at=OPENED)
    assert thread.messages.count() == 3


# ------------------------------------------------------------- a breach stays a breach


def test_no_reply_needed_72_hours_past_due_stops_the_clock_as_breached(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(hours=73)):
        thread_mark_no_reply_needed(thread=thread, actor=agent)
    clock = first_response(thread)
    assert clock.state == ClockState.BREACHED
    assert clock.breached_at == OPENED + timedelta(hours=1)
    assert clock.events.filter(kind=EventKind.CANCELLED).count() == 0
    assert clock.events.get(kind=EventKind.BREACHED).details["why"] == "marked no reply needed"


def test_that_breach_counts_against_the_achievement_rate(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(hours=73)):
        thread_mark_no_reply_needed(thread=thread, actor=agent)
        first = next(r for r in reports.summary(WEEK) if r.metric == "first_response")
        breaches = reports.breaches(WEEK)
    assert (first.achieved, first.breached, first.cancelled) == (0, 1, 0)
    assert first.rate == 0.0
    assert (thread.pk, "First response") in [(r.thread_id, r.metric) for r in breaches]


def test_no_reply_needed_with_time_left_still_cancels(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(minutes=30)):
        thread_mark_no_reply_needed(thread=thread, actor=agent)
        first = next(r for r in reports.summary(WEEK) if r.metric == "first_response")
    assert first_response(thread).state == ClockState.CANCELLED
    assert (first.achieved, first.breached, first.cancelled) == (0, 0, 1)


def test_no_reply_needed_at_the_due_instant_is_a_breach(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(hours=1)):
        thread_mark_no_reply_needed(thread=thread, actor=agent)
    clock = first_response(thread)
    assert clock.state == ClockState.BREACHED
    assert list(clock.events.values_list("kind", flat=True)) == ["started", "breaching", "breached"]


def test_moving_a_breaching_thread_to_no_policy_does_not_cancel_the_breach(around_the_clock, agent):
    around_the_clock.teams.set([Team.objects.create(name="Support")])
    thread = opened(team=Team.objects.get(name="Support"))
    with at(OPENED + timedelta(hours=2)):
        thread_update(thread=thread, team=Team.objects.create(name="Nobody's"), actor=agent)
    assert first_response(thread).state == ClockState.BREACHED


def test_a_longer_target_does_not_take_back_a_breach(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(hours=2)):
        thread_update(thread=thread, priority="low", actor=agent, reason="not that urgent")
    clock = first_response(thread)
    assert clock.target_duration == timedelta(days=7)
    assert clock.state == ClockState.BREACHING
    assert clock.breached_at == OPENED + timedelta(hours=1)
    with at(OPENED + timedelta(hours=3)):
        agent_reply(thread=thread, author=agent, body="hi")
    assert first_response(thread).state == ClockState.BREACHED


# ------------------------------------------------------------------------- who and why


def test_the_no_reply_needed_event_carries_who_and_why(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(minutes=30)):
        thread_mark_no_reply_needed(thread=thread, actor=agent, reason="  customer said thanks ")
    marked = SlaEvent.objects.get(thread=thread, kind=EventKind.NO_REPLY_NEEDED)
    cancelled = first_response(thread).events.get(kind=EventKind.CANCELLED)
    for event in (marked, cancelled):
        assert event.actor == agent
        assert event.details["reason"] == "customer said thanks"


def test_a_breach_found_while_a_person_acts_is_not_put_on_them(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(hours=73)):
        thread_mark_no_reply_needed(thread=thread, actor=agent)
    events = {e.kind: e.actor for e in first_response(thread).events.all()}
    assert events == {"started": None, "breaching": None, "breached": agent}


def test_a_breach_found_while_a_key_acts_is_not_put_on_the_key(around_the_clock):
    thread = opened(via="Zendesk bridge (slaops_ab12cd34…)")
    with at(OPENED + timedelta(hours=73)):
        thread_mark_no_reply_needed(thread=thread, via="Zendesk bridge (slaops_ab12cd34…)")
    events = {e.kind: e.details.get("via") for e in first_response(thread).events.all()}
    assert events == {
        "started": "Zendesk bridge (slaops_ab12cd34…)",
        "breaching": None,
        "breached": "Zendesk bridge (slaops_ab12cd34…)",
    }


def test_priority_and_team_changes_keep_who_and_why(around_the_clock, agent):
    thread = opened()
    support = Team.objects.create(name="Support")
    with at(OPENED + timedelta(minutes=5)):
        thread_update(thread=thread, priority="urgent", team=support, actor=agent, reason="outage")
    changes = SlaEvent.objects.filter(thread=thread, kind=EventKind.THREAD_CHANGED)
    assert {(e.details["field"], e.actor, e.details["reason"]) for e in changes} == {
        ("priority", agent, "outage"),
        ("team", agent, "outage"),
    }
    assert first_response(thread).events.get(kind=EventKind.RETARGETED).actor == agent


def test_a_status_change_keeps_who_and_why(around_the_clock, agent):
    thread = opened()
    with at(OPENED + timedelta(minutes=5)):
        thread_set_status(thread=thread, status="on_hold", reason="waiting on vendor", actor=agent)
    change = SlaEvent.objects.get(thread=thread, kind=EventKind.THREAD_CHANGED)
    assert (change.actor, change.details["reason"]) == (agent, "waiting on vendor")


def test_the_thread_page_shows_who_marked_no_reply_needed_and_why(around_the_clock, agent, client):
    thread = opened()
    client.force_login(agent)
    with at(OPENED + timedelta(minutes=30)):
        response = client.post(
            f"/threads/{thread.pk}/no-reply-needed/", {"reason": "customer said thanks"}
        )
        assert response.status_code == 302
        page = client.get(f"/threads/{thread.pk}/").content.decode()
    row = page[page.index('data-kind="no_reply_needed"') :].split("</tr>")[0]
    assert "alex" in row and "customer said thanks" in row
    assert first_response(thread).state == ClockState.CANCELLED


def test_a_reason_too_long_for_the_record_is_refused_on_the_page(around_the_clock, agent, client):
    thread = opened()
    client.force_login(agent)
    with at(OPENED + timedelta(minutes=30)):
        response = client.post(f"/threads/{thread.pk}/no-reply-needed/", {"reason": "x" * 501})
    assert response.status_code == 400
    assert first_response(thread).state == ClockState.PENDING


def test_a_manager_cannot_delete_a_breached_thread_in_the_admin(around_the_clock, manager_client):
    thread = opened()
    with at(OPENED + timedelta(hours=2)):
        thread_set_status(thread=thread, status="resolved")
    # Its clocks and events are history nobody may delete, so neither may the thread be.
    response = manager_client.post(f"/admin/threads/thread/{thread.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    selected = manager_client.post(
        "/admin/threads/thread/",
        {"action": "delete_selected", "_selected_action": [thread.pk], "post": "yes"},
    )
    assert selected.status_code in (200, 403)
    assert first_response(thread).state == ClockState.BREACHED


def test_a_reply_dated_1990_through_the_api_is_a_400_naming_created_at(around_the_clock, agent):
    from rest_framework.test import APIClient

    thread = opened()
    api = APIClient()
    api.force_login(agent)
    with at(OPENED + timedelta(minutes=90)):
        response = api.post(
            f"/api/v1/threads/{thread.pk}/messages/",
            {"author": "agent", "body": "hi", "created_at": "1990-01-01T00:00:00Z"},
            format="json",
        )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["created_at"]
    assert first_response(thread).state == ClockState.PENDING


def test_moving_an_account_to_a_tier_ahead_of_the_clock_is_refused(around_the_clock):
    from accounts.models import Account

    acme = Account.objects.create(name="Acme")
    opened(account=acme)
    with at(OPENED + timedelta(minutes=5)):
        error = refused(
            lambda: account_set_tier(
                account=acme, tier=tier("Gold"), at=OPENED + timedelta(hours=1)
            )
        )
    assert error.field == "at"
    acme.refresh_from_db()
    assert acme.tier is None


def test_a_tier_move_dated_before_a_thread_rematches_it_from_its_opening(around_the_clock):
    from accounts.models import Account

    acme = Account.objects.create(name="Acme")
    thread = opened(account=acme)
    with at(OPENED + timedelta(minutes=5)):
        account_set_tier(account=acme, tier=tier("Gold"), at=OPENED - timedelta(days=1))
    change = SlaEvent.objects.get(thread=thread, kind=EventKind.THREAD_CHANGED)
    assert change.at == OPENED
    assert change.details["why"] == "account Acme moved to tier Gold"


def test_a_reapply_records_the_manager_who_ran_it(around_the_clock, manager):
    from threads.services import policy_reapply

    thread = opened()
    target = around_the_clock.targets.get(metric="first_response", priority="")
    target.duration = timedelta(hours=2)
    target.save()
    with at(OPENED + timedelta(minutes=5)):
        assert policy_reapply(policy=around_the_clock, actor=manager) == 1
    retargeted = first_response(thread).events.get(kind=EventKind.RETARGETED)
    assert (retargeted.actor, retargeted.details["why"]) == (manager, "re-applied")
