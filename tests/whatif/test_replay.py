"""What-if replays: past threads told again to the clock rules under a draft, side by side
with the policies as they are now."""

from datetime import date, time, timedelta

import pytest

from tests.factories import policy, tier
from tests.whatif.helpers import NOW, SINCE, answered, at, berlin, frt_target, row, row_counts, run
from threads.models import ClockState, EventKind, SlaClock, SlaEvent
from threads.services import (
    agent_reply,
    message_receive,
    thread_catch_up,
    thread_create,
    thread_mark_no_reply_needed,
    thread_set_status,
    thread_update,
)
from whatif.draft import Draft
from whatif.run import whatif

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_a_two_hour_draft_turns_exactly_the_90_minute_thread_into_an_achievement(
    standard, four_threads
):
    result = run(
        Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=2)})
    )
    first = row(result)
    assert (first.now.achieved, first.now.breached, first.now.rate) == (2, 2, 0.5)
    assert (first.draft.achieved, first.draft.breached, first.draft.rate) == (3, 1, 0.75)
    assert first.rate_change == 25.0
    assert result.total == result.done == 4
    changes = result.change_list()
    assert [(c.thread_id, c.now, c.draft) for c in changes] == [
        (four_threads[90].pk, ["breached"], ["achieved"])
    ]


def test_the_current_policies_replayed_give_the_recorded_clocks(standard, four_threads):
    first = row(run(Draft(policy_id=standard.pk)))
    assert vars(first.now) == vars(first.recorded) | {"warnings": first.now.warnings}
    assert first.now.warnings == 3  # 50% of 1h at 30m: the quickest reply, at 30m, is in time


def test_an_unchanged_draft_changes_nothing(standard, four_threads):
    result = run(
        Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=1)})
    )
    assert result.changed == 0 and result.change_list() == []
    assert vars(row(result).now) == vars(row(result).draft)


def test_warnings_of_the_draft_are_counted(standard, four_threads):
    result = run(Draft(policy_id=standard.pk, thresholds=[("minutes_before", 5)]))
    first = row(result)
    assert (first.now.warnings, first.draft.warnings) == (3, 2)  # at 55m: the 90m and 3h threads
    assert result.changed == 0  # warnings never change an outcome


def test_a_calendar_opening_at_8_changes_a_thread_written_before_9(standard, office, agent):
    early = answered(berlin(24, 7, 30), 120, agent, "Written at 07:30, answered 09:30")
    answered(berlin(24, 10), 30, agent, "Written at 10:00, answered 10:30")
    weekly = {day: [(time(8), time(17))] if day < 5 else [] for day in range(7)}
    result = run(Draft(calendar_id=office.pk, weekly=weekly))
    first = row(result)
    assert (first.now.achieved, first.now.breached) == (2, 0)
    assert (first.draft.achieved, first.draft.breached) == (1, 1)
    assert [(c.thread_id, c.now, c.draft) for c in result.change_list()] == [
        (early.pk, ["achieved"], ["breached"])
    ]


def test_a_holiday_in_the_draft_stops_the_clock_that_day(standard, office, agent):
    late = answered(berlin(24, 16, 30), 17 * 60 + 30, agent, "Written 16:30, answered 10:00")
    result = run(Draft(calendar_id=office.pk, holidays_added={date(2026, 11, 25): "Staff day"}))
    assert [(c.thread_id, c.now, c.draft) for c in result.change_list()] == [
        (late.pk, ["breached"], ["achieved"])  # Wednesday is closed: 30m used by Thursday 09:30
    ]


def test_a_run_writes_nothing(standard, four_threads):
    before = row_counts()
    run(Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(minutes=10)}))
    assert row_counts() == before
    assert frt_target(standard).duration == timedelta(hours=1)


def test_threads_outside_the_days_or_of_other_policies_are_left_out(standard, agent, office):
    other_tier = tier("Gold")
    gold = policy("Gold", calendar=office, order=1, tiers=[other_tier])
    answered(berlin(24, 10), 90, agent, "In range")
    answered(berlin(30, 10), 90, agent, "After the range")
    from accounts.models import Account

    account = Account.objects.create(name="Gold customer", tier=other_tier)
    with at(berlin(24, 11)):
        thread_create(subject="Gold thread", account=account, created_at=berlin(24, 11))
    result = run(Draft(policy_id=standard.pk))
    assert result.total == 1
    assert run(Draft(policy_id=gold.pk)).total == 1


