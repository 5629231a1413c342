"""A thread's history as clock actions: what happened (messages, status and field changes, "no
reply needed"), read back from the record, so the rules can be told it again. The what-if
replays it against a draft; a late event rebuilds a thread's clocks from it (rebuild.py).

Changes the rules made themselves (an escalation's, a reply ending a wait) are left out: told
the history again, the rules make their own.
"""

from dataclasses import dataclass
from datetime import datetime

from threads.clocks.actions import (
    AgentWrote,
    CustomerWrote,
    DueMoved,
    FieldsChanged,
    NoReplyNeeded,
    StatusChanged,
)
from threads.models import EventKind, Message, SlaEvent, Thread

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
            # What objectives keep of the thread when one of its clocks counts (its scope).
            "account_id": self.account_id,
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
    for thread_id, at, pk, author, public, automatic, needs_reply, teams in (
        Message.objects.filter(thread_id__in=thread_ids, created_at__lte=now)
        .order_by()
        .values_list(
            "thread_id",
            "created_at",
            "pk",
            "author_kind",
            "public",
            "automatic",
            "needs_reply",
            "author_teams",
        )
    ):
        if author == Message.Author.CUSTOMER:
            action = CustomerWrote(at, needs_reply=needs_reply, automatic=automatic)
        else:
            teams = tuple(teams or ())
            action = AgentWrote(at, public=public, automatic=automatic, author_teams=teams)
        actions[thread_id].append((at, 0, pk, action))
    firsts: dict[int, dict] = {pk: {} for pk in thread_ids}
    escalated: set[tuple[int, datetime]] = set()
    for thread_id, at, pk, kind, details, actor_id in (
        SlaEvent.objects.filter(
            thread_id__in=thread_ids,
            kind__in=[
                EventKind.THREAD_CHANGED,
                EventKind.NO_REPLY_NEEDED,
                EventKind.ESCALATED,
                EventKind.OVERRIDDEN,
            ],
        )
        .order_by("at", "pk")
        .values_list("thread_id", "at", "pk", "kind", "details", "actor_id")
    ):
        if kind == EventKind.ESCALATED:
            escalated.add((thread_id, at))
            continue
        if kind == EventKind.OVERRIDDEN:
            # A moved due time is told again as the instant it was moved to.
            if at <= now and details.get("due_at") and not details.get("exempt"):
                action = DueMoved(
                    at,
                    metric=details.get("metric", ""),
                    due_at=datetime.fromisoformat(details["due_at"]),
                    reason=details.get("reason", ""),
                )
                actions[thread_id].append((at, 1, pk, action))
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
        # A person's change (an actor, or an integration's "via") at that same instant is theirs.
        by_someone = actor_id is not None or details.get("via")
        if at > now or made_by_rules or ((thread_id, at) in escalated and not by_someone):
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
