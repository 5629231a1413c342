"""An account's statement (docs/rules.md, "Objectives: the account's statement"): for one account
and one month, every objective that covers the account, each figure counted again over that
account's clocks only (an objective over every thread would otherwise tell one customer another's
volume), the clocks behind the figures, the breaches with their reasons as customers read them,
and the moved due times.

Nothing here reads an objective's rollups or its closed-period snapshot figures: both are counts
over every account. A closed period is marked closed, and a correction made after it closed is
shown as one (the clocks it changed are named), never folded in silently.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from objectives.figures import (
    Counts,
    Figures,
    clocks_of,
    count_clocks,
    figures_for,
    local_midnight,
    period_bounds,
)
from objectives.models import Objective, ObjectivePeriod
from policies.models import Tier
from threads.clocks.outcome import ACHIEVED, CANCELLED, MISSED
from threads.models import SlaClock

OUTCOME_TEXT = {
    ACHIEVED: "met",
    MISSED: "missed",
    CANCELLED: "cancelled (no action needed)",
}
STATUS_TEXT = {
    "healthy": "on track",
    "at_risk": "at risk",
    "below_target": "below target so far",
}
NO_REASON = "no reason given yet"
UNDER_REVIEW = "reason under review"


def parse_month(text: str) -> date | None:
    """'2026-11' as the month's first day; None when it is not a month between 2000 and 2100."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        return None
    if not 2000 <= first.year <= 2100 or len(text) != 7:
        return None
    return first


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def objective_bounds(objective: Objective, month: date, now: datetime):
    """The objective's own period for the month: the calendar month or quarter it falls in, or
    the rolling window that ends with the month (or now, if the month is not over)."""
    zone = objective.zone
    if objective.rolling:
        end_of_month = local_midnight(_next_month(month), zone) - timedelta(microseconds=1)
        return period_bounds(objective, min(now, end_of_month))
    return period_bounds(objective, local_midnight(month, zone))


def covers(objective: Objective, account: Account, default_tier_id: int | None) -> bool:
    """Whether the objective's scope can hold this account's clocks: no account or tier filter,
    or one that names the account or its tier (other filters, team or priority, pick among its
    clocks and do not leave it out)."""
    scope = objective.scope or {}
    accounts, tiers = scope.get("accounts"), scope.get("tiers")
    if accounts and account.pk not in accounts:
        return False
    return not tiers or (account.tier_id or default_tier_id) in tiers


@dataclass
class ClockLine:
    clock_id: int
    thread_id: int
    subject: str
    metric: str
    due_at: datetime | None  # the due time the objective counts against (the policy's)
    moved_due_at: datetime | None
    outcome: str  # counted_as
    decided_at: datetime | None
    reason: str  # as customers read it; "" unless the clock missed
    excused: bool
    moved_reason: str
    changed_after_close: bool = False

    @property
    def outcome_text(self) -> str:
        if self.outcome == MISSED and self.excused:
            return "missed (excused)"
        return OUTCOME_TEXT.get(self.outcome, self.outcome)


@dataclass
class Override:
    thread_id: int
    subject: str
    metric: str
    due_at: datetime | None
    moved_due_at: datetime | None
    exempt: bool
    at: datetime | None
    reason: str


@dataclass
class ObjectiveStatement:
    objective: Objective
    start: datetime
    end: datetime
    figures: Figures
    closed: bool
    closed_at: datetime | None  # when the objective's period was closed (its snapshot)
    corrected_at: datetime | None  # a correction recorded after it closed
    clocks: list[ClockLine] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.objective.zone).date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).astimezone(self.objective.zone).date()

    @property
    def status_text(self) -> str:
        """As the customer reads it: a closed period met its target or not."""
        if self.closed:
            return "target not met" if self.figures.status == "failed" else "target met"
        return STATUS_TEXT.get(self.figures.status, self.figures.status)

    @property
    def breaches(self) -> list[ClockLine]:
        return [line for line in self.clocks if line.outcome == MISSED]

    @property
    def corrections(self) -> list[ClockLine]:
        return [line for line in self.clocks if line.changed_after_close]


