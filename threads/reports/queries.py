"""Compliance reports: aggregate queries over finished clocks, never Python loops over rows.

A clock counts in the range in which it stopped. Achievement = achieved ÷ (achieved + breached);
cancelled clocks (no action was needed) are kept out of it and counted apart.
"""

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Aggregate, Count, DurationField, Q, Sum
from django.db.models.functions import TruncDay, TruncWeek
from django.utils import timezone

from policies.vocabulary import Channel, Metric, Priority
from threads.models import ClockState, SlaClock

DIMENSIONS = {
    "policy": ("policy_id", "policy__name", "Policy"),
    "tier": ("thread__tier_id", "thread__tier__name", "Tier"),
    "priority": ("thread__priority", None, "Priority"),
    "team": ("thread__team_id", "thread__team__name", "Team"),
    "agent": ("holder_id", "holder__username", "Agent"),  # shown by display_name, below
    "channel": ("thread__channel", None, "Channel"),
}
LABELS = {"thread__priority": dict(Priority.choices), "thread__channel": dict(Channel.choices)}
FINISHED = [ClockState.ACHIEVED, ClockState.BREACHED, ClockState.CANCELLED]


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY …)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=fraction, **extra)


@dataclass
class ReportRange:
    start: date
    end: date  # inclusive
    zone: str = "UTC"

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        tz = zoneinfo.ZoneInfo(self.zone)
        return (
            datetime.combine(self.start, time(0), tz),
            datetime.combine(self.end + timedelta(days=1), time(0), tz),
        )


@dataclass
class MetricSummary:
    metric: str
    achieved: int = 0
    breached: int = 0
    cancelled: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None
    paused: timedelta = field(default_factory=timedelta)
    excused: int = 0  # breaches with a confirmed excused reason: out of the contract view

    @property
    def label(self) -> str:
        return Metric(self.metric).label

    @property
    def rate(self) -> float | None:
        """Operations: every breach counts."""
        return achievement_rate(self.achieved, self.breached)

    @property
    def contract_breached(self) -> int:
        return self.breached - self.excused

    @property
    def contract_rate(self) -> float | None:
        """Contract: excused breaches left out (threads/reports/contract.py)."""
        return achievement_rate(self.achieved, self.contract_breached)


def achievement_rate(achieved: int, breached: int) -> float | None:
    """Achieved ÷ (achieved + breached), between 0 and 1; None while nothing was judged (cancelled
    and running clocks are left out)."""
    judged = achieved + breached
    return achieved / judged if judged else None


def finished_clocks(report_range: ReportRange):
    start, end = report_range.bounds
    return SlaClock.objects.filter(state__in=FINISHED, stopped_at__gte=start, stopped_at__lt=end)


def _outcome_counts():
    return {
        "achieved": Count("id", filter=Q(state=ClockState.ACHIEVED)),
        "breached": Count("id", filter=Q(state=ClockState.BREACHED)),
        "cancelled": Count("id", filter=Q(state=ClockState.CANCELLED)),
    }


def summary(report_range: ReportRange) -> list[MetricSummary]:
    """Per metric: outcomes, median and p90 business time to stop, time spent paused."""
    clocks = finished_clocks(report_range)
    measured = Q(state__in=[ClockState.ACHIEVED, ClockState.BREACHED])
    excused = Q(
        state=ClockState.BREACHED, breach_reason__excused=True, breach_reason_confirmed=True
    )
    annotations = {
        **_outcome_counts(),
        "excused": Count("id", filter=excused),
        "paused": Sum("paused_for"),
    }
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:  # one pass over the clocks for counts and percentiles
        annotations["median"] = PercentileCont("used", 0.5, filter=measured)
        annotations["p90"] = PercentileCont("used", 0.9, filter=measured)
    rows = {}
    for row in clocks.values("metric").annotate(**annotations).order_by("metric"):
        rows[row["metric"]] = MetricSummary(
            metric=row["metric"],
            achieved=row["achieved"],
            breached=row["breached"],
            cancelled=row["cancelled"],
            paused=row["paused"] or timedelta(),
            excused=row["excused"],
            median=row.get("median"),
            p90=row.get("p90"),
        )
    if not on_postgres:
        for metric, (median, p90) in _percentiles(clocks.filter(measured)).items():
            if metric in rows:
                rows[metric].median, rows[metric].p90 = median, p90
    return [rows[m] for m in Metric.values if m in rows]


def _percentiles(clocks) -> dict[str, tuple]:
    """SQLite (the embedded shape) has no percentile aggregate: sort the durations per metric."""
    result = {}
    for metric in Metric.values:
        values = list(clocks.filter(metric=metric).order_by("used").values_list("used", flat=True))
        if values:
            result[metric] = (_interpolate(values, 0.5), _interpolate(values, 0.9))
    return result


def _interpolate(values: list[timedelta], fraction: float) -> timedelta:
    """percentile_cont, the same way PostgreSQL computes it."""
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


@dataclass
class BreakdownRow:
    key: object
    label: str
    metric: str
    achieved: int
    breached: int
    cancelled: int

    @property
    def rate(self) -> float | None:
        return achievement_rate(self.achieved, self.breached)

    @property
    def metric_label(self) -> str:
        return Metric(self.metric).label


def display_name(first: str, last: str, username: str) -> str:
    """A person as the reports name them: what get_full_name() gives, else the username."""
    return f"{first} {last}".strip() or username


