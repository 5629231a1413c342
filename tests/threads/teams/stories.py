"""What the team-clock stories share: a 24/7 policy, two teams with targets, travelled time."""

from datetime import UTC, datetime, timedelta

import time_machine

from accounts.models import Team
from policies.models import TeamTarget
from tests.factories import policy, tier
from threads.models import SlaClock
from threads.services import thread_create

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


def at(minutes: float):
    """Travel to START + minutes (time frozen there)."""
    return time_machine.travel(START + timedelta(minutes=minutes), tick=False)


def opened(**kwargs):
    """A thread opened at START with the customer's first message."""
    with at(0):
        return thread_create(subject="Export fails", first_message="Help", **kwargs).thread


def around_the_clock(**kwargs):
    kwargs.setdefault(
        "targets", [("first_response", "", 60), ("next_response", "", 60), ("resolution", "", 480)]
    )
    kwargs.setdefault("pause_statuses", ["waiting_on_customer", "on_hold"])
    return policy("Around the clock", tiers=[tier("Free", default=True)], **kwargs)


def team(name, *, response=30, resolution=120, members=(), calendar=None, priority=""):
    made = Team.objects.create(name=name, calendar=calendar)
    made.members.set(members)
    if response:
        TeamTarget.objects.create(
            team=made,
            metric="team_response",
            priority=priority,
            duration=timedelta(minutes=response),
        )
    if resolution:
        TeamTarget.objects.create(
            team=made,
            metric="team_resolution",
            priority=priority,
            duration=timedelta(minutes=resolution),
        )
    return made


def clocks(thread, metric, **filters):
    return list(SlaClock.objects.filter(thread=thread, metric=metric, **filters).order_by("id"))


def seconds(clock) -> dict:
    """The clock's stored attribution in whole seconds (exact: tests move whole minutes)."""
    return {k: v // 1_000_000 for k, v in clock.attribution["parts"].items()}
