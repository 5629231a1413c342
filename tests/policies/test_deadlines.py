"""The preview and a live clock compute warn and due instants with one rule, so what a manager
previews is what the clock then does."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from policies.selectors import preview_clocks
from tests.factories import office_calendar, policy, tier
from threads.services import thread_create

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 11, 27, 16, 30, tzinfo=BERLIN),  # Friday late: due Monday
        datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN),
        datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN),  # Saturday: the clock waits for Monday
    ],
)
def test_the_preview_gives_the_instants_a_live_clock_then_has(start):
    free = tier("Free", default=True)
    policy(
        "Standard",
        calendar=office_calendar(),
        tiers=[free],
        targets=[("first_response", "", 60), ("resolution", "", 10)],
        # 50 % fits both targets; "15 minutes before due" fits the hour, not the 10 minutes.
        thresholds=[("percent_used", 50), ("minutes_before", 15)],
    )
    preview = preview_clocks(start=start, tier_id=None, priority="normal", channel="email")
    with time_machine.travel(start, tick=False):
        thread = thread_create(subject="Printer on fire", first_message="Help").thread
    for row in preview["rows"]:
        planned = row["deadlines"]
        clock = thread.clocks.get(metric=row["metric"])
        assert clock.due_at == planned.due_at
        assert clock.warn_at == planned.warn_at
        assert [offset for offset, _ in clock.warnings] == [
            int(w.offset.total_seconds()) for w in planned.warnings
        ]


def test_a_warning_outside_the_target_is_not_previewed():
    free = tier("Free", default=True)
    policy(
        "Standard",
        calendar=office_calendar(),
        tiers=[free],
        targets=[("first_response", "", 10)],
        thresholds=[("minutes_before", 15)],
    )
    start = datetime(2026, 11, 23, 10, tzinfo=BERLIN)
    preview = preview_clocks(start=start, tier_id=None, priority="normal", channel="email")
    (row,) = preview["rows"]
    assert row["deadlines"].warnings == []
    assert row["deadlines"].due_at - start == timedelta(minutes=10)
