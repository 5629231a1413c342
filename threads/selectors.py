"""Reads for the agents' pages: the breach queue, one thread with its clocks and history, and the
in-app notifications. Each page costs a fixed number of queries however many rows it shows."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import AgentProfile, Team
from accounts.roles import AGENTS, MANAGERS
from policies.models import Tier
from policies.vocabulary import Metric
from threads.clockwork import engine_for, used_at
from threads.models import (
    RUNNING_STATES,
    Delivery,
    EventKind,
    Message,
    Notification,
    SlaClock,
    SlaEvent,
    Thread,
)

QUEUE_PAGE_SIZE = 50
# Counting every running clock of a million threads costs more than the rest of the page, and a
# count only has to say "a lot": each state's count stops at 100 and then reads "100+".
COUNT_CAP = 100
PAUSED_SHOWN = 50

SCOPES = [("", "Everyone"), ("mine", "Mine"), ("teams", "My teams"), ("unassigned", "Unassigned")]
PAUSED = "paused"  # the state filter's extra choice: only the paused section


def viewer_zone(user) -> str:
    """The zone a person reads times in: their profile's, else the site default."""
    zone = (
        AgentProfile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
        if getattr(user, "pk", None)
        else None
    )
    return zone or settings.TIME_ZONE


# ----------------------------------------------------------------------------- breach queue


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


def team_ids(user) -> list[int]:
    """The person's teams, read once per request: as literal ids PostgreSQL probes each thread's
    team, where an IN (subquery) made it hash every thread of those teams first."""
    if not hasattr(user, "_queue_team_ids"):
        user._queue_team_ids = list(Team.objects.filter(members=user).values_list("pk", flat=True))
    return user._queue_team_ids


def only_my_teams(user) -> bool:
    """Whether the person is limited to their teams' threads (read once per request)."""
    if not getattr(user, "pk", None):
        return False
    if not hasattr(user, "_only_my_teams"):
        user._only_my_teams = AgentProfile.objects.filter(
            user_id=user.pk, only_my_teams=True
        ).exists()
    return user._only_my_teams


def _visible(user, prefix: str = "") -> Q | None:
    """What a team-limited person may see: their teams' threads and threads assigned to them (a
    thread without a team only when it is theirs). None = no limit."""
    if not only_my_teams(user):
        return None
    return Q(**{f"{prefix}team_id__in": team_ids(user)}) | Q(**{f"{prefix}assignee_id": user.pk})


def visible_threads(threads: QuerySet, *, user) -> QuerySet:
    """The threads among `threads` this person may see and work, on the pages and the API."""
    limit = _visible(user)
    return threads if limit is None else threads.filter(limit)


