"""The report's team figures (docs/rules.md, "Reports: teams and resolution"): each team's own
targets (OLAs) kept or missed; of the breached resolution time, how much sat with each team (and
in each status); and which team held the thread when a clock breached.

Counts are aggregated in SQL. The time held is read from the attribution of the range's
breached resolution clocks (JSON, summed in Python): bounded by the breaches of the range, read
in chunks. The team holding a thread at a breach is read from the thread's recorded team
changes, one query per chunk of breaches.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Team
from policies.vocabulary import POLICY_METRICS, TEAM_METRICS, Metric, ThreadStatus
from threads.clocks import attribution
from threads.clocks.measure import measure
from threads.models import ClockState, EventKind, SlaClock, SlaEvent
from threads.reports.queries import (
    BREACH_CHUNK,
    ReportRange,
    _outcome_counts,
    achievement_rate,
    breach_clocks,
    finished_clocks,
)

NO_TEAM_LABEL = "(no team)"
DELETED_TEAM_LABEL = "(a deleted team)"
_STATUS_LABELS = dict(ThreadStatus.choices)


@dataclass
class TeamTargetRow:
    team_id: int | None
    team: str
    metric: str
    achieved: int
    breached: int
    cancelled: int

    @property
    def metric_label(self) -> str:
        return Metric(self.metric).label

    @property
    def rate(self) -> float | None:
        return achievement_rate(self.achieved, self.breached)


def team_targets(report_range: ReportRange) -> list[TeamTargetRow]:
    """Per team and team metric, its own clocks that stopped in the range (by the clock's team,
    not the thread's: a thread handed on since still counts for the team that held it)."""
    rows = (
        finished_clocks(report_range)
        .filter(metric__in=TEAM_METRICS)
        .values("team_id", "team__name", "metric")
        .annotate(**_outcome_counts())
        .order_by("team__name", "team_id", "metric")
    )
    return [
        TeamTargetRow(
            row["team_id"],
            row["team__name"] or DELETED_TEAM_LABEL,
            row["metric"],
            row["achieved"],
            row["breached"],
            row["cancelled"],
        )
        for row in rows
    ]


@dataclass
class HeldRow:
    holder: str  # "team:<id>", "no_team", "status:<status>"
    label: str
    seconds: int
    share: float  # of all the breached resolution time

    @property
    def team_id(self) -> int | None:
        return attribution.team_id_of(self.holder)

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.seconds)


def _chunks(queryset):
    chunk: list = []
    for item in queryset.iterator(chunk_size=BREACH_CHUNK):
        chunk.append(item)
        if len(chunk) == BREACH_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def time_held(report_range: ReportRange, *, now: datetime | None = None) -> list[HeldRow]:
    """Of the business time used by the resolution clocks that breached in the range (as the
    breach review counts them; a clock still breaching up to now), how much each holder held:
    each team, no team, each non-open status it ran in. Largest first."""
    now = now or timezone.now()
    totals: Counter = Counter()
    clocks = breach_clocks(report_range).filter(metric=Metric.RESOLUTION).order_by("pk")
    for clock in clocks.select_related("thread", "calendar").iterator(chunk_size=BREACH_CHUNK):
        used = clock.used if clock.state == ClockState.BREACHED else measure(clock, now)[0]
        for holder, seconds in attribution.shares(clock, used, attribution.holder_of(clock.thread)):
            totals[holder] += seconds
    names = _team_names(attribution.team_id_of(h) for h in totals)
    whole = sum(totals.values())
    return [
        HeldRow(holder, holder_label(holder, names), seconds, seconds / whole)
        for holder, seconds in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ]


def holder_label(holder: str, names: dict[int, str]) -> str:
    """A holder as a manager reads it: the team's name, "(no team)", "Waiting on customer
    (status)"."""
    team_id = attribution.team_id_of(holder)
    if team_id is not None:
        return names.get(team_id, DELETED_TEAM_LABEL)
    if holder.startswith(attribution.STATUS):
        status = holder.removeprefix(attribution.STATUS)
        return f"{_STATUS_LABELS.get(status, status)} (status)"
    return NO_TEAM_LABEL


def _team_names(ids) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return dict(Team.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}


@dataclass
class BreachHolderRow:
    team_id: int | None
    team: str
    breaches: int
    share: float  # of the range's breaches of customer clocks


def teams_at_breach(report_range: ReportRange) -> list[BreachHolderRow]:
    """Which team held the thread when each customer clock (a policy's metric) breached in the
    range, most breaches first. The team at the breach instant is the one the thread's recorded
    team changes say it had then: the last change at or before the breach (a hand-over at that
    very instant is the new team's, as attribution counts it), else the team before the first
    change after it, else the thread's team now (it never changed)."""
    counts: Counter = Counter()
    clocks = (
        breach_clocks(report_range)
        .filter(metric__in=POLICY_METRICS)
        .select_related(None)
        .select_related("thread")
        .only("pk", "thread_id", "breached_at", "thread__team_id")
        .order_by("pk")
    )
    for chunk in _chunks(clocks):
        changes = _team_changes({clock.thread_id for clock in chunk})
        for clock in chunk:
            counts[_team_at(clock, changes.get(clock.thread_id, []))] += 1
    names = _team_names(counts)
    whole = sum(counts.values())
    rows = [
        BreachHolderRow(
            team_id,
            NO_TEAM_LABEL if team_id is None else names.get(team_id, DELETED_TEAM_LABEL),
            breaches,
            breaches / whole,
        )
        for team_id, breaches in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r.breaches, r.team_id is None, r.team))


def _team_changes(thread_ids: set[int]) -> dict[int, list[tuple]]:
    """thread id -> [(instant, old team id, new team id)] in order."""
    changes: dict[int, list[tuple]] = {}
    rows = (
        SlaEvent.objects.filter(thread_id__in=thread_ids, kind=EventKind.THREAD_CHANGED)
        .filter(Q(details__field="team"))
        .order_by("thread_id", "at", "pk")
        .values_list("thread_id", "at", "details")
    )
    for thread_id, at, details in rows:
        changes.setdefault(thread_id, []).append((at, details.get("old"), details.get("new")))
    return changes


def _team_at(clock: SlaClock, changes: list[tuple]) -> int | None:
    before = [new for at, _, new in changes if at <= clock.breached_at]
    if before:
        return before[-1]
    after = [old for at, old, _ in changes if at > clock.breached_at]
    return after[0] if after else clock.thread.team_id
