"""A late event put in its place: the thread's clocks rebuilt from its whole history.

Integrations deliver late and out of order. When a message or change is dated before something
already recorded on its thread, the rules are told the thread's history again from the start
(history.py) with the late action in its place, in the same transaction as the change. The
outcome then replaces the clocks' state; the record is never silently rewritten:

- events the rebuilt history adds are recorded (marked `rebuilt`), and only what is still true
  is alerted: per clock, its latest step, and only while the clock is still in it;
- recorded events the history no longer produces stay, and a `corrected` event beside each one
  says it no longer holds; their alerts not sent yet are dropped, those sent are not sent again;
- a recorded clock the history no longer starts is cancelled, with a `corrected` event.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef

from threads.bulk import update_rows
from threads.clocks import outcome, store
from threads.clocks.actions import Action, Opened, TimePassed
from threads.clocks.book import PolicyBook
from threads.clocks.history import load_histories
from threads.clocks.rules import STEPS, Clockwork
from threads.models import (
    ClockState,
    Delivery,
    EventKind,
    Message,
    SlaClock,
    SlaEvent,
    Thread,
)

# What the rules may change on the thread itself.
THREAD_FIELDS = [
    "status",
    "priority",
    "channel",
    "team_id",
    "tier_id",
    "policy_id",
    "last_customer_message_at",
    "last_response_at",
    "first_response_started",
    "update_cycles",
]
# What a rebuild may change on a clock it finds again: all the rules change, and its start, its
# team and its cycle (the n-th team clock may be another team's, the n-th update another cycle).
REBUILT_CLOCK_FIELDS = [*store.CLOCK_FIELDS, "started_at", "team", "cycle"]
STEP_STATES = {
    EventKind.WARNING: {ClockState.IMMINENT_BREACH},
    EventKind.BREACHING: {ClockState.BREACHING},
    EventKind.ESCALATED: {ClockState.BREACHING},
}


def is_late(thread: Thread, at: datetime) -> bool:
    """Is `at` before something already on the thread's record: a message that moves clocks
    (the thread keeps the latest of each side), an event, or an internal note (which answers
    for a team, yet may have left no event: written before the thread was handed to the team)?
    One query."""
    latest = [t for t in (thread.last_customer_message_at, thread.last_response_at) if t]
    if any(t > at for t in latest):
        return True
    later_event = SlaEvent.objects.filter(thread=OuterRef("pk"), at__gt=at)
    later_note = Message.objects.filter(
        thread=OuterRef("pk"), public=False, automatic=False, created_at__gt=at
    )
    return (
        Thread.objects.filter(pk=thread.pk)
        .filter(Exists(later_event) | Exists(later_note))
        .exists()
    )


@dataclass
class Rebuilt:
    """What a rebuild wrote, in the shape the outbox reads (thread, book, new events)."""

    thread: Thread
    book: PolicyBook
    events: list = field(default_factory=list)
    corrected: list = field(default_factory=list)


def _ordinals(clocks: list[SlaClock]) -> dict[int, tuple]:
    """Each clock's place: (metric, n) for the n-th clock of its metric in start order. A late
    event can move a clock's start (the next response started at 10:10, not 10:12) and it is
    still the same clock."""
    seen: dict[str, int] = {}
    places = {}
    for clock in sorted(clocks, key=lambda c: c.started_at):
        places[id(clock)] = (clock.metric, seen.get(clock.metric, 0))
        seen[clock.metric] = seen.get(clock.metric, 0) + 1
    return places


def _event_key(event: SlaEvent, clock_key) -> tuple:
    details = event.details or {}
    return (
        event.kind,
        event.at,
        clock_key,
        details.get("field"),
        str(details.get("new")) if "new" in details else None,
        details.get("index"),
        details.get("level"),
    )


def rebuild(
    thread: Thread,
    *,
    late: list[Action],
    now: datetime,
    message_id: int | None = None,
    actor=None,
    via: str = "",
) -> Rebuilt:
    """Tell the rules the locked `thread`'s history again with the `late` actions in their place
    and write the difference. `message_id` is the late message, already stored: its action in
    `late` (with its actor) stands for the one read back from the record."""
    book = PolicyBook.load()
    horizon = max([now, *(a.at for a in late)])
    (history,) = load_histories([thread.pk], horizon)
    actions = [entry for entry in history.actions if message_id is None or entry[2] != message_id]
    for action in late:
        actions.append((action.at, 0 if message_id is not None else 1, float("inf"), action))
    actions.sort(key=lambda entry: entry[:3])
    told = Clockwork(
        thread=history.thread(),
        clocks=[],
        book=book.of_account(*history.account()),
        via=via,
    )
    told.apply(Opened(history.created_at))
    for *_, action in actions:
        is_late = any(action is a for a in late)
        if is_late and actor is not None and getattr(action, "actor", None) is None:
            told.actor = actor
        told.apply(action)
        told.actor = None
    told.apply(TimePassed(now))
    return _write(thread, told, book, now)


def _write(thread: Thread, told: Clockwork, book: PolicyBook, now: datetime) -> Rebuilt:
    stored = list(
        SlaClock.objects.filter(thread=thread)
        .select_related("calendar", "policy")
        .order_by("started_at", "id")
    )
    stored_places = _ordinals(stored)
    told_places = _ordinals(told.clocks)
    by_key = {stored_places[id(c)]: c for c in stored}
    same: dict[int, SlaClock] = {}  # id(told clock) -> the stored clock it is
    # Who moved a due time and why stay as recorded: the history tells only where it moved to.
    kept = {"overridden_by", "overridden_at", "override_reason"}
    fields = [name for name in REBUILT_CLOCK_FIELDS if name not in kept]
    count_changes: list = []
    attnames = [SlaClock._meta.get_field(name).attname for name in fields]
    changed, new_clocks = [], []
    for clock in told.clocks:
        existing = by_key.pop(told_places[id(clock)], None)
        if existing is None:
            clock.thread = thread
            new_clocks.append(clock)
            count_changes += [clock.counted_at] if clock.counted_at else []
            continue
        same[id(clock)] = existing
        clock.exempt = existing.exempt  # a person's decision, not the history's
        outcome.settle(clock, told.thread)
        if (existing.counted_as, existing.counted_at) != (clock.counted_as, clock.counted_at):
            count_changes += [t for t in (existing.counted_at, clock.counted_at) if t]
        if any(getattr(existing, a) != getattr(clock, a) for a in attnames):
            for a in attnames:
                setattr(existing, a, getattr(clock, a))
            changed.append(existing)
    result = Rebuilt(thread=thread, book=book)
    for orphan in by_key.values():  # a clock the history no longer starts
        if orphan.state != ClockState.CANCELLED:
            result.corrected.append(
                _correction(thread, orphan, now, withdrawn="clock", state=orphan.state)
            )
            orphan.state = ClockState.CANCELLED
            orphan.missed_at = None
            orphan.running_since = None
            orphan.paused = False
            orphan.warn_at = orphan.due_at = orphan.escalate_at = None
            orphan.stopped_at = orphan.stopped_at or now
            count_changes += outcome.settle(orphan, thread)
            changed.append(orphan)

    recorded: dict[tuple, list[SlaEvent]] = {}
    clocks_by_id = {c.pk: c for c in stored}
    for event in SlaEvent.objects.filter(thread=thread).order_by("at", "id"):
        clock = clocks_by_id.get(event.clock_id)
        key = _event_key(event, stored_places[id(clock)] if clock is not None else None)
        recorded.setdefault(key, []).append(event)
    for event in told.events:
        place = told_places[id(event.clock)] if event.clock is not None else None
        clock = same.get(id(event.clock), event.clock) if event.clock is not None else None
        matches = recorded.get(_event_key(event, place))
        if matches:
            matches.pop(0)  # already on the record
            continue
        event.thread, event.clock = thread, clock
        event.details = {**event.details, "rebuilt": True}
        result.events.append(event)
    _alert_only_what_is_true(result.events)
    # Each recorded event is corrected once: a later rebuild finds its correction beside it.
    corrected_before = {
        (e.details or {}).get("event_id")
        for events in recorded.values()
        for e in events
        if e.kind == EventKind.CORRECTED
    }
    withdrawn = [
        e
        for events in recorded.values()
        for e in events
        if e.kind != EventKind.CORRECTED and e.pk not in corrected_before
    ]
    for event in withdrawn:
        result.corrected.append(
            _correction(
                thread,
                clocks_by_id.get(event.clock_id),
                now,
                withdrawn=event.kind,
                withdrawn_at=event.at.isoformat(),
                event_id=event.pk,
            )
        )
    _save(thread, told, changed, new_clocks, result)
    outcome.record_changes(count_changes, now)
    Delivery.objects.filter(
        event__in=[e.pk for e in withdrawn],
        status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
    ).update(
        status=Delivery.Status.DROPPED,
        last_error="Dropped: a late event corrected the history, so this alert no longer holds.",
    )
    return result


def _correction(thread, clock, now, **details) -> SlaEvent:
    details["why"] = "a late event was put in its place in the history"
    return SlaEvent(thread=thread, clock=clock, kind=EventKind.CORRECTED, at=now, details=details)


def _alert_only_what_is_true(events: list[SlaEvent]) -> None:
    """Per clock, only its latest new step is alerted, and only while the clock is still in it:
    the others are history (a reply that came in time undoes the breach it would have sent)."""
    latest: dict[int, SlaEvent] = {}
    for event in events:
        if event.kind in STEPS and event.clock is not None:
            if id(event.clock) in latest:
                latest[id(event.clock)].historical = True
            latest[id(event.clock)] = event
    for event in latest.values():
        if event.clock.state not in STEP_STATES[event.kind]:
            event.historical = True


def _save(thread, told, changed, new_clocks, result: Rebuilt) -> None:
    from threads.alerting.outbox import record_alerts

    for name in THREAD_FIELDS:
        setattr(thread, name, getattr(told.thread, name))
    thread.save(update_fields=[*THREAD_FIELDS, "updated_at"])
    if changed:
        update_rows(SlaClock, changed, REBUILT_CLOCK_FIELDS)
    if new_clocks:
        SlaClock.objects.bulk_create(new_clocks)
    written = result.events + result.corrected
    if written:
        SlaEvent.objects.bulk_create(written)
    if result.events:
        record_alerts([result])