def _scoped(clocks: QuerySet, *, user, filters: QueueFilters) -> QuerySet:
    limit = _visible(user, "thread__")
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
    team in one small `IN (…)` query each. Joining all seven tables at once costs PostgreSQL
    ~12 ms of planning per page (the join order search grows with every LEFT JOIN) against
    ~0.5 ms for these five statements."""
    return clocks.select_related("thread", "policy", "calendar").prefetch_related(
        "thread__account", "thread__tier", "thread__assignee", "thread__team"
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
    used = used_at(clock, now)
    ticking = clock.is_running and not clock.paused and engine_for(clock).is_open(now)
    return QueueRow(clock=clock, used=used, left=clock.target_duration - used, ticking=ticking)


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


# ----------------------------------------------------------------------------- thread page


# Kinds whose line of history already says the reason given (threads.views.describe_event).
REASON_IN_TEXT = {EventKind.THREAD_CHANGED, EventKind.PAUSED}


@dataclass
class HistoryEntry:
    event: SlaEvent
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def why(self) -> str:
        """The reason the person who acted gave, where the line of history does not say it."""
        if self.event.kind in REASON_IN_TEXT:
            return ""
        return str((self.event.details or {}).get("reason") or "")

    @property
    def via(self) -> str:
        """What the change came through, e.g. the integration key that made it."""
        return str((self.event.details or {}).get("via") or "")


@dataclass
class ThreadDetail:
    thread: Thread
    clocks: list[QueueRow]
    messages: list[Message]
    history: list[HistoryEntry]
    names: dict[str, dict]  # "team"/"tier"/"assignee" id -> name, for "thread changed" events
    now: datetime


def thread_detail(*, thread_id: int, user=None, now: datetime | None = None) -> ThreadDetail:
    """A thread with its messages, clocks (read now) and full history with deliveries.

    Raises Thread.DoesNotExist, also when the thread is outside what `user` may see."""
    now = now or timezone.now()
    threads = Thread.objects.all() if user is None else visible_threads(Thread.objects, user=user)
    thread = (
        threads.select_related("account", "contact", "tier", "assignee", "team", "policy")
        .prefetch_related(
            Prefetch(
                "clocks",
                queryset=SlaClock.objects.select_related("policy", "calendar").order_by(
                    "started_at", "id"
                ),
            ),
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author_user", "contact").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "events",
                queryset=SlaEvent.objects.select_related("clock", "actor")
                .prefetch_related(
                    Prefetch("deliveries", queryset=Delivery.objects.order_by("created_at", "id"))
                )
                .order_by("at", "id"),
            ),
        )
        .get(pk=thread_id)
    )
    events = list(thread.events.all())
    paused = [c.pk for c in thread.clocks.all() if c.paused]
    reasons: dict[int, str] = {}
    for event in reversed(events):  # the last pause of each clock says why it is paused now
        if event.kind == EventKind.PAUSED and event.clock_id in paused:
            reasons.setdefault(event.clock_id, event.details.get("reason", ""))
    clocks = []
    order = {metric: i for i, metric in enumerate(Metric.values)}
    for clock in sorted(thread.clocks.all(), key=lambda c: (order[c.metric], c.started_at, c.pk)):
        row = queue_row(clock, now if clock.is_running else (clock.stopped_at or now))
        row.reason = reasons.get(clock.pk, "")
        clocks.append(row)
    return ThreadDetail(
        thread=thread,
        clocks=clocks,
        messages=list(thread.messages.all()),
        history=[HistoryEntry(e, list(e.deliveries.all())) for e in events],
        names=_names_in(events),
        now=now,
    )


def _names_in(events: list[SlaEvent]) -> dict[str, dict]:
    """Names for the ids that "thread changed" events carry (one query per kind of id)."""
    wanted: dict[str, set] = {"team": set(), "tier": set(), "assignee": set()}
    for event in events:
        name = event.details.get("field") if event.kind == EventKind.THREAD_CHANGED else None
        if name in wanted:
            wanted[name].update(
                v for v in (event.details.get("old"), event.details.get("new")) if v
            )
    models = {"team": Team, "tier": Tier, "assignee": get_user_model()}
    names: dict[str, dict] = {}
    for name, ids in wanted.items():
        names[name] = {}
        if ids:
            model = models[name]
            for obj in model.objects.filter(pk__in=ids):
                names[name][obj.pk] = (
                    obj.get_full_name() or obj.get_username() if name == "assignee" else str(obj)
                )
    return names


def assignable_people() -> QuerySet:
    """Who a thread can be given to: active people in a role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[AGENTS, MANAGERS])
        .distinct()
        .order_by("first_name", "username")
    )


# ---------------------------------------------------------------------------- notifications


def _notifications(user) -> QuerySet:
    """The person's notifications, about threads they may still see (a thread moved to another
    team leaves a team-limited agent's bell)."""
    notifications = Notification.objects.filter(user=user)
    limit = _visible(user, "thread__")
    return notifications if limit is None else notifications.filter(limit)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return _notifications(user).filter(read_at__isnull=True).count()


def notifications_for(*, user, page: int | str = 1, per_page: int = 50) -> Page:
    notifications = (
        _notifications(user).select_related("thread", "event__clock").order_by("-created_at", "-id")
    )
    return Paginator(notifications, per_page).get_page(page)
