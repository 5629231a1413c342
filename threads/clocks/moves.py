"""The moves of a clock, on one thread held in memory: no queries, no decisions about when.

`rules.Clockwork` decides which move a change calls for; these keep each clock's own
bookkeeping right (business time used, warn and due instants precomputed, the event recorded).
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from accounts.models import Team
from policies import business_time
from policies.deadlines import warning_offsets
from policies.models import SlaPolicy, SlaTarget
from policies.vocabulary import Metric
from threads.clocks import attribution, measure
from threads.clocks.book import PolicyBook
from threads.models import ClockState, EventKind, SlaClock, SlaEvent, Thread


@dataclass
class ClockMoves:
    """One thread and its clocks in memory, and the moves a clock can make (start, stop, cancel,
    withdraw, pause, resume, retarget). The rules (rules.Clockwork) decide when to make them."""

    thread: Thread
    clocks: list[SlaClock]  # running clocks and the thread's resolution clock
    book: PolicyBook
    actor: object = None
    # What the change came through when no person made it directly, e.g. an integration key's
    # label: kept in every event's details as "via".
    via: str = ""
    historical: bool = False
    events: list[SlaEvent] = field(default_factory=list)
    created: list[SlaClock] = field(default_factory=list)
    dirty: set = field(default_factory=set)  # ids of touched existing clocks
    # Those of them whose attribution (or reopens) changed: only then are these written, so a
    # tick that breaches a thousand clocks does not write back what it did not change.
    attributed: set = field(default_factory=set)
    thread_fields: set = field(default_factory=set)
    # Instants whose objective figures changed (outcome.settle), for the rollups.
    count_changes: list = field(default_factory=list)
    # What a new clock and a new event are made of: the models, or for an import's replay plain
    # objects with the same attributes (threads/importer/plain.py), written as rows with COPY.
    clock_type: ClassVar[type] = SlaClock
    event_type: ClassVar[type] = SlaEvent

    def running(self, *metrics) -> list[SlaClock]:
        return [c for c in self.clocks if c.is_running and (not metrics or c.metric in metrics)]

    def resolution_clock(self) -> SlaClock | None:
        return next((c for c in self.clocks if c.metric == Metric.RESOLUTION), None)

    def record(self, kind, at, clock=None, **details) -> SlaEvent:
        if self.via:
            details["via"] = self.via
        event = self.event_type.recorded(
            thread=self.thread,
            clock=clock,
            kind=kind,
            at=at,
            actor=self.actor if getattr(self.actor, "pk", None) else None,
            details=details,
            historical=self.historical,
        )
        self.events.append(event)
        return event

    @contextmanager
    def by_time(self):
        """Warnings, breaches and escalations are caused by time passing, not by the person whose
        action made the rules catch up: their events carry no actor and no via."""
        (actor, via), self.actor, self.via = (self.actor, self.via), None, ""
        try:
            yield
        finally:
            self.actor, self.via = actor, via

    def touch(self, clock: SlaClock) -> None:
        if clock.pk is not None:
            self.dirty.add(clock.pk)

    def attributed_to(self, clock: SlaClock) -> None:
        """The clock's attribution (or its reopens) changed: it is written with the clock."""
        if clock.pk is not None:
            self.attributed.add(clock.pk)

    def engine(self, clock: SlaClock) -> business_time.Calendar:
        return self.book.engine(clock.calendar if clock.calendar_id else None, clock.zone)

    def used_at(self, clock: SlaClock, at: datetime) -> timedelta:
        return measure.used_at(clock, at, self.engine)

    def set_thread(self, **values) -> None:
        for name, value in values.items():
            setattr(self.thread, name, value)
            self.thread_fields.add(name)

    def _calendar(self, policy: SlaPolicy):
        zone = self.book.customer_zone(self.thread) if policy.use_customer_time_zone else None
        model = policy.calendar if policy.calendar_id else None
        return model, self.book.engine(model, zone).zone

    def _warnings(self, owner: SlaPolicy | Team, target: timedelta) -> list:
        return [
            [int(offset.total_seconds()), label]
            for offset, label in warning_offsets(self.book.thresholds(owner), target)
        ]

    @staticmethod
    def _escalations(owner: SlaPolicy | Team) -> list:
        return [
            [e.level, int(e.after.total_seconds()), e.reassign_team_id, e.raise_priority]
            for e in sorted(owner.escalations.all(), key=lambda e: e.level)
        ]

    def _settle(self, clock: SlaClock, at: datetime) -> None:
        """Bring the clock's used time up to `at`, the time gained going to its holder."""
        attribution.add(clock, self.used_at(clock, at))
        self.attributed_to(clock)

    def _next_escalation(self, clock: SlaClock) -> None:
        """When the next escalation level is due: due time + its offset, in business time."""
        clock.escalate_at = None
        if clock.state == ClockState.BREACHING and clock.escalations_fired < len(clock.escalations):
            offset = timedelta(seconds=clock.escalations[clock.escalations_fired][1])
            clock.escalate_at = self.engine(clock).add(clock.breached_at, offset)

    def _schedule(self, clock: SlaClock, at: datetime) -> None:
        """Precompute warn_at and due_at for a clock (re)started at `at` with `used` spent."""
        engine = self.engine(clock)
        if clock.state == ClockState.BREACHING:
            clock.due_at = clock.breached_at
            clock.warn_at = None
            self._next_escalation(clock)
            return
        remaining = clock.target_duration - clock.used
        clock.original_due_at = engine.add(at, max(remaining, timedelta()))
        moved = clock.override_due_at
        clock.due_at = clock.original_due_at if moved is None else moved
        clock.warn_at = None
        clock.escalate_at = None
        # A moved due time keeps each warning's business time before due.
        left = engine.between(at, moved) if moved is not None and moved > at else timedelta()
        while clock.warnings_passed < len(clock.warnings):
            offset = timedelta(seconds=clock.warnings[clock.warnings_passed][0])
            if moved is None and offset > clock.used:
                clock.warn_at = engine.add(at, offset - clock.used)
                break
            before_due = clock.target_duration - offset
            if moved is not None and left > before_due:
                clock.warn_at = engine.add(at, left - before_due)
                break
            clock.warnings_passed += 1

    def _unpause(self, clock: SlaClock, at: datetime) -> None:
        if clock.paused_at is not None:
            clock.paused_for += max(at - clock.paused_at, timedelta())
            clock.paused_at = None

    def _passed_original_due(self, clock: SlaClock, at: datetime) -> None:
        """A moved clock past the due time its policy gave: a miss for objectives from then
        (the moved due time decides its state and alerts, not what objectives count)."""
        if (
            clock.override_due_at is not None
            and clock.missed_at is None
            and not clock.paused
            and clock.original_due_at is not None
            and clock.original_due_at < at
        ):
            clock.missed_at = clock.original_due_at
            self.touch(clock)

    def move_due(self, clock: SlaClock, at: datetime, to: datetime, reason: str) -> None:
        """Move a running clock's due time to `to` (a person's override, with their reason):
        warnings and escalations follow it; a breach it lifts is no longer one for alerts,
        while objectives still count the policy's due time."""
        old = clock.due_at
        # The policy's due time, when it has passed already, stays what it was: worked out again
        # from now it would read as now (nothing left of the target).
        policy_due = clock.original_due_at or (
            clock.due_at if clock.state == ClockState.BREACHING else None
        )
        passed = policy_due if policy_due is not None and policy_due <= at else None
        self._settle(clock, at)
        clock.running_since = at
        clock.override_due_at = to
        clock.overridden_by_id = getattr(self.actor, "pk", None)
        clock.overridden_at = at
        clock.override_reason = reason
        if clock.state == ClockState.BREACHING and to > at:
            clock.state = ClockState.PENDING
            clock.breached_at = None
            clock.escalations_fired = 0
        clock.warnings_passed = 0
        self._schedule(clock, at)
        if passed is not None:
            clock.original_due_at = passed
        if clock.warnings_passed and clock.state == ClockState.PENDING:
            clock.state = ClockState.IMMINENT_BREACH
        self.touch(clock)
        self.record(
            EventKind.OVERRIDDEN,
            at,
            clock,
            metric=clock.metric,
            reason=reason,
            by=getattr(self.actor, "username", "") or "",
            old_due_at=old.isoformat() if old else None,
            due_at=to.isoformat(),
            original_due_at=clock.original_due_at.isoformat() if clock.original_due_at else None,
        )

    def stop(self, clock: SlaClock, at: datetime, why: str, **details) -> None:
        self._passed_original_due(clock, at)
        self._settle(clock, at)
        self._unpause(clock, at)
        breached = clock.state == ClockState.BREACHING
        if not breached or clock.holder_id is None:
            clock.holder_id = self.thread.assignee_id
        clock.state = ClockState.BREACHED if breached else ClockState.ACHIEVED
        clock.running_since = None
        clock.paused = False
        clock.stopped_at = at
        clock.warn_at = None
        clock.escalate_at = None
        self.touch(clock)
        kind = EventKind.BREACHED if breached else EventKind.ACHIEVED
        self.record(kind, at, clock, why=why, used=as_seconds(clock.used), **details)

    def cancel(self, clock: SlaClock, at: datetime, why: str, **details) -> None:
        self._settle(clock, at)
        self._unpause(clock, at)
        clock.holder_id = self.thread.assignee_id
        clock.state = ClockState.CANCELLED
        clock.running_since = None
        clock.paused = False
        clock.stopped_at = at
        clock.warn_at = None
        clock.escalate_at = None
        self.touch(clock)
        self.record(EventKind.CANCELLED, at, clock, why=why, **details)

    def has_time_left(self, clock: SlaClock, at: datetime) -> bool:
        if clock.state == ClockState.BREACHING:
            return False
        if clock.due_at is not None and not clock.paused:
            return clock.due_at > at
        return self.used_at(clock, at) < clock.target_duration

    def withdraw(self, clock: SlaClock, at: datetime, why: str, **details) -> None:
        """The clock is no longer wanted (no reply needed, no target any more). With time left
        it is cancelled and kept out of the metrics; past due it stops as breached, because
        nobody can turn a breach into a cancellation."""
        if self.has_time_left(clock, at):
            self.cancel(clock, at, why, **details)
            return
        if clock.state != ClockState.BREACHING:  # due this very instant: no time was left
            with self.by_time():
                clock.due_at = clock.due_at or at
                self._breach(clock)
        self.stop(clock, at, why, **details)

    def pause(self, clock: SlaClock, at: datetime, reason: str, status: str) -> None:
        self._settle(clock, at)
        attribution.forget_marks(clock)
        self.attributed_to(clock)
        clock.running_since = None
        clock.paused = True
        clock.paused_at = at
        clock.ever_paused = True
        clock.warn_at = None
        clock.escalate_at = None
        self._passed_original_due(clock, at)
        clock.due_at = clock.original_due_at = None
        self.touch(clock)
        self.record(
            EventKind.PAUSED,
            at,
            clock,
            reason=reason,
            status=status,
            used=as_seconds(clock.used),
        )

    def resume(self, clock: SlaClock, at: datetime, why: str) -> None:
        if not clock.is_running:  # a resolved thread reopened: the same clock goes on
            clock.state = (
                ClockState.BREACHING
                if clock.breached_at is not None
                else ClockState.IMMINENT_BREACH
                if clock.warnings_passed
                else ClockState.PENDING
            )
            clock.stopped_at = None
        self._unpause(clock, at)
        clock.paused = False
        clock.running_since = at
        attribution.hand_over(clock, at, attribution.holder_of(self.thread))
        self.attributed_to(clock)
        self._schedule(clock, at)
        self.touch(clock)
        self.record(
            EventKind.RESUMED,
            at,
            clock,
            why=why,
            used=as_seconds(clock.used),
            due_at=clock.due_at.isoformat() if clock.due_at else None,
        )

    def retarget(self, clock: SlaClock, policy: SlaPolicy, target: SlaTarget, at, why) -> None:
        """The clock keeps its start and takes the new target; a passed due time breaches now."""
        old = {
            "policy": clock.policy.name if clock.policy_id and clock.policy else None,
            "target": as_seconds(clock.target_duration),
            "due_at": clock.due_at.isoformat() if clock.due_at else None,
            "state": clock.state,
        }
        calendar, zone = self._calendar(policy)
        was_running = not clock.paused
        used = self.used_at(clock, at)
        clock.policy, clock.target, clock.target_duration = policy, target, target.duration
        clock.calendar, clock.zone = calendar, zone
        clock.warnings = self._warnings(policy, target.duration)
        clock.escalations = self._escalations(policy)
        engine = self.engine(clock)
        if not clock.ever_paused:
            # Never paused: measure again from the start in the (possibly new) calendar.
            used = engine.between(clock.started_at, at)
            due = engine.add(clock.started_at, target.duration)
            attribution.remeasure(clock, at, engine)
            clock.used = used
        else:
            remaining = target.duration - used
            due = engine.add(at, remaining) if remaining > timedelta() else at
            attribution.add(clock, used)
        self.attributed_to(clock)
        clock.running_since = at if was_running else None
        clock.warnings_passed = sum(1 for offset, _ in clock.warnings if offset <= as_seconds(used))
        # A breach already recorded stays one: a longer target cannot take it back.
        was_breaching = clock.state == ClockState.BREACHING
        moved = clock.override_due_at
        if moved is None:
            breaching = was_breaching or due < at or used > target.duration
        else:  # a moved due time decides the state; the policy's only what objectives count
            breaching = was_breaching or moved < at
            if clock.missed_at is None and (due < at or used > target.duration):
                clock.missed_at = min(due, at)
        if breaching:
            clock.breached_at = clock.breached_at if was_breaching else (moved or due)
            if moved is None and clock.missed_at is None:
                clock.missed_at = clock.breached_at
            clock.state = ClockState.BREACHING
        else:
            clock.breached_at = None
            clock.state = (
                ClockState.IMMINENT_BREACH if clock.warnings_passed else ClockState.PENDING
            )
        if was_running:
            self._schedule(clock, at)
            if not breaching:
                clock.original_due_at = due
                clock.due_at = due if moved is None else moved
        self.touch(clock)
        self.record(
            EventKind.RETARGETED,
            at,
            clock,
            why=why,
            old=old,
            new={
                "policy": policy.name,
                "target": as_seconds(target.duration),
                "due_at": clock.due_at.isoformat() if clock.due_at else None,
                "state": clock.state,
            },
        )
        if breaching and old["state"] != ClockState.BREACHING:
            self.record(EventKind.BREACHING, at, clock, due_at=due.isoformat(), retargeted=True)


def as_seconds(value: timedelta) -> int:
    return int(value.total_seconds())
