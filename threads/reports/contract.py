"""The report's two views of one range (docs/rules.md, "Reports: contract and operations"):
*contract*, what the customer is owed (a breach with a confirmed excused reason is left out),
beside *operations*, what the team must fix (every breach); the breaches by reason; and the
clocks whose due time a person moved, judged against both due times.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from policies.vocabulary import Metric
from threads.models import ClockState, SlaClock
from threads.reports.queries import ReportRange, achievement_rate, breach_clocks

NO_REASON = "(no reason yet)"


@dataclass
class ReasonRow:
    reason_id: int | None
    name: str
    excused: bool  # the reason excuses (its confirmed breaches leave the contract view)
    breaches: int
    confirmed: int  # of them, given or confirmed by a manager
    pending: int  # given by an agent, waiting for a manager

    @property
    def excused_breaches(self) -> int:
        return self.confirmed if self.excused else 0

    @property
    def excused_text(self) -> str:
        if self.reason_id is None:
            return ""
        return "yes" if self.excused else "no"


def reasons(report_range: ReportRange) -> list[ReasonRow]:
    """The breaches of the range (as the breach review counts them, by their breach instant) by
    reason, most frequent first, with those still without a reason as one row."""
    rows = (
        breach_clocks(report_range)
        .order_by()
        .values("breach_reason_id", "breach_reason__name", "breach_reason__excused")
        .annotate(
            breaches=Count("pk"),
            confirmed=Count("pk", filter=Q(breach_reason_confirmed=True)),
        )
    )
    result = [
        ReasonRow(
            reason_id=row["breach_reason_id"],
            name=row["breach_reason__name"] or NO_REASON,
            excused=bool(row["breach_reason__excused"]),
            breaches=row["breaches"],
            confirmed=row["confirmed"] if row["breach_reason_id"] else 0,
            pending=(row["breaches"] - row["confirmed"]) if row["breach_reason_id"] else 0,
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: (r.reason_id is None, -r.breaches, r.name))


@dataclass
class OverrideRow:
    metric: str
    clocks: int
    original_kept: int  # against the policy's due time
    original_missed: int
    moved_kept: int  # against the moved due time
    moved_missed: int

    @property
    def label(self) -> str:
        return Metric(self.metric).label

    @property
    def original_rate(self) -> float | None:
        return achievement_rate(self.original_kept, self.original_missed)

    @property
    def moved_rate(self) -> float | None:
        return achievement_rate(self.moved_kept, self.moved_missed)


def overridden(report_range: ReportRange) -> list[OverrideRow]:
    """Per metric, the clocks with a moved due time whose outcome fell in the range (stopped in
    it, or still breaching since a breach in it), each judged twice: against the original due
    time (missed when it passed it: `missed_at`) and against the moved one (its state)."""
    start, end = report_range.bounds
    in_range = Q(state__in=[ClockState.ACHIEVED, ClockState.BREACHED], stopped_at__gte=start) & Q(
        stopped_at__lt=end
    )
    in_range |= Q(state=ClockState.BREACHING, breached_at__gte=start, breached_at__lt=end)
    moved_missed = Q(state__in=[ClockState.BREACHED, ClockState.BREACHING])
    rows = (
        SlaClock.objects.filter(in_range, override_due_at__isnull=False)
        .values("metric")
        .annotate(
            clocks=Count("pk"),
            original_missed=Count("pk", filter=Q(missed_at__isnull=False)),
            moved_missed=Count("pk", filter=moved_missed),
        )
        .order_by("metric")
    )
    found = {
        row["metric"]: OverrideRow(
            metric=row["metric"],
            clocks=row["clocks"],
            original_kept=row["clocks"] - row["original_missed"],
            original_missed=row["original_missed"],
            moved_kept=row["clocks"] - row["moved_missed"],
            moved_missed=row["moved_missed"],
        )
        for row in rows
    }
    return [found[m] for m in Metric.values if m in found]