def account_counter(objective: Objective, account: Account):
    """Counts over the account's clocks only, straight from the clocks (never the rollups)."""

    def count(start: datetime, end: datetime, now: datetime) -> Counts:
        end = min(end, now)
        if end <= start:
            return Counts()
        return count_clocks(objective, start, end, account_id=account.pk)

    return count


def _reason_text(clock: SlaClock) -> tuple[str, bool]:
    """The reason as a customer reads it (BreachReason.shown_to_customers: never its
    description, never the note); a reason no manager confirmed yet is under review."""
    reason = clock.breach_reason
    if reason is None:
        return NO_REASON, False
    if not clock.breach_reason_confirmed:
        return UNDER_REVIEW, False
    return reason.shown_to_customers, reason.excused


def _line(clock: SlaClock, closed_at: datetime | None) -> ClockLine:
    reason, excused = _reason_text(clock) if clock.counted_as == MISSED else ("", False)
    changed = closed_at is not None and any(
        at is not None and at > closed_at for at in (clock.breach_reason_at, clock.overridden_at)
    )
    return ClockLine(
        clock_id=clock.pk,
        thread_id=clock.thread_id,
        subject=clock.thread.subject,
        metric=clock.get_metric_display(),
        due_at=clock.original_due_at or clock.due_at,
        moved_due_at=clock.override_due_at,
        outcome=clock.counted_as,
        decided_at=clock.counted_at,
        reason=reason,
        excused=excused,
        moved_reason=clock.override_reason if clock.override_due_at else "",
        changed_after_close=changed,
    )


def _overrides(objective, account, start, end) -> list[Override]:
    """Moved due times of the clocks counted in the period, and exemptions made in it."""
    counted = Q(counted_at__gte=start, counted_at__lt=end, override_due_at__isnull=False)
    counted &= Q(pk__in=clocks_of(objective, account.pk).values("pk"))
    exempted = Q(
        exempt=True,
        thread__account=account,
        metric=objective.metric,
        overridden_at__gte=start,
        overridden_at__lt=end,
    )
    clocks = (
        SlaClock.objects.filter(counted | exempted)
        .select_related("thread")
        .order_by("overridden_at", "pk")
    )
    return [
        Override(
            thread_id=c.thread_id,
            subject=c.thread.subject,
            metric=c.get_metric_display(),
            due_at=c.original_due_at or c.due_at,
            moved_due_at=None if c.exempt else c.override_due_at,
            exempt=c.exempt,
            at=c.overridden_at,
            reason=c.override_reason,
        )
        for c in clocks
    ]


def objective_statement(objective, account, month, now) -> ObjectiveStatement:
    start, end = objective_bounds(objective, month, now)
    figures = figures_for(objective, start, end, now, counter=account_counter(objective, account))
    snapshot = ObjectivePeriod.objects.filter(objective=objective, start=start).first()
    closed_at = snapshot.closed_at if snapshot else None
    clocks = (
        clocks_of(objective, account.pk)
        .filter(counted_at__gte=start, counted_at__lt=min(end, now))
        .select_related("thread", "breach_reason")
        .order_by("counted_at", "pk")
    )
    return ObjectiveStatement(
        objective=objective,
        start=start,
        end=end,
        figures=figures,
        closed=end <= now,
        closed_at=closed_at,
        corrected_at=snapshot.corrected_at if snapshot and snapshot.correction else None,
        clocks=[_line(clock, closed_at) for clock in clocks],
        overrides=_overrides(objective, account, start, end),
    )


def statement(account: Account, month: date, now: datetime | None = None):
    """Every objective that covers the account, or that counted one of its clocks in the
    period (the account's tier may have changed since), each over the account's clocks only."""
    now = now or timezone.now()
    default_tier = Tier.objects.filter(is_default=True).values_list("pk", flat=True).first()
    result = []
    for objective in Objective.objects.order_by("name"):
        if not covers(objective, account, default_tier):
            start, end = objective_bounds(objective, month, now)
            found = clocks_of(objective, account.pk).filter(
                counted_at__gte=start, counted_at__lt=end
            )
            if not found.exists():
                continue
        result.append(objective_statement(objective, account, month, now))
    return result
