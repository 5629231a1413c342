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
    warnings = []
    for threshold in thresholds:
        offset = max(threshold.offset_for(target), timedelta())
        at = calendar.add(start, offset - used) if offset > used else None
        warnings.append(Warning(label=str(threshold), offset=offset, at=at))
    warnings.sort(key=lambda w: w.offset)
    return Deadlines(start=start, target=target, due_at=due_at, warnings=warnings)
