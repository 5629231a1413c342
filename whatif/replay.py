"""Each selected thread's recorded actions (messages, status and attribute changes, "no reply
needed") told again to the clock rules in memory, and what a what-if reads of the outcome."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from threads.clocks.actions import (
    AgentWrote,
    CustomerWrote,
    FieldsChanged,
    NoReplyNeeded,
    Opened,
    StatusChanged,
    TimePassed,
)
from threads.clocks.rules import Clockwork
from threads.models import EventKind, Message, SlaClock, SlaEvent, Thread
from whatif.book import ReplayBook

REPLAYED_FIELDS = ("status", "priority", "channel", "team", "tier")


@dataclass
class History:
    """What happened to one thread, as inputs to the clock rules (not their outputs)."""

    thread_id: int
    subject: str
    created_at: datetime
    account_id: int | None
    account_zone: str | None
    assignee_id: int | None
    initial: dict
    actions: list[tuple]  # (at, messages first, id, clock action), sorted

    def thread(self) -> Thread:
        """A fresh in-memory thread as it was opened (never saved)."""
        values = {
            **_THREAD_DEFAULTS,
            "id": self.thread_id,
            "subject": self.subject,
            "channel": self.initial["channel"],
            "priority": self.initial["priority"],
            "status": self.initial["status"],
            "team_id": self.initial["team"],
            "tier_id": self.initial["tier"],
            "assignee_id": self.assignee_id,
            "created_at": self.created_at,
        }
        # Positional arguments: the quick way through Model.__init__ (thousands per run).
        return Thread(*[values[name] for name in _THREAD_FIELDS])

    def account(self) -> tuple:
        """The account as it was when the thread opened, as the rules read it through the book:
        its tier (a later tier change is one of the replayed actions) and its time zone."""
        return self.initial["tier"], (self.account_zone or "UTC") if self.account_id else None


_THREAD_FIELDS = [f.attname for f in Thread._meta.concrete_fields]
_THREAD_DEFAULTS = {
    f.attname: None if f.is_relation else f.get_default() for f in Thread._meta.concrete_fields
}


def load_histories(thread_ids: list[int], now: datetime) -> list[History]:
    """Histories of a chunk of threads in three queries, whatever the chunk's size."""
    threads = (
        Thread.objects.filter(pk__in=thread_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "subject",
            "created_at",
            "channel",
            "priority",
            "status",
            "team_id",
            "tier_id",
            "assignee_id",
            "account_id",
            "account__time_zone",
        )
    )
    actions: dict[int, list] = {pk: [] for pk in thread_ids}
    for thread_id, at, pk, author, public, automatic, needs_reply in (
        Message.objects.filter(thread_id__in=thread_ids, created_at__lte=now)
        .order_by()
        .values_list(
            "thread_id", "created_at", "pk", "author_kind", "public", "automatic", "needs_reply"
        )
    ):
        if author == Message.Author.CUSTOMER:
            action = CustomerWrote(at, needs_reply=needs_reply, automatic=automatic)
        else:
            action = AgentWrote(at, public=public, automatic=automatic)
        actions[thread_id].append((at, 0, pk, action))
    firsts: dict[int, dict] = {pk: {} for pk in thread_ids}
    escalated: set[tuple[int, datetime]] = set()
    for thread_id, at, pk, kind, details in (
        SlaEvent.objects.filter(
            thread_id__in=thread_ids,
            kind__in=[EventKind.THREAD_CHANGED, EventKind.NO_REPLY_NEEDED, EventKind.ESCALATED],
        )
        .order_by("at", "pk")
        .values_list("thread_id", "at", "pk", "kind", "details")
    ):
        if kind == EventKind.ESCALATED:
            escalated.add((thread_id, at))
            continue
        if kind == EventKind.NO_REPLY_NEEDED:
            if at <= now:
                actions[thread_id].append((at, 1, pk, NoReplyNeeded(at)))
            continue
        name = details.get("field")
        if name not in REPLAYED_FIELDS:
            continue  # assignee and subject changes do not move clocks
        # The first change of a field tells what it was when the thread opened.
        firsts[thread_id].setdefault(name, details.get("old"))
        # A change the rules made (an escalation, a reply ending a wait) is theirs to make again
        # in the replay. An escalation says its level; one recorded before that marker is found
        # by its escalation, recorded at the same instant just before it.
        made_by_rules = details.get("escalation_level") is not None or details.get("rule")
        if at > now or made_by_rules or (thread_id, at) in escalated:
            continue
        if name == "status":
            reason = details.get("reason") or ""
            action = StatusChanged(at, status=details.get("new"), reason=reason)
        else:
            action = FieldsChanged(at, changes={name: details.get("new")})
        actions[thread_id].append((at, 1, pk, action))
    histories = []
    for (
        pk,
        subject,
        created_at,
        channel,
        priority,
        status,
        team,
        tier,
        assignee,
        account,
        zone,
    ) in threads:
        current = {
            "status": status,
            "priority": priority,
            "channel": channel,
            "team": team,
            "tier": tier,
        }
        histories.append(
            History(
                thread_id=pk,
                subject=subject,
                created_at=created_at,
                account_id=account,
                account_zone=zone,
                assignee_id=assignee,
                initial={**current, **firsts[pk]},
                actions=sorted(actions[pk], key=lambda a: a[:3]),
            )
        )
    return histories