def breakdown(report_range: ReportRange, dimension: str) -> list[BreakdownRow]:
    key, name, _ = DIMENSIONS[dimension]
    fields = [key, "metric"] + ([name] if name else [])
    if dimension == "agent":
        fields += ["holder__first_name", "holder__last_name"]
    rows = (
        finished_clocks(report_range)
        .values(*fields)
        .annotate(**_outcome_counts())
        .order_by(key, "metric")
    )
    result = []
    for row in rows:
        value = row[key]
        label = row[name] if name else LABELS.get(key, {}).get(value, value)
        if dimension == "agent" and value is not None:
            label = display_name(row["holder__first_name"], row["holder__last_name"], label)
        if value is None:
            label = {"tier": "(default tier)", "agent": "(unassigned)"}.get(dimension, "(none)")
        result.append(
            BreakdownRow(
                value, str(label), row["metric"], row["achieved"], row["breached"], row["cancelled"]
            )
        )
    return result


@dataclass
class TrendPoint:
    bucket: date
    achieved: int
    breached: int
    cancelled: int

    @property
    def rate(self) -> float | None:
        return achievement_rate(self.achieved, self.breached)

    @property
    def counts(self) -> tuple[int, int, float | None]:
        """What the trend chart draws: achieved, breached, the rate."""
        return self.achieved, self.breached, self.rate


def trend(report_range: ReportRange, *, per: str = "day", metric: str | None = None):
    tz = zoneinfo.ZoneInfo(report_range.zone)
    trunc = TruncWeek if per == "week" else TruncDay
    clocks = finished_clocks(report_range)
    if metric:
        clocks = clocks.filter(metric=metric)
    rows = (
        clocks.annotate(bucket=trunc("stopped_at", tzinfo=tz))
        .values("bucket")
        .annotate(**_outcome_counts())
        .order_by("bucket")
    )
    return [
        TrendPoint(
            row["bucket"].date() if isinstance(row["bucket"], datetime) else row["bucket"],
            row["achieved"],
            row["breached"],
            row["cancelled"],
        )
        for row in rows
    ]


@dataclass
class BreachRow:
    clock_id: int
    thread_id: int
    subject: str
    metric: str
    holder: str | None
    due_at: datetime | None
    stopped_at: datetime | None
    late: timedelta
    state: str


BREACH_PAGE_SIZE = 100  # rows per page of the breach review
BREACH_CHUNK = 500  # rows read at a time by the CSV export


def breach_clocks(report_range: ReportRange):
    """The clocks that breached in the range (by their due time), newest first; the id breaks
    ties, so an incident's breaches at one instant keep their place from page to page."""
    start, end = report_range.bounds
    return (
        SlaClock.objects.filter(breached_at__gte=start, breached_at__lt=end)
        .filter(state__in=[ClockState.BREACHED, ClockState.BREACHING])
        .select_related("thread", "holder", "calendar")
        .order_by("-breached_at", "-pk")
    )


def breach_row(clock: SlaClock, now: datetime) -> BreachRow:
    """How late a breach was in business time: a still breaching one is measured up to now."""
    from threads.clocks.measure import used_at

    used = clock.used if clock.state == ClockState.BREACHED else used_at(clock, now)
    return BreachRow(
        clock.pk,
        clock.thread_id,
        clock.thread.subject,
        clock.get_metric_display(),
        (clock.holder.get_full_name() or clock.holder.username) if clock.holder else None,
        clock.breached_at,
        clock.stopped_at,
        max(used - clock.target_duration, timedelta()),
        clock.state,
    )


def breaches(report_range: ReportRange, *, now: datetime | None = None) -> Iterator[BreachRow]:
    """Every breach of the range, all of them, read BREACH_CHUNK rows at a time: the CSV export
    streams them in constant memory however many an incident produced."""
    now = now or timezone.now()  # one instant for every row, taken now rather than when read
    clocks = breach_clocks(report_range).iterator(chunk_size=BREACH_CHUNK)
    return (breach_row(clock, now) for clock in clocks)


def breach_page(report_range: ReportRange, number: int = 1, *, now: datetime | None = None):
    """One page of the breach review: its rows, and a paginator whose count is every breach of
    the range. A number past the end is the last page."""
    now = now or timezone.now()
    page = Paginator(breach_clocks(report_range), BREACH_PAGE_SIZE).get_page(number)
    page.object_list = [breach_row(clock, now) for clock in page.object_list]
    return page


def full_report(
    report_range: ReportRange, *, by: str, per: str, metric: str | None, page: int = 1
) -> dict:
    """Everything the report page shows, with one page of the breach review. On PostgreSQL,
    outside a transaction, the independent queries run side by side on their own connections:
    the page takes as long as the slowest query instead of their sum."""
    jobs = {
        "summary": lambda: summary(report_range),
        "breakdown": lambda: breakdown(report_range, by),
        "trend": lambda: trend(report_range, per=per, metric=metric),
        "breaches": lambda: breach_page(report_range, page),
        "reasons": lambda: contract.reasons(report_range),
        "overridden": lambda: contract.overridden(report_range),
        "team_targets": lambda: teams.team_targets(report_range),
        "time_held": lambda: teams.time_held(report_range),
        "teams_at_breach": lambda: teams.teams_at_breach(report_range),
        "resolution": lambda: resolution.resolution_figures(report_range),
    }
    from threads.reports import contract, resolution, teams

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return {name: job() for name, job in jobs.items()}
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run(job):
        try:
            return job()
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}
