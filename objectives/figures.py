"""An objective's figures for a period (docs/rules.md, "Objectives"): one formula, in integer
arithmetic where the contract says so, shared by the API, the pages, the statement and the
alerts.

Counts come from the daily rollups for days that are over (rollup.py) and from the clocks
themselves for the rest (today, through the `clock_counted_metric` index), so the cost follows
the number of days in a period, not the number of clocks.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from objectives.models import Objective, Period, Status
from objectives.scope import scope_filter
from threads.clocks.outcome import ACHIEVED, CANCELLED, MISSED, ROLLUP_GRACE
from threads.models import SlaClock

ROLLING_DAYS = {Period.ROLLING_7D: 7, Period.ROLLING_28D: 28, Period.ROLLING_30D: 30}
RECENT_DAYS = 7  # the success rate a projection assumes for the rest of the period


@dataclass
class Counts:
    achieved: int = 0
    breached: int = 0
    excused: int = 0
    cancelled: int = 0

    @property
    def misses(self) -> int:
        return self.breached - self.excused

    @property
    def volume(self) -> int:
        return self.achieved + self.misses

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            self.achieved + other.achieved,
            self.breached + other.breached,
            self.excused + other.excused,
            self.cancelled + other.cancelled,
        )


# ------------------------------------------------------------------------------ periods


def local_midnight(day: date, zone) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def period_bounds(objective: Objective, now: datetime) -> tuple[datetime, datetime]:
    """The period `now` falls in: [start, end) as aware instants in the objective's zone. A
    rolling window is the last N local days, today included."""
    zone = objective.zone
    today = now.astimezone(zone).date()
    if objective.period in ROLLING_DAYS:
        first = today - timedelta(days=ROLLING_DAYS[objective.period] - 1)
        return local_midnight(first, zone), local_midnight(today + timedelta(days=1), zone)
    if objective.period == Period.QUARTER:
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        months = 3
    else:
        first = date(today.year, today.month, 1)
        months = 1
    following = _add_months(first, months)
    return local_midnight(first, zone), local_midnight(following, zone)


def previous_bounds(objective: Objective, start: datetime) -> tuple[datetime, datetime]:
    zone = objective.zone
    first = start.astimezone(zone).date()
    if objective.period in ROLLING_DAYS:
        begin = first - timedelta(days=ROLLING_DAYS[objective.period])
    else:
        begin = _add_months(first, -3 if objective.period == Period.QUARTER else -1)
    return local_midnight(begin, zone), start


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# ------------------------------------------------------------------------------- counts


def clocks_of(objective: Objective, account_id: int | None = None):
    """The objective's counted clocks (one account's only, for its statement)."""
    clocks = (
        SlaClock.objects.filter(metric=objective.metric)
        .exclude(counted_as="")
        .filter(scope_filter(objective.scope))
    )
    return clocks if account_id is None else clocks.filter(scope_account=account_id)


EXCUSED = Q(counted_as=MISSED, breach_reason__excused=True, breach_reason_confirmed=True)


def count_clocks(
    objective: Objective, start: datetime, end: datetime, account_id: int | None = None
) -> Counts:
    """Counted from the clocks themselves (one aggregate over `clock_counted_metric`)."""
    excused = EXCUSED
    found = (
        clocks_of(objective, account_id)
        .filter(counted_at__gte=start, counted_at__lt=end)
        .aggregate(
            achieved=Count("pk", filter=Q(counted_as=ACHIEVED)),
            breached=Count("pk", filter=Q(counted_as=MISSED)),
            excused=Count("pk", filter=excused),
            cancelled=Count("pk", filter=Q(counted_as=CANCELLED)),
        )
    )
    return Counts(**found)


def rolled_until(now: datetime, zone) -> date:
    """The first local day whose rollup may not be counted yet (days before it are over, and
    have been for ROLLUP_GRACE, so no outcome of theirs is still on its way)."""
    return (now - ROLLUP_GRACE).astimezone(zone).date()


class Tally:
    """One objective's counts as of `now`, for any span that starts on a local day: the
    rollups of the days that are over, read in one query (made when missing), and the clocks
    from the first day not rolled up yet, each live span counted once."""

    def __init__(self, objective: Objective, now: datetime, first_day: date):
        from objectives.rollup import ensure_days

        self.objective, self.now, self.zone = objective, now, objective.zone
        self.open_day = max(rolled_until(now, self.zone), first_day)
        self.days = ensure_days(objective, first_day, self.open_day, now)
        self.live: dict = {}

    def between(self, start: datetime, end: datetime) -> Counts:
        """Counts for [start, end) (start aligned to its local midnight)."""
        end = min(end, self.now)
        if end <= start:
            return Counts()
        zone = self.zone
        first_day = start.astimezone(zone).date()
        open_day = min(self.open_day, end.astimezone(zone).date())
        total = Counts()
        for day, counts in self.days.items():
            if first_day <= day < open_day:
                total = total + counts
        live_from = max(start, local_midnight(open_day, zone))
        if live_from < end:
            if (live_from, end) not in self.live:
                self.live[live_from, end] = count_clocks(self.objective, live_from, end)
            total = total + self.live[live_from, end]
        return total


def counts_between(objective: Objective, start: datetime, end: datetime, now: datetime) -> Counts:
    """The objective's counts for [start, end) as of `now`: rollups of the days that are over
    (made when missing), the clocks for the rest."""
    return Tally(objective, now, start.astimezone(objective.zone).date()).between(start, end)


# ------------------------------------------------------------------------------ figures


def percent(part: int, whole: int) -> Decimal | None:
    """part ÷ whole × 100, rounded half-up to 2 decimals; None when whole is 0."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def allowed_misses(volume: int, target_percent: Decimal) -> int:
    """⌊volume × (10000 − 100 × target) ÷ 10000⌋ in integers: ⌊1000 × 0.1 %⌋ is 1."""
    target = int((Decimal(target_percent) * 100).to_integral_value())
    return volume * (10000 - target) // 10000


