"""When a clock warns and breaches: business-time offsets turned into instants, computed once.

Everything time-related goes through the engine; this module only knows how warnings and
targets are expressed (offsets of business time from the clock's start).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from policies import business_time


@dataclass(frozen=True)
class Warning:
    label: str
    offset: timedelta  # business time after the clock's start
    at: datetime | None  # None when it already passed before the clock (re)started


@dataclass(frozen=True)
class Deadlines:
    start: datetime
    target: timedelta
    due_at: datetime
    warnings: list[Warning] = field(default_factory=list)

    @property
    def warn_at(self) -> datetime | None:
        """The earliest warning still to come."""
        upcoming = [w.at for w in self.warnings if w.at is not None]
        return min(upcoming) if upcoming else None


def warning_offsets(thresholds, target: timedelta) -> list[tuple[timedelta, str]]:
    """The warnings a clock with this target has, as (business-time offset from its start,
    label), earliest first. A threshold that falls at or before the start, or at or after the
    due time ("15 minutes before due" on a 10-minute target), warns of nothing and is left out:
    the one rule for live clocks and the preview alike."""
    offsets = []
    for threshold in thresholds:
        offset = threshold.offset_for(target)
        if timedelta() < offset < target:
            offsets.append((offset, str(threshold)))
    return sorted(offsets)


def deadlines(
    calendar: business_time.Calendar,
    *,
    start: datetime,
    target: timedelta,
    thresholds,
    used: timedelta = timedelta(),
) -> Deadlines:
    """Due and warning instants for a clock (re)started at `start` with `used` business time
    already spent; thresholds are objects with `offset_for(target)` and a `str()` label."""
    remaining = max(target - used, timedelta())
    due_at = calendar.add(start, remaining)
    warnings = [
        Warning(
            label=label,
            offset=offset,
            at=calendar.add(start, offset - used) if offset > used else None,
        )
        for offset, label in warning_offsets(thresholds, target)
    ]
    return Deadlines(start=start, target=target, due_at=due_at, warnings=warnings)
