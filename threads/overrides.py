"""A person's word on one clock: why it missed (a breach reason), a moved due time, an exemption
from objectives. Each is one service, recorded as an event with who and when, used by the API,
the thread page and the inbox alike (docs/rules.md, "Objectives").

Who may: a breach reason, whoever may work the thread (an agent's waits for a manager, whose
word confirms it; once confirmed only a manager changes it). A moved due time, managers, and
agents whose profile allows it while the due time has not passed. An exemption, managers.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.roles import is_manager
from policies.models import BreachReason
from threads.clocks import outcome, store
from threads.clocks.actions import DueMoved, TimePassed
from threads.models import ClockState, EventKind, SlaClock, SlaEvent, Thread


class ClockRefused(Exception):
    """The clock cannot take this; `field` is the request field at fault, `status` 400 for a
    bad request and 403 for a person who may not."""

    def __init__(self, field: str, message: str, *, status: int = 400):
        super().__init__(message)
        self.field = field
        self.status = status


def may_move_due_times(user) -> bool:
    if is_manager(user):
        return True
    profile = getattr(user, "agent_profile", None)
    return bool(profile and profile.may_move_due_times)


def _locked_clock(thread: Thread, clock_id: int) -> tuple[Thread, SlaClock]:
    thread = store.lock(thread)
    clock = (
        SlaClock.objects.select_related("breach_reason").filter(thread=thread, pk=clock_id).first()
    )
    if clock is None:
        raise SlaClock.DoesNotExist
    return thread, clock


@transaction.atomic
def clock_give_reason(
    *, thread: Thread, clock_id: int, reason: BreachReason, note: str = "", actor
) -> SlaClock:
    """Say why a clock missed: any clock past its due time, running or stopped, or past its
    policy's due time though in time for a moved one."""
    thread, clock = _locked_clock(thread, clock_id)
    if clock.missed_at is None and clock.breached_at is None:
        raise ClockRefused("clock", "This clock has not missed its due time: it needs no reason.")
    if not reason.active:
        raise ClockRefused("reason", f"“{reason.name}” is no longer offered: choose another.")
    manager = is_manager(actor)
    if clock.breach_reason_confirmed and not manager:
        raise ClockRefused(
            "reason", "A manager confirmed this clock's reason: only a manager changes it.",
            status=403,
        )  # fmt: skip
    now = timezone.now()
    clock.breach_reason = reason
    clock.breach_note = note
    clock.breach_reason_by = actor if getattr(actor, "pk", None) else None
    clock.breach_reason_at = now
    clock.breach_reason_confirmed = manager
    clock.save(
        update_fields=[
            "breach_reason",
            "breach_note",
            "breach_reason_by",
            "breach_reason_at",
            "breach_reason_confirmed",
        ]
    )
    SlaEvent.objects.create(
        thread=thread,
        clock=clock,
        kind=EventKind.BREACH_REASON,
        at=now,
        actor=clock.breach_reason_by,
        details={
            "reason_id": reason.pk,
            "reason": reason.name,
            "excused": reason.excused,
            "note": note,
            "confirmed": manager,
            "by": getattr(actor, "username", ""),
        },
    )
    if clock.counted_at is not None:
        outcome.record_changes([clock.counted_at], now)
    return clock


@transaction.atomic
def clock_move_due(
    *,
    thread: Thread,
    clock_id: int,
    reason: str,
    actor,
    due_at: datetime | None = None,
    extend_by: timedelta | None = None,
) -> SlaClock:
    """Move a running clock's due time to `due_at`, or by `extend_by` of business time."""
    thread, clock = _locked_clock(thread, clock_id)
    now = timezone.now()
    if not clock.is_running:
        raise ClockRefused("clock", "This clock has stopped: its due time can no longer move.")
    if clock.paused:
        raise ClockRefused(
            "clock", "This clock is paused, so it has no due time to move; move it once it runs."
        )
    if not may_move_due_times(actor):
        raise ClockRefused("reason", "Your role may not move due times.", status=403)
    passed = clock.state == ClockState.BREACHING or (
        clock.due_at is not None and clock.due_at <= now
    )
    if passed and not is_manager(actor):
        raise ClockRefused(
            "due_at" if due_at else "extend_by",
            "This due time has passed: only a manager moves it now.",
            status=403,
        )
    if due_at is not None and due_at <= now:
        raise ClockRefused("due_at", "Give a time in the future.")
    if extend_by is not None and extend_by <= timedelta():
        raise ClockRefused("extend_by", "Give a positive duration, e.g. 2h.")
    work = store.load(thread, actor=actor)
    if extend_by is not None:
        held = next(c for c in work.clocks if c.pk == clock.pk)
        if work.engine(held).add(held.due_at, extend_by) <= now:
            raise ClockRefused(
                "extend_by",
                "That much business time after the due time is still past: give more, or a "
                "due_at in the future.",
            )
    work.apply(
        DueMoved(
            now, metric=clock.metric, due_at=due_at, extend_by=extend_by, reason=reason, actor=actor
        )
    )
    work.apply(TimePassed(now))
    store.save([work])
    return SlaClock.objects.select_related("breach_reason", "overridden_by").get(pk=clock.pk)


@transaction.atomic
def clock_exempt(*, thread: Thread, clock_id: int, reason: str, actor) -> SlaClock:
    """Take one clock out of every objective (a manager's decision, with a reason)."""
    if not is_manager(actor):
        raise ClockRefused("exempt", "Only managers exempt a clock from objectives.", status=403)
    thread, clock = _locked_clock(thread, clock_id)
    now = timezone.now()
    if clock.exempt:
        return clock
    clock.exempt = True
    clock.overridden_by = actor if getattr(actor, "pk", None) else None
    clock.overridden_at = now
    clock.override_reason = reason
    changed = outcome.settle(clock, thread)
    clock.save(
        update_fields=[
            "exempt",
            "overridden_by",
            "overridden_at",
            "override_reason",
            *outcome.COUNTED_FIELDS,
        ]
    )
    SlaEvent.objects.create(
        thread=thread,
        clock=clock,
        kind=EventKind.OVERRIDDEN,
        at=now,
        actor=clock.overridden_by,
        details={
            "metric": clock.metric,
            "exempt": True,
            "reason": reason,
            "by": getattr(actor, "username", ""),
        },
    )
    outcome.record_changes(changed, now)
    return clock