@dataclass
class Replay(Clockwork):
    """The clock rules as they are, keeping only what a what-if reads of the events they record:
    which policies matched the thread, which governed each clock, which warnings fired. A replay
    writes nothing, so it needs no event rows (building them was a third of its time)."""

    matched: set = field(default_factory=set)
    governed: dict = field(default_factory=dict)  # id(clock) -> ids of the policies it ran under
    warned: list = field(default_factory=list)

    def record(self, kind, at, clock=None, **details) -> None:
        if kind in (EventKind.STARTED, EventKind.RETARGETED):
            self.governed.setdefault(id(clock), set()).add(clock.policy_id)
        elif kind == EventKind.WARNING:
            self.warned.append(clock)
        elif kind == EventKind.POLICY_MATCHED:
            self.matched.add(details["policy_id"])


def replay(history: History, book: ReplayBook, now: datetime) -> Replay:
    """Tell the thread's history to the clock rules again, in memory, and catch up to `now`."""
    book = book.of_account(*history.account())
    work = Replay(thread=history.thread(), clocks=[], book=book, historical=True)
    work.apply(Opened(history.created_at))
    for *_, action in history.actions:
        work.apply(action)
    work.apply(TimePassed(now))
    return work


def outcomes(work: Replay, subjects: set[int]) -> tuple[dict, Counter]:
    """Per metric, the final states of the clocks a subject policy governed at some time (started
    under it, or retargeted to or from it), in start order; and their warnings."""

    def counted(clock) -> bool:
        return not subjects.isdisjoint(work.governed.get(id(clock), ()))

    states: dict[str, list[str]] = {}
    for clock in work.clocks:
        if counted(clock):
            states.setdefault(clock.metric, []).append(str(clock.state))
    return states, Counter(clock.metric for clock in work.warned if counted(clock))


def recorded_outcomes(thread_ids: list[int], subjects: set[int], names: set[str]) -> dict:
    """The same for the stored clocks (two queries): thread -> metric -> states. Their events
    name the policy, so a clock that moved away from a subject policy is found by its name."""
    governed = set()
    for clock_id, kind, details in SlaEvent.objects.filter(
        thread_id__in=thread_ids, kind__in=[EventKind.STARTED, EventKind.RETARGETED]
    ).values_list("clock_id", "kind", "details"):
        sides = [details] if kind == EventKind.STARTED else [details.get("old"), details.get("new")]
        if any((side or {}).get("policy") in names for side in sides):
            governed.add(clock_id)
    recorded: dict[int, dict[str, list[str]]] = {}
    for pk, thread_id, metric, state, policy_id in (
        SlaClock.objects.filter(thread_id__in=thread_ids)
        .order_by("thread_id", "started_at", "pk")
        .values_list("pk", "thread_id", "metric", "state", "policy_id")
    ):
        if policy_id in subjects or pk in governed:
            recorded.setdefault(thread_id, {}).setdefault(metric, []).append(state)
    return recorded
