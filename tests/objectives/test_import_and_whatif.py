"""An import and a what-if obey the same rule as live traffic: an imported clock counts in
objectives exactly as the live one would (and reaches days already rolled up), and a replayed
thread keeps a due time a person moved."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from objectives.figures import count_clocks, figures
from objectives.models import Objective
from tests.factories import office_calendar, policy, tier
from tests.threads.test_import import NOW, STORY, live_story, write
from threads import overrides, services
from threads.clocks.book import PolicyBook
from threads.models import SlaClock, Thread
from whatif.book import ReplayBook
from whatif.replay import load_histories, replay

pytestmark = [pytest.mark.django_db, pytest.mark.both]

COUNTED = (
    "metric",
    "state",
    "missed_at",
    "original_due_at",
    "counted_as",
    "counted_at",
    "scope_tier",
    "scope_account",
    "scope_team",
    "scope_priority",
    "scope_channel",
)


@pytest.fixture
def standard(agent):
    """The policy tests/threads/test_import.py imports its story under."""
    tier("Free", default=True)
    return policy(
        "Standard",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("next_response", "", 120), ("resolution", "", 480)],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer"],
    )


def counted(thread):
    return [
        tuple(getattr(c, name) for name in COUNTED)
        for c in SlaClock.objects.filter(thread=thread).order_by("started_at", "metric")
    ]


def test_an_imported_clock_counts_in_objectives_as_the_live_one_does(standard, agent, tmp_path):
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, STORY)))
    imported = Thread.objects.get(external_id="L-1")
    thread = live_story(agent, external_id="L-1", each_at_its_time=True)
    with time_machine.travel(NOW, tick=False):
        services.thread_catch_up(thread=thread)

    assert counted(imported) == counted(thread)
    first = SlaClock.objects.get(thread=imported, metric="first_response")
    # Breached at 11:00 while the thread was still "normal" (it became "high" at 12:30).
    assert (first.counted_as, first.scope_priority) == ("missed", "normal")
    assert first.counted_at == first.original_due_at


def test_an_import_reaches_the_rollups_of_days_already_counted(standard, tmp_path):
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        frt = Objective.objects.create(
            name="FRT", metric="first_response", target_percent=95, time_zone="Europe/Berlin"
        )
    with time_machine.travel(NOW, tick=False):
        assert figures(frt).breached == 0  # the 23rd is rolled up: nothing on it yet
        call_command("import_threads", str(write(tmp_path, STORY)))
        found = figures(frt)
    assert found.breached == 1
    start = datetime(2026, 11, 1, tzinfo=frt.zone)
    assert count_clocks(frt, start, NOW).breached == 1


def test_a_what_if_replay_keeps_a_due_time_a_manager_moved(manager):
    tier("Free", default=True)
    policy("Standard", targets=[("first_response", "", 60)])  # around the clock
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        thread = services.thread_create(subject="Export fails", first_message="Help").thread
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        overrides.clock_move_due(
            thread=thread,
            clock_id=clock.pk,
            reason="Customer asked for the afternoon",
            actor=manager,
            due_at=start + timedelta(hours=5),
        )
    now = start + timedelta(hours=2)
    with time_machine.travel(now, tick=False):
        services.thread_catch_up(thread=thread)
    clock.refresh_from_db()

    [history] = load_histories([thread.pk], now)
    work = replay(history, ReplayBook.of(PolicyBook.load()), now)
    [told] = [c for c in work.clocks if c.metric == "first_response"]
    assert told.due_at == start + timedelta(hours=5)  # the moved due time, not the policy's
    assert told.original_due_at == start + timedelta(hours=1)
    assert told.state == clock.state == "pending"
    assert (told.counted_as, told.counted_at) == ("missed", start + timedelta(hours=1))
    assert (told.due_at, told.counted_at) == (clock.due_at, clock.counted_at)


def test_a_moved_due_time_extended_by_business_time_is_replayed_where_it_was_moved(manager):
    tier("Free", default=True)
    policy("Standard", targets=[("first_response", "", 60)])
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        thread = services.thread_create(subject="Export fails", first_message="Help").thread
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        overrides.clock_move_due(
            thread=thread,
            clock_id=clock.pk,
            reason="Waiting on logs",
            actor=manager,
            extend_by=timedelta(hours=2),
        )
    now = start + timedelta(hours=4)
    [history] = load_histories([thread.pk], now)
    work = replay(history, ReplayBook.of(PolicyBook.load()), now)
    [told] = [c for c in work.clocks if c.metric == "first_response"]
    assert told.breached_at == start + timedelta(hours=3)  # 10:00 + 2 h, not 10:00
    assert told.missed_at == start + timedelta(hours=1)
