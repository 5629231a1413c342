"""What-if: past threads replayed under a draft, side by side with the policies as they are now."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from policies.models import Holiday, OpeningHours, SlaTarget, WarningThreshold
from tests.factories import office_calendar, policy, tier
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
from whatif.apply import DraftStale, draft_apply
from whatif.draft import Draft
from whatif.run import WhatIfRun, whatif

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 12, tzinfo=BERLIN)
SINCE = datetime(2026, 11, 23, tzinfo=BERLIN)
UNTIL = datetime(2026, 11, 28, tzinfo=BERLIN)


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def office():
    return office_calendar(zone="Europe/Berlin")


@pytest.fixture
def standard(office):
    tier("Free", default=True)
    return policy("Standard", calendar=office, thresholds=[("percent_used", 50)])


def answered(written, after_minutes, agent, subject):
    """A thread whose customer wrote at `written` and got the first reply `after_minutes` later."""
    with at(written):
        thread = thread_create(subject=subject, first_message="Help", created_at=written).thread
    replied = written + timedelta(minutes=after_minutes)
    with at(replied):
        agent_reply(thread=thread, author=agent, body="On it", created_at=replied)
    return thread


@pytest.fixture
def four_threads(standard, agent):
    """Tuesday 24 Nov 10:00, four customers; first replies after 30m, 50m, 90m and 3h."""
    return {
        minutes: answered(berlin(24, 10), minutes, agent, f"Answered after {minutes}m")
        for minutes in (30, 50, 90, 180)
    }


def run(draft):
    with at(NOW):
        return whatif(draft=draft, since=SINCE, until=UNTIL)


def frt_target(policy):
    return policy.targets.get(metric="first_response")


def row(result, metric="first_response"):
    return next(r for r in result.rows() if r.metric == metric)


def row_counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.label != "sessions.Session"
    }


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


@pytest.fixture
def escalated(office, agent):
    """A thread whose first response breached at 11:00 and escalated to urgent at 11:30."""
    from policies.models import EscalationLevel

    tier("Free", default=True)
    standard = policy("Standard", calendar=office)
    EscalationLevel.objects.create(
        policy=standard, level=1, after=timedelta(minutes=30), raise_priority="urgent"
    )
    urgent = policy("Urgent", order=1, priorities=["urgent"])  # 1h around the clock
    with at(berlin(24, 10)):
        thread = thread_create(subject="Nobody answers", created_at=berlin(24, 10)).thread
    thread_catch_up(thread=thread, at=berlin(24, 12))  # breached 11:00, escalated 11:30
    agent_reply(thread=thread, author=agent, created_at=berlin(24, 13))
    thread.refresh_from_db()
    return standard, urgent, thread


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


def test_opening_hours_and_warnings_are_read_the_way_managers_type_them():
    from whatif.forms import parse_hours, parse_thresholds

    assert parse_hours("9-17") == [(time(9), time(17))]
    assert parse_hours("13:00–17:00, 08:30-12:00") == [
        (time(8, 30), time(12)),
        (time(13), time(17)),
    ]
    assert parse_hours("22:00–06:00 (next day)") == [(time(22), time(6))]
    assert parse_hours("closed") == [] and parse_hours("all day") == [(time(0), time(0))]
    assert parse_thresholds("75%, 15m before due, 1h") == [
        ("minutes_before", 15),
        ("minutes_before", 60),
        ("percent_used", 75),
    ]


def test_the_queries_of_a_run_do_not_grow_with_its_threads(standard, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            run(Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=2)}))
        return len(captured)

    answered(berlin(24, 10), 90, agent, "One")
    run(Draft(policy_id=standard.pk))  # warm the per-process configuration caches
    few = queries()
    for minutes in range(20, 200, 20):
        answered(berlin(25, 10), minutes, agent, f"After {minutes}m")
    assert queries() == few


def test_a_run_advances_in_steps_and_keeps_its_place(standard, four_threads, monkeypatch):
    monkeypatch.setattr("whatif.run.CHUNK", 1)
    draft = Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=2)})
    with at(NOW):
        started = WhatIfRun.start(draft=draft, since=SINCE, until=UNTIL)
        started.advance(seconds=0)
        assert (started.done, started.total, started.finished) == (1, 4, False)
        state = WhatIfRun.from_json(started.to_json())
        while not state.finished:
            state.advance(seconds=0)
    assert row(state).draft.achieved == 3 and state.changed == 1


def test_a_run_goes_stale_when_the_configuration_is_saved_meanwhile(standard, four_threads):
    with at(NOW):
        started = WhatIfRun.start(draft=Draft(policy_id=standard.pk), since=SINCE, until=UNTIL)
        SlaTarget.objects.filter(policy=standard).update(duration=timedelta(hours=3))
        started.advance()
    assert started.stale and started.finished


def test_a_run_kept_by_a_release_before_the_configuration_version_reads_as_stale(
    standard, four_threads
):
    with at(NOW):
        kept = WhatIfRun.start(draft=Draft(policy_id=standard.pk), since=SINCE, until=UNTIL)
        state = kept.to_json()
        del state["version"]
        state["fingerprint"] = ["3", "2026-11-30 08:00:00"]
        resumed = WhatIfRun.from_json(state)
        resumed.advance()
    assert resumed.stale and resumed.finished


def test_applying_writes_the_draft_for_later_clocks_and_keeps_finished_ones(
    standard, four_threads, agent
):
    finished = {
        c.pk: (c.state, c.due_at, c.target_duration, c.stopped_at) for c in SlaClock.objects.all()
    }
    with at(berlin(30, 10)):
        waiting = thread_create(subject="Still waiting", created_at=berlin(30, 9, 30)).thread
    draft = Draft(
        policy_id=standard.pk,
        targets={frt_target(standard).pk: timedelta(hours=2)},
        thresholds=[("percent_used", 75)],
    )
    with at(NOW):
        result = whatif(draft=draft, since=SINCE, until=UNTIL)
        applied = draft_apply(draft=draft, version=result.version)
    assert applied.changes == [
        "First response (any priority): 1h → 2h",
        "Warnings: 50% → 75%",
    ]
    assert frt_target(standard).duration == timedelta(hours=2)
    assert list(WarningThreshold.objects.values_list("kind", "value")) == [("percent_used", 75)]
    running = SlaClock.objects.get(thread=waiting)
    assert running.target_duration == timedelta(hours=1)  # not re-applied: keeps its target
    with at(berlin(30, 11)):
        later = thread_create(subject="After the change", created_at=berlin(30, 11)).thread
    clock = SlaClock.objects.get(thread=later)
    assert clock.target_duration == timedelta(hours=2) and clock.due_at == berlin(30, 13)
    assert clock.warnings == [[5400, "75% of the target used"]]
    after = {c.pk: (c.state, c.due_at, c.target_duration, c.stopped_at) for c in finished_clocks()}
    assert after == finished


def finished_clocks():
    return SlaClock.objects.filter(state__in=[ClockState.ACHIEVED, ClockState.BREACHED])


def test_applying_with_reapply_retargets_running_clocks_only(standard, four_threads, agent):
    finished = {c.pk: (c.state, c.due_at, c.target_duration) for c in finished_clocks()}
    with at(berlin(30, 9, 30)):
        waiting = thread_create(subject="Still waiting", created_at=berlin(30, 9, 30)).thread
    draft = Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=2)})
    with at(berlin(30, 10)):
        applied = draft_apply(draft=draft, reapply=True, actor=agent)
    assert applied.reapplied == 1
    running = SlaClock.objects.get(thread=waiting)
    assert running.target_duration == timedelta(hours=2) and running.due_at == berlin(30, 11, 30)
    assert {c.pk: (c.state, c.due_at, c.target_duration) for c in finished_clocks()} == finished


def test_applying_a_calendar_draft_writes_hours_and_holidays(office, standard):
    Holiday.objects.create(calendar=office, date=date(2026, 12, 24), name="Christmas Eve")
    weekly = {day: [(time(8), time(17))] if day < 5 else [] for day in range(7)}
    draft = Draft(
        calendar_id=office.pk,
        weekly=weekly,
        holidays_added={date(2026, 12, 31): "New Year's Eve"},
        holidays_removed=[date(2026, 12, 24)],
    )
    with at(NOW):
        draft_apply(draft=draft)
    assert set(OpeningHours.objects.values_list("weekday", "opens", "closes")) == {
        (day, time(8), time(17)) for day in range(5)
    }
    assert list(Holiday.objects.values_list("date", "name")) == [
        (date(2026, 12, 31), "New Year's Eve")
    ]
    with at(berlin(30, 8)):
        thread = thread_create(subject="Early bird", created_at=berlin(30, 8)).thread
    assert SlaClock.objects.get(thread=thread).due_at == berlin(30, 9)


def test_applying_after_the_configuration_changed_is_refused(standard, four_threads):
    draft = Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=2)})
    result = run(draft)
    SlaTarget.objects.filter(policy=standard).update(duration=timedelta(hours=3))
    with pytest.raises(DraftStale):
        draft_apply(draft=draft, version=result.version)
    assert frt_target(standard).duration == timedelta(hours=3)


# ------------------------------------------------------------------------------- the admin


def whatif_url(name, subject, *args):
    model = "slapolicy" if hasattr(subject, "targets") else "calendar"
    return reverse(f"admin:policies_{model}_{name}", args=[subject.pk, *args])


def policy_form(standard, **changes):
    return {
        "since": "2026-11-23",
        "until": "2026-11-27",
        f"target_{frt_target(standard).pk}": "2h",
        "warnings": "50%",
        **changes,
    }


def test_the_whatif_pages_open_from_the_policy_and_the_calendar(manager_client, standard, office):
    for subject in (standard, office):
        change = manager_client.get(whatif_url("change", subject))
        assert whatif_url("whatif", subject) in change.content.decode()
        page = manager_client.get(whatif_url("whatif", subject))
        assert page.status_code == 200
    body = manager_client.get(whatif_url("whatif", standard)).content.decode()
    assert "First response (any priority)" in body and 'value="1h"' in body
    body = manager_client.get(whatif_url("whatif", office)).content.decode()
    assert 'value="09:00–17:00"' in body and "Saturday" in body


def test_a_bad_duration_is_refused_with_the_field_named(manager_client, standard):
    with at(NOW):
        response = manager_client.post(
            whatif_url("whatif", standard), policy_form(standard, **{"warnings": "soon"})
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Warnings: “soon” is not a warning" in body
        response = manager_client.post(
            whatif_url("whatif", standard),
            policy_form(standard, **{f"target_{frt_target(standard).pk}": "2 days"}),
        )
    body = response.content.decode()
    assert "First response (any priority): Write days as hours" in body


def test_bad_opening_hours_and_future_days_are_refused(manager_client, office, standard):
    with at(NOW):
        response = manager_client.post(
            whatif_url("whatif", office),
            {
                "since": "2026-11-23",
                "until": "2026-12-05",
                "hours_0": "nine to five",
                "hours_1": "09:00–13:00, 12:00–17:00",
                "holidays_remove": "2026-12-24",
            },
        )
    body = response.content.decode()
    assert "to (inclusive): A what-if replays past threads" in body
    assert "Monday: “nine to five” is not an interval" in body
    assert "Tuesday: 09:00–13:00 and 12:00–17:00 overlap" in body
    assert "Remove holidays: 2026-12-24: not a holiday of this calendar" in body


def test_manager_replays_sees_the_changed_thread_and_applies(
    manager_client, standard, four_threads
):
    before = row_counts()
    with at(NOW):
        response = manager_client.post(whatif_url("whatif", standard), policy_form(standard))
        assert response.status_code == 302
        result = manager_client.get(response["Location"])
    body = result.content.decode()
    assert row_counts() == before  # the run lives in the manager's session, nothing else
    assert 'id="whatif-table"' in body and "75.0%" in body and "50.0%" in body
    assert f"#{four_threads[90].pk} Answered after 90m" in body
    assert "First response (any priority): 1h → 2h" in body
    assert SlaTarget.objects.get(policy=standard).duration == timedelta(hours=1)
    apply_url = response["Location"] + "apply/"
    with at(NOW):
        applied = manager_client.post(apply_url, {})
    assert applied.status_code == 302 and applied["Location"] == whatif_url("change", standard)
    assert SlaTarget.objects.get(policy=standard).duration == timedelta(hours=2)
    assert manager_client.post(apply_url, {}).status_code == 302  # applied once: the run is gone
    assert SlaTarget.objects.get(policy=standard).duration == timedelta(hours=2)


def test_applying_from_the_page_can_reapply_to_running_clocks(manager_client, standard):
    with at(berlin(30, 11)):
        waiting = thread_create(subject="Still waiting", created_at=berlin(30, 11)).thread
    with at(berlin(30, 11, 30)):
        location = manager_client.post(whatif_url("whatif", standard), policy_form(standard))[
            "Location"
        ]
        page = manager_client.get(location).content.decode()
        assert "running clock" in page and 'name="reapply"' in page
        done = manager_client.post(location + "apply/", {"reapply": "1"}, follow=True)
    assert "1 running clocks retargeted" in done.content.decode()
    assert SlaClock.objects.get(thread=waiting).due_at == berlin(30, 13)
    from django.contrib.admin.models import LogEntry

    logged = LogEntry.objects.get(object_id=str(standard.pk))
    assert logged.change_message == (
        "Applied a what-if draft: First response (any priority): 1h → 2h."
    )


def test_the_page_shows_progress_until_the_run_is_finished(
    manager_client, standard, four_threads, monkeypatch
):
    monkeypatch.setattr("whatif.run.CHUNK", 1)
    monkeypatch.setattr("whatif.views.STEP_SECONDS", 0)
    with at(NOW):
        location = manager_client.post(whatif_url("whatif", standard), policy_form(standard))[
            "Location"
        ]
        first = manager_client.get(location).content.decode()
        assert "1 of 4 threads" in first and f'hx-get="{location}"' in first
        steps = [
            manager_client.get(location, headers={"HX-Request": "true"}).content.decode()
            for _ in range(3)
        ]
    assert "2 of 4 threads" in steps[0] and "3 of 4 threads" in steps[1]
    assert 'id="whatif-table"' in steps[2] and "<html" not in steps[2]


def test_calendar_whatif_in_the_admin_lists_the_early_thread(
    manager_client, office, standard, agent
):
    early = answered(berlin(24, 7, 30), 120, agent, "Written at 07:30")
    form = {"since": "2026-11-23", "until": "2026-11-27", "holidays_add": "", "holidays_remove": ""}
    form.update({f"hours_{day}": "08:00–17:00" if day < 5 else "closed" for day in range(7)})
    with at(NOW):
        response = manager_client.post(whatif_url("whatif", office), form)
        body = manager_client.get(response["Location"]).content.decode()
    assert f"#{early.pk} Written at 07:30" in body
    assert "Monday: 09:00–17:00 → 08:00–17:00" in body


def test_an_expired_run_sends_the_manager_back_to_the_form(manager_client, standard):
    response = manager_client.get(whatif_url("whatif_run", standard, "0123456789abcdef"))
    assert response.status_code == 302 and response["Location"] == whatif_url("whatif", standard)