@dataclass
class Figures:
    period_start: datetime
    period_end: datetime
    achieved: int
    breached: int
    excused: int
    cancelled: int
    compliance_percent: Decimal | None
    allowed_misses: int
    allowed_misses_period_end: int | None
    misses: int
    budget_left: int
    projected_percent: Decimal | None
    status: str

    def as_dict(self) -> dict:
        return asdict(self)

    def as_json(self) -> dict:
        """Kept in JSON (a closed period's snapshot, an alert's details): instants as ISO text,
        percentages as numbers."""
        out = {}
        for name, value in self.as_dict().items():
            if isinstance(value, datetime):
                value = value.isoformat()
            elif value is not None and not isinstance(value, int | str):
                value = float(value)
            out[name] = value
        return out


def figures(objective: Objective, now: datetime | None = None) -> Figures:
    """The current period's figures, as of `now`."""
    now = now or timezone.now()
    start, end = period_bounds(objective, now)
    return figures_for(objective, start, end, now)


class Counter:
    """Counts from the clocks alone through `counter(start, end, now)`, for a caller whose
    clocks no rollup holds (an account's statement counts that account's clocks only)."""

    def __init__(self, counter, now: datetime):
        self.counter, self.now = counter, now

    def between(self, start: datetime, end: datetime) -> Counts:
        return self.counter(start, end, self.now)


def figures_for(
    objective: Objective, start: datetime, end: datetime, now: datetime, *, counter=None
) -> Figures:
    """The figures of [start, end) as of `now`, by the one formula. `counter(start, end, now)
    -> Counts` replaces the objective's rollups and live count (an account's statement)."""
    previous_start, previous_end = previous_bounds(objective, start)
    recent_start = now - timedelta(days=RECENT_DAYS)
    first = min(previous_start, recent_start).astimezone(objective.zone).date()
    # One read of the rollups for all three spans.
    tally = Counter(counter, now) if counter else Tally(objective, now, first)
    counts = tally.between(start, end)
    target = Decimal(objective.target_percent)
    n = counts.volume
    compliance = percent(counts.achieved, n)
    allowed = allowed_misses(n, target)
    budget_left = allowed - counts.misses
    previous = tally.between(previous_start, previous_end)
    expected = max(previous.volume, n) if previous.volume > 0 else None
    allowed_end = allowed_misses(expected, target) if expected is not None else None
    closed = end <= now
    projected = None
    if not objective.rolling and expected is not None:
        # Once the period is over nothing is left to project: its compliance is the outcome
        # (and a closed period's recount does not drift with the days after it).
        recent = tally.between(recent_start, now)
        projected = compliance if closed else _projection(counts, recent, expected)
    if closed:
        status = Status.FAILED if compliance is not None and compliance < target else Status.HEALTHY
    elif budget_left < 0:
        status = Status.BELOW_TARGET
    elif (counts.misses > 0 and counts.misses >= Decimal(objective.at_risk_share) * allowed) or (
        projected is not None and projected < target
    ):
        status = Status.AT_RISK
    else:
        status = Status.HEALTHY
    return Figures(
        period_start=start,
        period_end=end,
        achieved=counts.achieved,
        breached=counts.breached,
        excused=counts.excused,
        cancelled=counts.cancelled,
        compliance_percent=compliance,
        allowed_misses=allowed,
        allowed_misses_period_end=allowed_end,
        misses=counts.misses,
        budget_left=budget_left,
        projected_percent=projected,
        status=status,
    )


def _projection(counts: Counts, recent: Counts, expected: int):
    """Compliance at the period's end if the rest of the expected volume meets the last 7 days'
    success rate (the period's own so far when the last 7 days decided nothing)."""
    if expected <= 0:
        return None
    rate_of = recent if recent.volume else counts
    if not rate_of.volume:
        return None
    rest = max(expected - counts.volume, 0)
    kept = Decimal(counts.achieved) + Decimal(rest) * rate_of.achieved / rate_of.volume
    return (kept * 100 / Decimal(counts.volume + rest)).quantize(Decimal("0.01"), ROUND_HALF_UP)
