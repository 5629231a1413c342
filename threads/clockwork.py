"""The clock rules (docs/rules.md) applied to one thread held in memory.

No queries here: the services load a thread and its clocks, let a `Clockwork` apply one change
(or, for an import, a whole history), then write what it touched. Live traffic, imports and the
evaluator therefore share one implementation of every rule.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from policies import business_time
from policies.deadlines import warning_offsets
from policies.models import Calendar, SlaPolicy, SlaTarget, Tier
from policies.selectors import (
    active_policies,
    business_calendar,
    configuration_version,
    matching_policy,
    target_for,
)
from policies.vocabulary import Metric
from threads.models import (
    CLOSED_STATUSES,
    ClockState,
    EventKind,
    SlaClock,
    SlaEvent,
    Thread,
)

RESPONSE_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE)
_cached_book: tuple | None = None


@dataclass
class PolicyBook:
    """The active policies, read once per request or import batch."""

    policies: list[SlaPolicy]
    default_tier_id: int | None

    @classmethod
    def load(cls) -> "PolicyBook":
        """The current configuration; reused while the configuration version (one query of one
        row, changed by every configuration write in its own transaction) is the same."""
        global _cached_book
        version = configuration_version()
        if _cached_book is not None and _cached_book[0] == version:
            return _cached_book[1]
        default = Tier.default()
        book = cls(policies=active_policies(), default_tier_id=default.pk if default else None)
        _cached_book = (version, book)
        return book

    def effective_tier_id(self, thread: Thread) -> int | None:
        account = thread.account
        if account is not None and account.tier_id is not None:
            return account.tier_id
        return self.default_tier_id

    def match(self, thread: Thread) -> SlaPolicy | None:
        return matching_policy(
            tier_id=thread.tier_id,
            priority=thread.priority,
            channel=thread.channel,
            team_id=thread.team_id,
            policies=self.policies,
        )

    def policy(self, policy_id: int | None) -> SlaPolicy | None:
        return next((p for p in self.policies if p.pk == policy_id), None)

    def target(self, policy: SlaPolicy, *, metric: str, priority: str) -> SlaTarget | None:
        return target_for(policy, metric=metric, priority=priority)

    def thresholds(self, policy: SlaPolicy) -> list:
        return list(policy.thresholds.all())

    def engine(self, calendar: Calendar | None, zone: str | None) -> business_time.Calendar:
        """The engine calendar the rules measure a clock in (a what-if's book answers with its
        draft hours for the calendar it edits)."""
        return business_calendar(calendar, zone=zone)


def customer_zone(thread: Thread) -> str | None:
    return thread.account.time_zone if thread.account_id and thread.account else None


def engine_for(clock: SlaClock) -> business_time.Calendar:
    """The engine calendar of a clock as the configuration has it now."""
    return business_calendar(clock.calendar if clock.calendar_id else None, zone=clock.zone)


def used_at(clock: SlaClock, at: datetime, engines=engine_for) -> timedelta:
    """Business time the clock has used by `at` (`engines`: clock -> its engine calendar)."""
    if clock.running_since is None or at <= clock.running_since:
        return clock.used
    return clock.used + engines(clock).between(clock.running_since, at)


def measure(clock: SlaClock, at: datetime) -> tuple[timedelta, timedelta]:
    """Business time the clock has used by `at`, and what is left of its target (negative once
    past due): the one place pages, API and alerts read "time left" from."""
    used = used_at(clock, at)
    return used, clock.target_duration - used


@dataclass
class Clockwork:
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
    thread_fields: set = field(default_factory=set)

    # ----------------------------------------------------------------- helpers

    def running(self, *metrics) -> list[SlaClock]:
        return [c for c in self.clocks if c.is_running and (not metrics or c.metric in metrics)]

    def resolution_clock(self) -> SlaClock | None:
        return next((c for c in self.clocks if c.metric == Metric.RESOLUTION), None)

    def record(self, kind, at, clock=None, **details) -> SlaEvent:
        if self.via:
            details["via"] = self.via
        event = SlaEvent(
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

    def engine(self, clock: SlaClock) -> business_time.Calendar:
        return self.book.engine(clock.calendar if clock.calendar_id else None, clock.zone)

    def used_at(self, clock: SlaClock, at: datetime) -> timedelta:
        return used_at(clock, at, self.engine)

    def set_thread(self, **values) -> None:
        for name, value in values.items():
            setattr(self.thread, name, value)
            self.thread_fields.add(name)

    def _calendar(self, policy: SlaPolicy):
        zone = customer_zone(self.thread) if policy.use_customer_time_zone else None
        model = policy.calendar if policy.calendar_id else None
        return model, self.book.engine(model, zone).zone

    def _warnings(self, policy: SlaPolicy, target: timedelta) -> list:
        return [
            [int(offset.total_seconds()), label]
            for offset, label in warning_offsets(self.book.thresholds(policy), target)
        ]

    @staticmethod
    def _escalations(policy: SlaPolicy) -> list:
        return [
            [e.level, int(e.after.total_seconds()), e.reassign_team_id, e.raise_priority]
            for e in sorted(policy.escalations.all(), key=lambda e: e.level)
        ]

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
        clock.due_at = engine.add(at, max(remaining, timedelta()))
        clock.warn_at = None
        clock.escalate_at = None
        while clock.warnings_passed < len(clock.warnings):
            offset = timedelta(seconds=clock.warnings[clock.warnings_passed][0])
            if offset > clock.used:
                clock.warn_at = engine.add(at, offset - clock.used)
                break
            clock.warnings_passed += 1

    # ------------------------------------------------------------ time passing

    def catch_up(self, now: datetime) -> None:
        """Record the warnings and breaches whose instant has passed, at their own instants."""
        with self.by_time():
            self._catch_up(now)

    def _catch_up(self, now: datetime) -> None:
        for clock in self.running():
            if clock.paused or clock.running_since is None:
                continue
            while (
                clock.warn_at is not None
                and clock.warn_at < now  # like a breach: a reply at that instant is in time
                and clock.state in (ClockState.PENDING, ClockState.IMMINENT_BREACH)
                and clock.warn_at < clock.due_at
            ):
                index = clock.warnings_passed
                self.record(
                    EventKind.WARNING,
                    clock.warn_at,
                    clock,
                    threshold=clock.warnings[index][1],
                    index=index + 1,
                    due_at=clock.due_at.isoformat(),
                )
                clock.state = ClockState.IMMINENT_BREACH
                clock.warnings_passed += 1
                clock.warn_at = None
                if clock.warnings_passed < len(clock.warnings):
                    offset = timedelta(seconds=clock.warnings[clock.warnings_passed][0])
                    clock.warn_at = self.engine(clock).add(clock.running_since, offset - clock.used)
                self.touch(clock)
            if clock.state != ClockState.BREACHING and clock.due_at and clock.due_at < now:
                self._breach(clock)
            while (
                clock.state == ClockState.BREACHING
                and clock.escalate_at is not None
                and clock.escalate_at <= now
            ):
                self._escalate(clock)

    def _breach(self, clock: SlaClock) -> None:
        """The clock passed its due time unanswered: it is breaching from that instant."""
        self.record(EventKind.BREACHING, clock.due_at, clock, due_at=clock.due_at.isoformat())
        clock.state = ClockState.BREACHING
        clock.breached_at = clock.due_at
        clock.holder_id = self.thread.assignee_id
        clock.warn_at = None
        self._next_escalation(clock)
        self.touch(clock)

    def _escalate(self, clock: SlaClock) -> None:
        """Fire the next escalation level: record it, then its actions through the rules."""
        level, _, team_id, priority = clock.escalations[clock.escalations_fired]
        at = clock.escalate_at
        clock.escalations_fired += 1
        self._next_escalation(clock)
        self.touch(clock)
        self.record(EventKind.ESCALATED, at, clock, level=level, due_at=clock.due_at.isoformat())
        changes = {}
        if team_id and team_id != self.thread.team_id:
            changes["team"] = (self.thread.team_id, team_id)
            self.set_thread(team_id=team_id)
        ranks = {p: i for i, p in enumerate(["urgent", "high", "normal", "low"])}
        if priority and ranks[priority] < ranks.get(self.thread.priority, 99):
            changes["priority"] = (self.thread.priority, priority)
            self.set_thread(priority=priority)
        if changes:
            self.attributes_changed(
                changes, at, why=f"escalation level {level}", escalation_level=level
            )

    # ------------------------------------------------------------ clock moves

    def start(self, metric: str, at: datetime) -> SlaClock | None:
        policy = self.book.policy(self.thread.policy_id)
        if policy is None:
            return None
        target: SlaTarget | None = self.book.target(
            policy, metric=metric, priority=self.thread.priority
        )
        if target is None:
            return None
        calendar, zone = self._calendar(policy)
        clock = SlaClock(
            thread=self.thread,
            metric=metric,
            policy=policy,
            target=target,
            target_duration=target.duration,
            calendar=calendar,
            zone=zone,
            warnings=self._warnings(policy, target.duration),
            escalations=self._escalations(policy),
            started_at=at,
            running_since=at,
        )
        self._schedule(clock, at)
        self.clocks.append(clock)
        self.created.append(clock)
        self.record(
            EventKind.STARTED,
            at,
            clock,
            policy=policy.name,
            target=_seconds(target.duration),
            due_at=clock.due_at.isoformat(),
        )
        return clock

    def _unpause(self, clock: SlaClock, at: datetime) -> None:
        if clock.paused_at is not None:
            clock.paused_for += max(at - clock.paused_at, timedelta())
            clock.paused_at = None

    def stop(self, clock: SlaClock, at: datetime, why: str, **details) -> None:
        clock.used = self.used_at(clock, at)
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
        self.record(kind, at, clock, why=why, used=_seconds(clock.used), **details)

    def cancel(self, clock: SlaClock, at: datetime, why: str, **details) -> None:
        clock.used = self.used_at(clock, at)
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
        clock.used = self.used_at(clock, at)
        clock.running_since = None
        clock.paused = True
        clock.paused_at = at
        clock.ever_paused = True
        clock.warn_at = None
        clock.escalate_at = None
        clock.due_at = None
        self.touch(clock)
        self.record(
            EventKind.PAUSED, at, clock, reason=reason, status=status, used=_seconds(clock.used)
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
        self._schedule(clock, at)
        self.touch(clock)
        self.record(
            EventKind.RESUMED,
            at,
            clock,
            why=why,
            used=_seconds(clock.used),
            due_at=clock.due_at.isoformat() if clock.due_at else None,
        )

    def retarget(self, clock: SlaClock, policy: SlaPolicy, target: SlaTarget, at, why) -> None:
        """The clock keeps its start and takes the new target; a passed due time breaches now."""
        old = {
            "policy": clock.policy.name if clock.policy_id and clock.policy else None,
            "target": _seconds(clock.target_duration),
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
        else:
            remaining = target.duration - used
            due = engine.add(at, remaining) if remaining > timedelta() else at
        clock.used = used
        clock.running_since = at if was_running else None
        clock.warnings_passed = sum(1 for offset, _ in clock.warnings if offset <= _seconds(used))
        # A breach already recorded stays one: a longer target cannot take it back.
        was_breaching = clock.state == ClockState.BREACHING
        breaching = was_breaching or due < at or used > target.duration
        if breaching:
            clock.breached_at = clock.breached_at if was_breaching else due
            clock.state = ClockState.BREACHING
        else:
            clock.breached_at = None
            clock.state = (
                ClockState.IMMINENT_BREACH if clock.warnings_passed else ClockState.PENDING
            )
        if was_running:
            self._schedule(clock, at)
            if not breaching:
                clock.due_at = due
        self.touch(clock)
        self.record(
            EventKind.RETARGETED,
            at,
            clock,
            why=why,
            old=old,
            new={
                "policy": policy.name,
                "target": _seconds(target.duration),
                "due_at": clock.due_at.isoformat() if clock.due_at else None,
                "state": clock.state,
            },
        )
        if breaching and old["state"] != ClockState.BREACHING:
            self.record(EventKind.BREACHING, at, clock, due_at=due.isoformat(), retargeted=True)

    # ------------------------------------------------------------ thread events

    def opened(self, at: datetime) -> None:
        """A new thread: match its policy and start resolution time."""
        self.set_thread(tier_id=self.book.effective_tier_id(self.thread))
        self._apply_match(at, initial=True)
        if self.thread.policy_id and not self.thread.is_closed:
            self.start(Metric.RESOLUTION, at)

    def customer_wrote(self, at: datetime, *, needs_reply: bool, automatic: bool) -> None:
        self.catch_up(at)
        self.set_thread(last_customer_message_at=at)
        if self.thread.is_closed:
            self.status_changed(self.thread.status, "open", at, reason="customer wrote again")
        resolution = self.resolution_clock()
        if resolution is not None and resolution.is_running and resolution.paused:
            self.record(
                EventKind.CUSTOMER_WROTE_WHILE_PAUSED, at, resolution, status=self.thread.status
            )
        if not needs_reply or automatic:
            return
        if not self.thread.first_response_started:
            self.set_thread(first_response_started=True)
            self.start(Metric.FIRST_RESPONSE, at)
        elif self.thread.last_response_at is not None and not self.running(*RESPONSE_METRICS):
            self.start(Metric.NEXT_RESPONSE, at)

    def agent_wrote(self, at: datetime, *, public: bool, automatic: bool) -> None:
        self.catch_up(at)
        if not public or automatic:
            return  # internal notes and auto-replies never answer the customer
        self.set_thread(last_response_at=at)
        for clock in self.running(*RESPONSE_METRICS):
            self.stop(clock, at, why="agent replied")

    def no_reply_needed(self, at: datetime, *, reason: str = "") -> None:
        self.catch_up(at)
        self.set_thread(last_response_at=at)
        why = {"reason": reason} if reason else {}
        self.record(EventKind.NO_REPLY_NEEDED, at, **why)
        for clock in self.running(*RESPONSE_METRICS):
            self.withdraw(clock, at, why="marked no reply needed", **why)

    def status_changed(self, old: str, new: str, at: datetime, *, reason: str = "") -> None:
        self.catch_up(at)
        if old == new:
            return
        self.set_thread(status=new)
        self.record(EventKind.THREAD_CHANGED, at, field="status", old=old, new=new, reason=reason)
        policy = self.book.policy(self.thread.policy_id) or (
            self.thread.policy if self.thread.policy_id else None
        )
        pausing = set(policy.pause_statuses) if policy else set()
        resolution = self.resolution_clock()
        if new in CLOSED_STATUSES:
            for clock in self.running(*RESPONSE_METRICS):
                self.stop(clock, at, why=f"thread {new}")
            if resolution is not None and resolution.is_running:
                self.stop(resolution, at, why=f"thread {new}")
            return
        if old in CLOSED_STATUSES:
            if resolution is not None and not resolution.is_running:
                if resolution.state != ClockState.CANCELLED:
                    self.resume(resolution, at, why="thread reopened")
            elif resolution is None and self.thread.policy_id:
                resolution = self.start(Metric.RESOLUTION, at)
        if resolution is None or not resolution.is_running:
            return
        if new in pausing and not resolution.paused:
            self.pause(resolution, at, reason=reason, status=new)
        elif new not in pausing and resolution.paused:
            self.resume(resolution, at, why=f"status {new}")

    def attributes_changed(
        self,
        changes: dict,
        at: datetime,
        *,
        why: str = "",
        reason: str = "",
        escalation_level: int | None = None,
    ) -> None:
        """Priority, tier, channel or team changed: match the policy again.

        `why` is what caused the change in words (an escalation level, an account's new tier),
        `reason` what the person who made it said; `escalation_level` marks, as data, a change
        the rules made themselves when an escalation fired (a replay makes its own)."""
        self.catch_up(at)
        for name, (old, new) in changes.items():
            details = {"field": name, "old": old, "new": new}
            if why:
                details["why"] = why
            if escalation_level is not None:
                details["escalation_level"] = escalation_level
            if reason:
                details["reason"] = reason
            self.record(EventKind.THREAD_CHANGED, at, **details)
        self._apply_match(at)

    def reapply(self, at: datetime) -> None:
        """A manager re-applies edited policies to this thread's running clocks."""
        self.catch_up(at)
        self._apply_match(at, force=True)

    def _differs(self, clock: SlaClock, policy: SlaPolicy, target: SlaTarget) -> bool:
        """Would the policy as it is now give this clock another target, calendar or warnings?"""
        calendar, zone = self._calendar(policy)
        if (
            target.duration != clock.target_duration
            or (calendar.pk if calendar else None) != clock.calendar_id
            or zone != clock.zone
            or self._warnings(policy, target.duration) != clock.warnings
            or policy.pk != clock.policy_id
        ):
            return True
        # Same calendar, but its hours or holidays may have been edited since the clock was
        # scheduled: the due time recomputed now tells.
        if clock.paused or clock.running_since is None or clock.state == ClockState.BREACHING:
            return False
        remaining = max(clock.target_duration - clock.used, timedelta())
        return self.engine(clock).add(clock.running_since, remaining) != clock.due_at

    def _apply_match(self, at: datetime, *, initial: bool = False, force: bool = False) -> None:
        policy = self.book.match(self.thread)
        old_policy_id = self.thread.policy_id
        changed = (
            policy is None
            and old_policy_id is not None
            or (policy is not None and policy.pk != old_policy_id)
        )
        if changed or initial:
            self.set_thread(policy=policy)
            if policy is None:
                self.record(EventKind.NO_POLICY, at)
            else:
                self.record(EventKind.POLICY_MATCHED, at, policy=policy.name, policy_id=policy.pk)
        if initial:
            return
        for clock in self.running():
            target = (
                self.book.target(policy, metric=clock.metric, priority=self.thread.priority)
                if policy
                else None
            )
            if target is None:
                why = f"no {clock.get_metric_display().lower()} target under " + (
                    f"“{policy.name}”" if policy else "any policy"
                )
                self.withdraw(clock, at, why=why)
            elif (
                self._differs(clock, policy, target)
                if force
                else target.pk != clock.target_id or policy.pk != clock.policy_id
            ):
                self.retarget(
                    clock, policy, target, at, why="re-applied" if force else "re-matched"
                )
        if policy is not None and self.resolution_clock() is None and not self.thread.is_closed:
            self.start(Metric.RESOLUTION, at)


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())
