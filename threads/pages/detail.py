"""Reads for the thread page: one thread with its messages, its clocks read now and its full history
with deliveries, in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Team
from accounts.roles import AGENTS, MANAGERS
from accounts.selectors import viewer_zone
from objectives import board
from policies.models import Tier
from policies.vocabulary import TEAM_METRICS, Metric
from threads.models import Delivery, EventKind, Message, SlaClock, SlaEvent, Thread
from threads.pages.held import shares_of
from threads.pages.history import describe_event
from threads.pages.queue import QueueRow, queue_row
from threads.replies import registry as replies
from threads.selectors import visible_threads

# Kinds whose line of history already says the reason given (threads.pages.history.describe_event).
REASON_IN_TEXT = {
    EventKind.THREAD_CHANGED,
    EventKind.PAUSED,
    EventKind.BREACH_REASON,
    EventKind.OVERRIDDEN,
}


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
        """What the change came through: an integration key ("Zendesk (slaops_ab12…)"), or the
        channel a message came by ("e-mail from anna@acme.de", "Slack from @anna")."""
        return str((self.event.details or {}).get("via") or "")

    @property
    def via_key(self) -> bool:
        """Whether `via` names an integration key (integrations' label ends with its prefix)."""
        return self.via.endswith("…)")

    @property
    def via_text(self) -> str:
        """`via` in words; records from before the channels named the sender say the channel."""
        via = self.via
        if via == "slack":
            return "Slack"
        if via.startswith("mailbox "):
            return f"e-mail to {via}"
        return via


@dataclass
class ThreadDetail:
    thread: Thread
    clocks: list[QueueRow]  # the customer's clocks, then the teams' own
    messages: list[Message]
    history: list[HistoryEntry]
    names: dict[str, dict]  # "team"/"tier"/"assignee" id -> name, for "thread changed" events
    now: datetime

    @property
    def customer_clocks(self) -> list[QueueRow]:
        return [row for row in self.clocks if row.clock.metric not in TEAM_METRICS]

    @property
    def team_clocks(self) -> list[QueueRow]:
        """The teams' own clocks (OLAs), in the order the thread was handed to them."""
        return [row for row in self.clocks if row.clock.metric in TEAM_METRICS]


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
                queryset=SlaClock.objects.select_related(
                    "policy",
                    "calendar",
                    "team",
                    "overridden_by",
                    "breach_reason",
                    "breach_reason_by",
                ).order_by("started_at", "id"),
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
                    Prefetch(
                        "deliveries",
                        queryset=Delivery.objects.select_related("channel", "user").order_by(
                            "created_at", "id"
                        ),
                    )
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
    for clock in sorted(thread.clocks.all(), key=_shown_order):
        row = queue_row(clock, now if clock.is_running else (clock.stopped_at or now))
        row.reason = reasons.get(clock.pk, "")
        clocks.append(row)
    held = shares_of([(row.clock, row.used) for row in clocks], thread)
    for row, shares in zip(clocks, held, strict=True):
        row.held = shares
    return ThreadDetail(
        thread=thread,
        clocks=clocks,
        messages=list(thread.messages.all()),
        history=[HistoryEntry(e, list(e.deliveries.all())) for e in events],
        names=_names_in(events),
        now=now,
    )


_METRIC_ORDER = {metric: i for i, metric in enumerate(Metric.values)}


def _shown_order(clock: SlaClock) -> tuple:
    """The customer's clocks by metric, then start; the teams' after them by start (the order
    the thread was handed on), response before resolution."""
    if clock.metric in TEAM_METRICS:
        return (1, clock.started_at, _METRIC_ORDER[clock.metric], clock.pk)
    return (0, _METRIC_ORDER[clock.metric], clock.started_at, clock.pk)


def thread_parts(*, thread_id: int, user) -> dict:
    """What the thread page shows and its live poll refreshes: the detail read now in the
    person's zone with the history in words; a thread this person may not see is a 404."""
    try:
        detail = thread_detail(thread_id=thread_id, user=user)
    except Thread.DoesNotExist:
        raise Http404("No thread with this id.") from None
    zone = viewer_zone(user)
    replies.show(detail.messages)  # each reply's delivery state, and the channels' extras
    running = [(row.clock, detail.thread) for row in detail.clocks if row.clock.is_running]
    found = board.watches(detail.now, [clock.metric for clock, _ in running])
    at_risk = board.marks(running, found)
    for row in detail.clocks:  # the objectives at risk that this clock will count in
        row.at_risk = at_risk.get(row.clock.pk, [])
    return {
        "detail": detail,
        "thread": detail.thread,
        "zone": zone,
        "history": [
            (entry, describe_event(entry.event, detail.names, zone)) for entry in detail.history
        ],
        "live_seconds": settings.SLA_LIVE_REFRESH_SECONDS,
    }


def _names_in(events: list[SlaEvent]) -> dict[str, dict]:
    """Names for the ids that "thread changed" events carry, and the teams of team clocks'
    events (one query per kind of id)."""
    wanted: dict[str, set] = {"team": set(), "tier": set(), "assignee": set()}
    for event in events:
        if event.clock_id and event.clock.team_id:  # a team clock's events name its team
            wanted["team"].add(event.clock.team_id)
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