def test_the_replay_follows_pauses_priority_changes_and_no_reply_needed(office, agent):
    tier("Free", default=True)
    standard = policy(
        "Standard",
        calendar=office,
        targets=[("first_response", "", 60), ("next_response", "", 120), ("resolution", "", 480)],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer"],
    )
    urgent = policy(
        "Urgent",
        order=1,
        priorities=["urgent"],
        targets=[("first_response", "", 15), ("resolution", "", 240)],
    )
    with at(berlin(24, 10)):
        thread = thread_create(subject="Story", created_at=berlin(24, 10)).thread
    agent_reply(thread=thread, author=agent, created_at=berlin(24, 10, 20))
    thread_set_status(
        thread=thread, status="waiting_on_customer", reason="asked", at=berlin(24, 10, 30)
    )
    message_receive(thread=thread, body="Here", created_at=berlin(24, 14))
    thread_set_status(thread=thread, status="open", at=berlin(24, 14))
    thread_update(thread=thread, priority="urgent", at=berlin(24, 15))
    agent_reply(thread=thread, author=agent, created_at=berlin(24, 15, 10))
    message_receive(thread=thread, body="Thanks", created_at=berlin(24, 16))
    thread_mark_no_reply_needed(thread=thread, at=berlin(24, 16, 5))
    thread_set_status(thread=thread, status="resolved", at=berlin(25, 9))
    message_receive(thread=thread, body="Again", created_at=berlin(26, 10))
    thread_catch_up(thread=thread, at=NOW)
    for subject in (standard, urgent):
        result = run(Draft(policy_id=subject.pk))
        for metric_row in result.rows():
            recorded = vars(metric_row.recorded) | {"warnings": metric_row.now.warnings}
            assert vars(metric_row.now) == recorded, (subject, metric_row.metric)
        assert result.changed == 0
    stored = {(c.metric, c.state) for c in SlaClock.objects.filter(thread=thread)}
    assert ("resolution", ClockState.BREACHING) in stored  # reopened on Thursday, still open


def test_an_escalation_is_replayed_once_and_moves_the_thread_to_the_urgent_policy(escalated):
    standard, urgent, thread = escalated
    assert thread.priority == "urgent" and thread.policy == urgent
    for subject in (standard, urgent):
        result = run(Draft(policy_id=subject.pk))
        assert [(r.metric, vars(r.now)) for r in result.rows()] == [
            (r.metric, vars(r.recorded) | {"warnings": r.now.warnings}) for r in result.rows()
        ]
    longer = run(
        Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=4)})
    )
    # With 4h nothing breaches and nobody escalates: the reply at 13:00 is in time.
    assert [(c.now, c.draft) for c in longer.change_list()] == [(["breached"], ["achieved"])]


def test_an_escalations_change_says_its_level_as_data(escalated):
    _, _, thread = escalated
    change = thread.events.get(kind=EventKind.THREAD_CHANGED, details__field="priority")
    assert change.details["escalation_level"] == 1
    assert change.details["why"] == "escalation level 1"  # the history's words


def test_an_escalations_change_recorded_before_the_level_marker_is_not_replayed(escalated):
    standard, _, thread = escalated
    change = thread.events.get(kind=EventKind.THREAD_CHANGED, details__field="priority")
    old = {**change.details, "why": "raised"}  # no marker, and words that say nothing
    del old["escalation_level"]
    SlaEvent.objects.filter(pk=change.pk).delete()
    SlaEvent.objects.create(thread=thread, kind=change.kind, at=change.at, details=old)
    longer = run(
        Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=4)})
    )
    # Replayed as a person's change, the priority would rise at 11:30 even without a breach.
    assert [(c.now, c.draft) for c in longer.change_list()] == [(["breached"], ["achieved"])]


def test_an_unanswered_thread_counts_as_still_running(standard, agent):
    with at(berlin(30, 10)):
        thread_create(subject="Waiting", created_at=berlin(30, 10))
    with at(berlin(30, 10, 30)):
        result = whatif(draft=Draft(policy_id=standard.pk), since=SINCE, until=NOW)
    first = row(result)
    assert (first.now.running, first.now.breaching, first.now.still_running) == (1, 0, 1)
    assert first.now.rate is None  # nothing judged yet
    with at(NOW):
        first = row(whatif(draft=Draft(policy_id=standard.pk), since=SINCE, until=NOW))
    assert (first.now.breaching, first.now.still_running, first.now.breached) == (1, 1, 0)
