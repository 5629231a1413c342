"""Applying a what-if draft: later clocks follow it, finished clocks never change."""

from datetime import date, time, timedelta

import pytest

from policies.models import Holiday, OpeningHours, SlaTarget, WarningThreshold
from tests.whatif.helpers import NOW, SINCE, UNTIL, at, berlin, frt_target, run
from threads.models import ClockState, SlaClock
from threads.services import thread_create
from whatif.apply import DraftStale, draft_apply
from whatif.draft import Draft
from whatif.run import whatif

pytestmark = [pytest.mark.django_db, pytest.mark.both]


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
