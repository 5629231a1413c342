"""What a clock counts as in objectives, and from which instant (docs/rules.md, "Objectives").

One rule, read by every writer of clocks (the store, a rebuild, the importer): a clock past its
original due time is a miss from that instant, running or not (a moved due time does not change
what objectives count); otherwise an achieved or cancelled clock counts at its stop; an exempt
clock counts nowhere. The thread's scope attributes are kept on the clock when it first counts,
so a later change of team or priority does not move a decided figure. A team's own clock counts
for its own team (the thread may be handed on in the very change that decides it).
"""

from datetime import UTC, timedelta

from django.utils import timezone

from policies.vocabulary import TEAM_METRICS
from threads.models import ClockState, CountChange

MISSED, ACHIEVED, CANCELLED = "missed", "achieved", "cancelled"
COUNTED_FIELDS = [
    "counted_as",
    "counted_at",
    "scope_tier",
    "scope_account",
    "scope_team",
    "scope_priority",
    "scope_channel",
]


def counted(clock) -> tuple[str, object]:
    if clock.exempt:
        return "", None
    if clock.missed_at is not None:
        return MISSED, clock.missed_at
    if clock.state == ClockState.ACHIEVED:
        return ACHIEVED, clock.stopped_at
    if clock.state == ClockState.CANCELLED:
        return CANCELLED, clock.stopped_at
    return "", None


def settle(clock, thread) -> list:
    """Bring the clock's counted fields up to date; returns the instants whose figures changed
    (old and new), for the objectives' rollups."""
    as_, at = counted(clock)
    if (as_, at) == (clock.counted_as, clock.counted_at):
        return []
    changed = [t for t in (clock.counted_at, at) if t is not None]
    if as_ and not clock.counted_as:
        clock.scope_tier = thread.tier_id
        clock.scope_account = thread.account_id
        clock.scope_team = clock.team_id if clock.metric in TEAM_METRICS else thread.team_id
        clock.scope_priority = thread.priority
        clock.scope_channel = thread.channel
    clock.counted_as, clock.counted_at = as_, at
    return changed


# A day's rollup is counted once it ended this long ago; an outcome written later than this
# after its instant is told to the rollups (CountChange), one written sooner is in no rollup yet.
ROLLUP_GRACE = timedelta(hours=1)
LATE = timedelta(minutes=30)


def record_changes(instants, now=None) -> None:
    """Tell the objectives' rollups which past instants changed (one INSERT for all of them)."""
    now = now or timezone.now()
    rows = [CountChange(at=at) for at in sorted(set(instants)) if at < now - LATE]
    if rows:
        CountChange.objects.bulk_create(rows)


def record_new_clocks(clocks, now=None) -> None:
    """Tell the rollups about clocks written with their outcome already decided (an import):
    one change per quarter hour that holds an outcome, since every time zone's local day
    begins on a quarter hour, so the instant floored to it falls on the same local day."""
    instants = set()
    for clock in clocks:
        if clock.counted_at is not None:
            at = clock.counted_at.astimezone(UTC)
            instants.add(at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0))
    record_changes(instants, now)
