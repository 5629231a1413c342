"""Reads for the inbox: one row per thread with its most urgent running clock, searched,
filtered and sorted. The page costs a fixed number of queries however many threads match."""

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Account, Contact
from policies.vocabulary import TEAM_METRICS, Metric, Priority
from slaops.formatting import format_duration
from slaops.ids import parse_id
from threads.clocks.measure import engine_for, measure
from threads.models import CLOSED_STATUSES, RUNNING_STATES, Message, SlaClock, Thread
from threads.pages.clock_names import badge_name
from threads.selectors import team_ids, visible_limit

PAGE_SIZE = 50
COUNT_CAP = 200  # "200+": an exact count of a million threads costs more than the page
SEARCH_CAP = 2000  # a search reads at most this many matches (the newest) of each kind
OPEN = "open"  # the status filter's default: every status but resolved and closed
ANY = "any"
PAUSED = "paused"
NO_CLOCK = "none"

# Only orders an index serves (at a million threads a sort of every row costs seconds): "due"
# walks the running clocks by due time, "priority" walks created_at once per priority.
SORTS = {
    "due": "Most urgent",
    "-created": "Newest",
    "created": "Oldest",
    "priority": "Priority",
    "subject": "Subject",
}
PRIORITY_ORDER = list(Priority.values)  # most pressing first


@dataclass(frozen=True)
class InboxFilters:
    q: str = ""
    scope: str = ""  # "", "mine", "teams", "unassigned"
    status: str = OPEN  # OPEN, ANY or a thread status
    priority: str = ""
    channel: str = ""
    tier: int | None = None
    team: int | None = None
    state: str = ""  # a running state of some clock, PAUSED, or NO_CLOCK
    sort: str = "due"
    matches: tuple[int, ...] | None = None  # the search's threads, once read (see `inbox`)


@dataclass
class Badge:
    """A thread's most urgent running clock, read at the page's instant."""

    clock: SlaClock
    left: timedelta
    ticking: bool

    @property
    def state(self) -> str:
        return PAUSED if self.clock.paused else self.clock.state

    @property
    def left_seconds(self) -> int:
        return int(self.left.total_seconds())

    @property
    def for_team(self) -> bool:
        """A team's own clock (more urgent than the customer's): the badge names the team."""
        return self.clock.metric in TEAM_METRICS

    @property
    def says(self) -> str:
        """The badge in words: "Tier 2 response due in 12m", "… overdue by 5m", "… paused"."""
        name = badge_name(self.clock)
        if self.clock.paused or self.clock.due_at is None:
            return f"{name} paused"
        if self.left < timedelta():
            return f"{name} overdue by {format_duration(-self.left)}"
        return f"{name} due in {format_duration(self.left)}"


@dataclass
class InboxRow:
    thread: Thread
    badge: Badge | None
    at_risk: list = field(default_factory=list)  # objectives at risk its running clocks count in


@dataclass
class Inbox:
    rows: list[InboxRow]
    number: int
    has_next: bool
    total: int
    capped: bool
    now: datetime

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def end(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.rows)


def _running(prefix: str) -> Q:
    return Q(state__in=RUNNING_STATES, thread_id=OuterRef("pk" if not prefix else "thread_id"))


def search_ids(q: str) -> list[int]:
    """Threads whose subject, external id, account, contact or any message's text contains `q`
    (or "#123": that thread), the newest SEARCH_CAP of them.

    Each part is its own query, so PostgreSQL answers it from its trigram index (migration
    0010) or from a small table; one OR across the joined tables would read every thread."""
    parts = [
        (Thread.objects.filter(subject__icontains=q), "pk"),
        (Thread.objects.filter(external_id__icontains=q), "pk"),
        (Message.objects.filter(body__icontains=q), "thread_id"),
    ]
    accounts = list(Account.objects.filter(name__icontains=q).values_list("pk", flat=True)[:50])
    if accounts:
        parts.append((Thread.objects.filter(account_id__in=accounts), "pk"))
    contacts = Contact.objects.filter(Q(name__icontains=q) | Q(email__icontains=q))
    contact_ids = list(contacts.values_list("pk", flat=True)[:200])
    if contact_ids:
        parts.append((Thread.objects.filter(contact_id__in=contact_ids), "pk"))
    found: set[int] = set()
    for rows, column in parts:
        found.update(rows.order_by(f"-{column}").values_list(column, flat=True)[:SEARCH_CAP])
    number = parse_id(q.lstrip("#"))
    if number is not None:
        found.add(number)
    return sorted(found, reverse=True)[:SEARCH_CAP]


