"""The what-if tests' configuration and threads: an office calendar in Berlin and a week of
answered threads."""

from datetime import timedelta

import pytest

from tests.factories import office_calendar, policy, tier
from tests.whatif.helpers import answered, at, berlin
from threads.services import agent_reply, thread_catch_up, thread_create


@pytest.fixture
def office():
    return office_calendar(zone="Europe/Berlin")


@pytest.fixture
def standard(office):
    tier("Free", default=True)
    return policy("Standard", calendar=office, thresholds=[("percent_used", 50)])


@pytest.fixture
def four_threads(standard, agent):
    """Tuesday 24 Nov 10:00, four customers; first replies after 30m, 50m, 90m and 3h."""
    return {
        minutes: answered(berlin(24, 10), minutes, agent, f"Answered after {minutes}m")
        for minutes in (30, 50, 90, 180)
    }


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
