"""Reads for the breach queue: running clocks most urgent first, the counts per state and the
paused clocks. The page costs a fixed number of queries however many rows it shows."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from policies.models import Tier
from threads.clocks.measure import engine_for, measure
from threads.models import RUNNING_STATES, EventKind, SlaClock, SlaEvent, Thread
from threads.selectors import team_ids, visible_limit

QUEUE_PAGE_SIZE = 50
# Counting every running clock of a million threads costs more than the rest of the page, and a
# count only has to say "a lot": each state's count stops at 100 and then reads "100+".
COUNT_CAP = 100
PAUSED_SHOWN = 50

SCOPES = [("", "Everyone"), ("mine", "Mine"), ("teams", "My teams"), ("unassigned", "Unassigned")]
PAUSED = "paused"  # the state filter's extra choice: only the paused section


@dataclass(frozen=True)
class QueueFilters:
    scope: str = ""  # "", "mine", "teams", "unassigned"
    priority: str = ""
    tier: int | None = None
    channel: str = ""
    metric: str = ""
    state: str = ""  # a running state, or "paused"


@dataclass(frozen=True)
class Count:
    value: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


@dataclass
class QueueRow:
    """A running clock as the queue shows it, read at one instant for the whole page."""

    clock: SlaClock
    used: timedelta
    left: timedelta
    ticking: bool  # its calendar is open now, so business time passes with wall time
    reason: str = ""  # paused rows: why
    at_risk: list = field(default_factory=list)  # the thread page: objectives at risk it counts in
    resumes_at: datetime | None = None  # frozen because its calendar is closed: when it reopens
    held: list = field(default_factory=list)  # the thread page: who held its time (pages.held)

    @property
    def thread(self) -> Thread:
        return self.clock.thread

    @property
    def left_seconds(self) -> int:
        return int(self.left.total_seconds())

    @property
    def state(self) -> str:
        return PAUSED if self.clock.paused else self.clock.state


@dataclass
class Queue:
    page: Page
    rows: list[QueueRow]
    counts: dict[str, Count]
    total: Count
    paused: list[QueueRow]
    paused_count: Count
    now: datetime


def _scoped(clocks: QuerySet, *, user, filters: QueueFilters) -> QuerySet:
    limit = visible_limit(user, "thread__")
    if limit is not None:
        clocks = clocks.filter(limit)
    if filters.scope == "mine":
        clocks = clocks.filter(thread__assignee=user)
    elif filters.scope == "teams":
        clocks = clocks.filter(thread__team_id__in=team_ids(user))
    elif filters.scope == "unassigned":
        clocks = clocks.filter(thread__assignee__isnull=True)
    if filters.priority:
        clocks = clocks.filter(thread__priority=filters.priority)
    if filters.tier:
        clocks = clocks.filter(thread__tier_id=filters.tier)
    if filters.channel:
        clocks = clocks.filter(thread__channel=filters.channel)
    if filters.metric:
        clocks = clocks.filter(metric=filters.metric)
    return clocks


def _with_rows(clocks: QuerySet) -> QuerySet:
    """What a row shows, in a fixed number of queries.

    The thread, its policy and calendar come in the same query; account, tier, assignee and
    team, and a team clock's own team, in one small `IN (…)` query each. Joining all seven
    tables at once costs PostgreSQL ~12 ms of planning per page (the join order search grows
    with every LEFT JOIN) against ~0.5 ms for these small statements."""
    return clocks.select_related("thread", "policy", "calendar").prefetch_related(
        "thread__account", "thread__tier", "thread__assignee", "thread__team", "team"
    )


def queue_clocks(*, user, filters: QueueFilters) -> QuerySet:
    """Running, unpaused clocks, most urgent first.

    `state IN (running)` + `ORDER BY due_at` is what the `clock_running_by_due` partial index
    serves. A paused clock has no due time (pausing clears it), so `due_at IS NOT NULL` keeps
    paused clocks out without reading another column."""
    clocks = SlaClock.objects.filter(state__in=RUNNING_STATES, due_at__isnull=False)
    if filters.state and filters.state != PAUSED:
        clocks = clocks.filter(state=filters.state)
    return _scoped(clocks, user=user, filters=filters).order_by("due_at", "id")


def paused_clocks(*, user, filters: QueueFilters) -> QuerySet:
    """Running clocks on hold, in index order (callers sort what they show).

    A running clock has no due time exactly while it is paused (pausing clears it, resuming
    sets it), so `due_at IS NULL` finds them in the `clock_running_by_due` index. Adding
    `paused = true` would be redundant and makes PostgreSQL expect a hundredth of the rows
    (it takes the two conditions as independent) and pick a plan that reads all of them."""
    clocks = SlaClock.objects.filter(state__in=RUNNING_STATES, due_at__isnull=True)
    return _scoped(clocks, user=user, filters=filters).order_by("due_at")


def _capped_count(clocks: QuerySet, order: str = "stopped_at") -> Count:
    """At most COUNT_CAP + 1 rows are read. Ordering by an indexed column the rows share
    (`stopped_at` is NULL for every running clock, in the (state, stopped_at) index; `due_at`
    is NULL for every paused one) walks that index, so PostgreSQL probes each clock's thread
    and stops at the cap instead of hashing every thread the filters allow."""
    found = clocks.order_by(order)[: COUNT_CAP + 1].count()
    return Count(min(found, COUNT_CAP), capped=found > COUNT_CAP)


def queue_counts(*, user, filters: QueueFilters, paused: bool = True) -> dict[str, Count]:
    """Clocks per state under every filter but the state one (so the header reads as tabs)."""
    unfiltered = replace(filters, state="")
    base = queue_clocks(user=user, filters=unfiltered)
    counts = {state: _capped_count(base.filter(state=state)) for state in RUNNING_STATES}
    if paused:
        counts[PAUSED] = _capped_count(paused_clocks(user=user, filters=unfiltered), "due_at")
    return counts


def _reasons(clock_ids: list[int]) -> dict[int, str]:
    """Why each clock was paused: the reason of its last "paused" event."""
    reasons: dict[int, str] = {}
    events = (
        SlaEvent.objects.filter(clock_id__in=clock_ids, kind=EventKind.PAUSED)
        .order_by("clock_id", "-at", "-id")
        .values_list("clock_id", "details")
    )
    for clock_id, details in events:
        reasons.setdefault(clock_id, (details or {}).get("reason", ""))
    return reasons


def queue_row(clock: SlaClock, now: datetime) -> QueueRow:
    used, left = measure(clock, now)
    resumes_at = None
    ticking = False
    if clock.is_running and not clock.paused:
        engine = engine_for(clock)
        ticking = engine.is_open(now)
        resumes_at = None if ticking else engine.next_open(now)
    return QueueRow(clock=clock, used=used, left=left, ticking=ticking, resumes_at=resumes_at)


def _page_number(page) -> int:
    try:
        return max(1, int(page))
    except (TypeError, ValueError):
        return 1


def breach_queue(
    *, user, filters: QueueFilters, page: int | str = 1, now: datetime | None = None
) -> Queue:
    """One page of the breach queue, the counts per state and the paused clocks.

    The page reads one row more than it shows to know whether another page follows; the
    total is known exactly only while every count is under its cap."""
    now = now or timezone.now()
    show_paused = filters.state in ("", PAUSED)
    counts = queue_counts(user=user, filters=filters, paused=not show_paused)
    paused: list[QueueRow] = []
    if show_paused:  # the rows shown and their count in one read
        found = list(_with_rows(paused_clocks(user=user, filters=filters))[: COUNT_CAP + 1])
        counts[PAUSED] = Count(min(len(found), COUNT_CAP), capped=len(found) > COUNT_CAP)
        shown = sorted(found[:PAUSED_SHOWN], key=lambda c: (c.started_at, c.pk))
        reasons = _reasons([c.pk for c in shown])
        for clock in shown:
            row = queue_row(clock, now)
            row.reason = reasons.get(clock.pk, "")
            paused.append(row)
    if filters.state == PAUSED:
        shown_states: list[str] = []  # only the paused section is asked for
    else:
        shown_states = [filters.state] if filters.state else list(RUNNING_STATES)
    total = Count(
        sum(counts[s].value for s in shown_states),
        capped=any(counts[s].capped for s in shown_states),
    )
    number = _page_number(page)
    if not total.capped:  # past the end: the last page, as Paginator.get_page does
        number = min(number, max(1, -(-total.value // QUEUE_PAGE_SIZE)))
    offset = (number - 1) * QUEUE_PAGE_SIZE
    clocks = _with_rows(queue_clocks(user=user, filters=filters))
    fetched = list(clocks[offset : offset + QUEUE_PAGE_SIZE + 1]) if shown_states else []
    paginator = Paginator(clocks, QUEUE_PAGE_SIZE, allow_empty_first_page=True)
    # As many as we know of: enough for the page links, and no COUNT(*) over every match.
    paginator.count = max(total.value, offset + len(fetched))
    current = Page(fetched[:QUEUE_PAGE_SIZE], number, paginator)
    rows = [queue_row(clock, now) for clock in current.object_list]
    return Queue(
        page=current,
        rows=rows,
        counts=counts,
        total=total,
        paused=paused,
        paused_count=counts[PAUSED],
        now=now,
    )


def filter_choices() -> dict[str, list]:
    """What the queue's filter form offers that lives in the database."""
    return {"tiers": list(Tier.objects.order_by("order", "name").values_list("pk", "name"))}