def thread_filter(*, user, filters: InboxFilters, prefix: str = "", walk: bool = False) -> Q:
    """Every filter as one condition on the thread, spelt from a thread (`prefix=""`) or from
    one of its clocks (`prefix="thread__"`), so the due-time walk filters in the same query."""
    p = prefix
    cond = Q()
    limit = visible_limit(user, p)
    if limit is not None:
        cond &= limit
    if filters.scope == "mine":
        cond &= Q(**{f"{p}assignee": user})
    elif filters.scope == "teams":
        cond &= Q(**{f"{p}team_id__in": team_ids(user)})
    elif filters.scope == "unassigned":
        cond &= Q(**{f"{p}assignee__isnull": True})
    if filters.status == OPEN:
        cond &= ~Q(**{f"{p}status__in": CLOSED_STATUSES})
    elif filters.status != ANY:
        cond &= Q(**{f"{p}status": filters.status})
    for name in ("priority", "channel"):
        if getattr(filters, name):
            cond &= Q(**{f"{p}{name}": getattr(filters, name)})
    if filters.tier:
        cond &= Q(**{f"{p}tier_id": filters.tier})
    if filters.team:
        cond &= Q(**{f"{p}team_id": filters.team})
    if filters.state == PAUSED:
        cond &= Exists(SlaClock.objects.filter(_running(p), paused=True))
    elif filters.state == NO_CLOCK:
        cond &= ~Exists(SlaClock.objects.filter(_running(p)))
    elif filters.state and not walk:  # the due-time walk filters its clocks' state itself
        cond &= Exists(SlaClock.objects.filter(_running(p), state=filters.state, paused=False))
    if filters.q:
        matches = filters.matches if filters.matches is not None else search_ids(filters.q)
        cond &= Q(**{f"{p}pk__in": matches})
    return cond


