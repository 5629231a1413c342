"""Moved due times as docs/rules.md ("Objectives") states them: the new due time is always in
the future, whichever way it is given."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import policy, tier
from threads import overrides, services
from threads.models import SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.both]
START = datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_extending_a_passed_due_time_to_a_time_still_past_is_refused(manager):
    tier("Free", default=True)
    policy("Standard", targets=[("first_response", "", 60)])
    with time_machine.travel(START, tick=False):
        thread = services.thread_create(subject="Export", first_message="Help").thread
    clock = SlaClock.objects.get(thread=thread)
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        services.thread_catch_up(thread=thread)
        with pytest.raises(overrides.ClockRefused) as refused:
            overrides.clock_move_due(
                thread=thread,
                clock_id=clock.pk,
                reason="Customer asked",
                actor=manager,
                extend_by=timedelta(hours=2),  # 10:00 + 2 h = 12:00, before 14:00
            )
        assert refused.value.field == "extend_by"
        moved = overrides.clock_move_due(
            thread=thread,
            clock_id=clock.pk,
            reason="Customer asked",
            actor=manager,
            extend_by=timedelta(hours=6),
        )
    assert moved.due_at == START + timedelta(hours=7)
    assert moved.state == "pending"  # the breach the moved due time lifts is no longer one
    assert (moved.counted_as, moved.counted_at) == ("missed", START + timedelta(hours=1))
