"""Business time a clock has used and has left: the one place pages, API, reports and alerts
read "time left" from."""

from datetime import datetime, timedelta

from policies import business_time
from policies.selectors import business_calendar
from threads.models import SlaClock


def engine_for(clock: SlaClock) -> business_time.Calendar:
    """The engine calendar of a clock as the configuration has it now."""
    return business_calendar(clock.calendar if clock.calendar_id else None, zone=clock.zone)


def used_at(clock: SlaClock, at: datetime, engines=engine_for) -> timedelta:
    """Business time the clock has used by `at` (`engines`: clock -> its engine calendar)."""
    if clock.running_since is None or at <= clock.running_since:
        return clock.used
    return clock.used + engines(clock).between(clock.running_since, at)


def measure(clock: SlaClock, at: datetime) -> tuple[timedelta, timedelta]:
    """Business time the clock has used by `at`, and what is left of its target (negative once
    past due). A running clock whose due time a person moved has left the business time until
    the moved due time (negative, by the same measure, once it passed)."""
    used = used_at(clock, at)
    moved = getattr(clock, "override_due_at", None)
    if moved is not None and clock.is_running and not clock.paused:
        engine = engine_for(clock)
        return used, engine.between(at, moved) if moved >= at else -engine.between(moved, at)
    return used, clock.target_duration - used