@contextmanager
def _serial():
    """On PostgreSQL, no parallel workers for this transaction's reads: the walk reads a few
    thousand index entries at most, and starting two workers cost ~80 ms of a page on a busy
    machine (`Gather Merge` with `LIMIT`)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    yield


def _due_walk(*, user, filters: InboxFilters, wanted: int) -> tuple[list[int], bool]:
    """Thread ids in the order of their most urgent clock, up to `wanted`.

    A thread first appears in the running clocks ordered by due time at its most urgent clock,
    so walking `clock_running_by_due` and keeping each thread's first appearance gives the
    threads in order without grouping every clock. A thread runs at most one clock per metric,
    so `wanted` threads lie within `wanted × metrics` clocks: one bounded read. A running-state
    filter is put on the walked clocks themselves (a thread's breaching clock is its most urgent
    one). True when the clocks ran out."""
    running = filters.state in RUNNING_STATES
    clocks = SlaClock.objects.filter(
        thread_filter(user=user, filters=filters, prefix="thread__", walk=True),
        state__in=[filters.state] if running else RUNNING_STATES,
        due_at__isnull=False,
    ).order_by("due_at", "id")
    limit = wanted * len(Metric.values)
    with transaction.atomic(), _serial():
        batch = list(clocks.values_list("thread_id", flat=True)[:limit])
    return list(dict.fromkeys(batch))[:wanted], len(batch) < limit


def _ordered_ids(*, user, filters: InboxFilters, offset: int) -> list[int]:
    """The ids of one page (and one more, to know whether another follows)."""
    wanted = offset + PAGE_SIZE + 1
    threads = Thread.objects.filter(thread_filter(user=user, filters=filters))
    if filters.sort == "priority":
        return _by_priority(threads, offset=offset, wanted=wanted)
    if filters.sort != "due":
        order = {
            "-created": ["-created_at", "-id"],
            "created": ["created_at", "id"],
            "subject": ["subject", "id"],
        }[filters.sort]
        return list(threads.order_by(*order).values_list("pk", flat=True)[offset:wanted])
    ids, exhausted = _due_walk(user=user, filters=filters, wanted=wanted)
    if not exhausted or filters.state not in ("", NO_CLOCK, PAUSED):
        return ids[offset:]
    # Then the threads with no clock counting down (paused, or no policy), newest first.
    waiting = threads.exclude(
        Exists(SlaClock.objects.filter(_running(""), due_at__isnull=False))
    ).order_by("-created_at", "-id")
    start = max(offset, len(ids)) - len(ids)
    rest = list(waiting.values_list("pk", flat=True)[start : wanted - len(ids)])
    return ids[offset:] + rest


def _by_priority(threads: QuerySet, *, offset: int, wanted: int) -> list[int]:
    """Urgent first, then high, normal, low; newest first within each. One priority at a time
    walks the `created_at` index; ordering a million rows by a CASE would sort them all."""
    ids: list[int] = []
    skip = offset
    for priority in PRIORITY_ORDER:
        need = wanted - offset - len(ids)
        if need <= 0:
            break
        some = threads.filter(priority=priority).order_by("-created_at", "-id")
        found = list(some.values_list("pk", flat=True)[skip : skip + need])
        if skip and not found:  # all of this priority lie before the page: how many?
            skip -= min(skip, some.order_by()[:skip].count())
            continue
        ids.extend(found)
        skip = 0
    return ids


def _badges(thread_ids: list[int], now: datetime) -> dict[int, Badge]:
    """Each thread's most urgent running clock, the customer's or a team's own: the soonest
    due; a paused one only when none is counting down. One query for the page's threads (the
    (thread, metric) index), the team of a team clock joined in it."""
    best: dict[int, SlaClock] = {}
    clocks = SlaClock.objects.filter(thread_id__in=thread_ids, state__in=RUNNING_STATES)
    for clock in clocks.select_related("calendar", "team"):
        key = (clock.due_at is None, clock.due_at or now, clock.pk)
        current = best.get(clock.thread_id)
        if current is None or key < (current.due_at is None, current.due_at or now, current.pk):
            best[clock.thread_id] = clock
    badges = {}
    for thread_id, clock in best.items():
        _, left = measure(clock, now)
        ticking = not clock.paused and engine_for(clock).is_open(now)
        badges[thread_id] = Badge(clock=clock, left=left, ticking=ticking)
    return badges


def _count(*, user, filters: InboxFilters) -> tuple[int, bool]:
    found = (
        Thread.objects.filter(thread_filter(user=user, filters=filters))
        .order_by()
        .values("pk")[: COUNT_CAP + 1]
        .count()
    )
    return min(found, COUNT_CAP), found > COUNT_CAP


def _with_rows(threads: QuerySet) -> QuerySet:
    # One small IN (…) query per related table: cheaper to plan than one seven-table join.
    return threads.prefetch_related("account", "contact", "tier", "assignee", "team")


def inbox(*, user, filters: InboxFilters, page: int = 1, now: datetime | None = None) -> Inbox:
    now = now or timezone.now()
    if filters.q and filters.matches is None:  # read once for the count, the walk and the rows
        filters = replace(filters, matches=tuple(search_ids(filters.q)))
    total, capped = _count(user=user, filters=filters)
    last = max(1, -(-total // PAGE_SIZE))
    number = max(1, page) if capped else min(max(1, page), last)
    offset = (number - 1) * PAGE_SIZE
    # Nothing matches: no walk (a walk that finds nothing reads every running clock).
    ids = _ordered_ids(user=user, filters=filters, offset=offset) if total else []
    shown = ids[:PAGE_SIZE]
    threads = {t.pk: t for t in _with_rows(Thread.objects.filter(pk__in=shown))}
    badges = _badges(shown, now)
    rows = [InboxRow(thread=threads[pk], badge=badges.get(pk)) for pk in shown if pk in threads]
    return Inbox(
        rows=rows, number=number, has_next=len(ids) > PAGE_SIZE, total=total, capped=capped, now=now
    )
