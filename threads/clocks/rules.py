"""The clock rules (docs/rules.md) applied to one thread held in memory.

No queries here: a caller loads a thread and its clocks (store.py), builds the actions that
happened (actions.py), lets a `Clockwork` apply them, then saves what it touched. Live traffic,
imports, the evaluator and the what-if therefore share one implementation of every rule.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.models import SlaPolicy, SlaTarget
from policies.vocabulary import TEAM_METRICS, Metric
from threads.clocks import outcome
from threads.clocks.actions import (
    RELATION_FIELDS,
    REMATCH_FIELDS,
    Action,
    AgentWrote,
    CustomerWrote,
    DueMoved,
    FieldsChanged,
    NoReplyNeeded,
    Opened,
    Reapplied,
    StatusChanged,
    TimePassed,
    field_value,
)
from threads.clocks.holders import HolderMoves
from threads.models import CLOSED_STATUSES, ClockState, EventKind, SlaClock, SlaEvent

RESPONSE_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE)
# Clocks that pause with the policy's pausing statuses (response clocks run on).
PAUSING_METRICS = (
    Metric.RESOLUTION,
    Metric.FIRST_RESOLUTION,
    Metric.PERIODIC_UPDATE,
    *TEAM_METRICS,
)
# Clocks a resolve stops (resolution resumes on reopen; the others never do).
STOPPED_BY_RESOLVE = (*RESPONSE_METRICS, *PAUSING_METRICS)
# The steps time makes a running clock take, each alerted once.
STEPS = (EventKind.WARNING, EventKind.BREACHING, EventKind.ESCALATED)


@dataclass
class Clockwork(HolderMoves):
    """The rules: which moves each action calls for, and what time passing does."""

    def apply(self, action: Action) -> None:
        """Apply one action at its instant. An action that names its actor is theirs; the
        work's own actor (and via) is kept for the rest. What each clock counts as in
        objectives is settled after every action, with the thread as it is then."""
        actor = getattr(action, "actor", None)
        previous = self.actor
        if actor is not None:
            self.actor = actor
        try:
            self._dispatch(action)
        finally:
            self.actor = previous
        for clock in self.clocks:
            self.count_changes.extend(outcome.settle(clock, self.thread))

    def _dispatch(self, action: Action) -> None:
        at = action.at
        match action:
            case Opened():
                self._opened(at)
            case CustomerWrote(needs_reply=needs_reply, automatic=automatic):
                self._customer_wrote(at, needs_reply=needs_reply, automatic=automatic)
            case AgentWrote(public=public, automatic=automatic, author_teams=teams):
                member = self.thread.team_id is not None and self.thread.team_id in teams
                self._agent_wrote(at, public=public, automatic=automatic, team_member=member)
            case StatusChanged(status=status, reason=reason):
                self._status_changed(status, at, reason=reason)
            case FieldsChanged():
                self._fields_changed(
                    action.changes,
                    at,
                    why=action.why,
                    reason=action.reason,
                    escalation_level=action.escalation_level,
                )
            case NoReplyNeeded(reason=reason):
                self._no_reply_needed(at, reason=reason)
            case TimePassed():
                self.catch_up(at)
            case Reapplied(why=why):
                self._reapply(at, why=why)
            case DueMoved():
                self.catch_up(at)
                self._move_due(action)
            case _:
                raise TypeError(f"not a clock action: {action!r}")

    def catch_up(self, now: datetime) -> None:
        """Record the warnings, breaches and escalations whose instant has passed, at their own
        instants. When one catch-up finds several steps of a clock (a backfill, a cluster that
        was down), only the most advanced is alerted: the others are true history, recorded as
        such, and a "due soon" is never sent for a clock already past due."""
        start = len(self.events)
        with self.by_time():
            self._catch_up(now)
        latest: dict[int, SlaEvent] = {}
        for event in self.events[start:]:
            if event.kind in STEPS and event.clock is not None:
                earlier = latest.get(id(event.clock))
                if earlier is not None:
                    earlier.historical = True
                    earlier.details["superseded"] = True
                latest[id(event.clock)] = event

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
            self._passed_original_due(clock, now)
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
        if clock.override_due_at is None and clock.missed_at is None:
            clock.missed_at = clock.due_at
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
        ranks = {p: i for i, p in enumerate(["urgent", "high", "normal", "low"])}
        changes = {}
        if team_id:
            changes["team"] = team_id
        if priority and ranks[priority] < ranks.get(self.thread.priority, 99):
            changes["priority"] = priority
        if changes:
            self._fields_changed(
                changes, at, why=f"escalation level {level}", escalation_level=level
            )

    def _move_due(self, action: DueMoved) -> None:
        """A person's override of the running clock of a metric (live callers check that there
        is one and that it is not paused; a replayed history finds what it finds)."""
        clock = next(iter(self.running(action.metric)), None)
        if clock is None or clock.paused or (action.due_at is None and clock.due_at is None):
            return
        to = action.due_at
        if to is None:
            to = self.engine(clock).add(clock.due_at, action.extend_by)
        self.move_due(clock, action.at, to, action.reason)

    def _opened(self, at: datetime) -> None:
        """A new thread: match its policy and start resolution time."""
        self.set_thread(tier_id=self.book.effective_tier_id(self.thread))
        self._apply_match(at, initial=True)
        if self.thread.policy_id and not self.thread.is_closed:
            self._start_resolution(at)
        if not self.thread.is_closed:
            self._team_arrives(at)  # a thread's first team is a handoff too

    def _start_resolution(self, at: datetime, *, first: bool = True) -> None:
        """Resolution time starts, and first resolution with it: once in a thread's life, never
        on a reopen (a policy may have a first-resolution target and no full one)."""
        self.start(Metric.RESOLUTION, at)
        if first and not any(c.metric == Metric.FIRST_RESOLUTION for c in self.clocks):
            self.start(Metric.FIRST_RESOLUTION, at)

    def _customer_wrote(self, at: datetime, *, needs_reply: bool, automatic: bool) -> None:
        self.catch_up(at)
        if automatic:
            return  # an auto-reply (out of office) starts, stops and reopens nothing
        self.set_thread(last_customer_message_at=at)
        if self.thread.is_closed:
            self._status_changed("open", at, reason="customer wrote again", rule="reopened")
        wants_reply = needs_reply and not automatic
        policy = self._policy()
        status = self.thread.status
        if (
            wants_reply
            and policy
            and status in policy.pause_statuses
            and status in (policy.reply_resumes or [])
        ):
            # The wait was for this answer: it ends, and resolution resumes now.
            self._status_changed("open", at, reason="customer replied", rule="reply_ends_wait")
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

    def _agent_wrote(
        self, at: datetime, *, public: bool, automatic: bool, team_member: bool = False
    ) -> None:
        self.catch_up(at)
        if automatic:
            return  # auto-replies never answer anyone
        if team_member:  # a reply or an internal note by a member of the holding team
            for clock in self.running(Metric.TEAM_RESPONSE):
                self.stop(clock, at, why="team member wrote")
        if not public:
            return  # internal notes never answer the customer
        self.set_thread(last_response_at=at)
        for clock in self.running(*RESPONSE_METRICS):
            self.stop(clock, at, why="agent replied")
        for clock in self.running(Metric.PERIODIC_UPDATE):
            self.stop(clock, at, why="agent updated the customer")
        if not self.thread.is_closed:
            self._next_update_cycle(at)

    def _next_update_cycle(self, at: datetime) -> None:
        """A public reply starts the next periodic-update cycle (the first reply cycle 1)."""
        cycle = self.thread.update_cycles + 1
        clock = self.start(Metric.PERIODIC_UPDATE, at, cycle=cycle)
        if clock is not None:
            self.set_thread(update_cycles=cycle)
            self._unless_waiting(clock, at)

    def _no_reply_needed(self, at: datetime, *, reason: str = "") -> None:
        self.catch_up(at)
        self.set_thread(last_response_at=at)
        why = {"reason": reason} if reason else {}
        self.record(EventKind.NO_REPLY_NEEDED, at, **why)
        for clock in self.running(*RESPONSE_METRICS):
            self.withdraw(clock, at, why="marked no reply needed", **why)

    def _policy(self) -> SlaPolicy | None:
        """The thread's policy (also one deactivated since it matched)."""
        return self.book.policy(self.thread.policy_id) or (
            self.thread.policy if self.thread.policy_id else None
        )

    def _status_changed(self, new: str, at: datetime, *, reason: str = "", rule: str = "") -> None:
        """`rule` names the rule that made the change itself (the customer's reply ended the
        wait, a message reopened the thread): data a replay reads to leave it to the rules."""
        self.catch_up(at)
        old = self.thread.status
        if old == new:
            return
        self._hand_over(at, status=new)
        self.set_thread(status=new)
        details = {"field": "status", "old": old, "new": new, "reason": reason}
        if rule:
            details["rule"] = rule
        self.record(EventKind.THREAD_CHANGED, at, **details)
        pausing = self._pausing()
        resolution = self.resolution_clock()
        if new in CLOSED_STATUSES:
            for clock in self.running(*STOPPED_BY_RESOLVE):
                self.stop(clock, at, why=f"thread {new}")
            return
        if old in CLOSED_STATUSES:
            if resolution is not None and not resolution.is_running:
                if resolution.state != ClockState.CANCELLED:
                    resolution.reopens += 1
                    self.attributed_to(resolution)
                    self.resume(resolution, at, why="thread reopened")
            elif resolution is None and self.thread.policy_id:
                self._start_resolution(at, first=False)
            self._team_arrives(at)  # a reopened thread is its team's again
        for clock in self.running(*PAUSING_METRICS):
            if new in pausing and not clock.paused:
                self.pause(clock, at, reason=reason, status=new)
            elif new not in pausing and clock.paused:
                self.resume(clock, at, why=f"status {new}")

    def _fields_changed(
        self,
        values: dict,
        at: datetime,
        *,
        why: str = "",
        reason: str = "",
        escalation_level: int | None = None,
    ) -> None:
        """Thread fields take new values; each one that differs is recorded, and a change of
        priority, channel, team or tier matches the policy again."""
        self.catch_up(at)
        rematch = handed_off = False
        for name, value in values.items():
            attname = f"{name}_id" if name in RELATION_FIELDS else name
            old, new = getattr(self.thread, attname), field_value(value)
            if old == new:
                continue
            if name == "team":
                self._hand_over(at, team_id=new)
                handed_off = True
            self.set_thread(**{attname: new})
            details = {"field": name, "old": old, "new": new}
            if why:
                details["why"] = why
            if escalation_level is not None:
                details["escalation_level"] = escalation_level
            if reason:
                details["reason"] = reason
            self.record(EventKind.THREAD_CHANGED, at, **details)
            rematch = rematch or name in REMATCH_FIELDS
        if rematch:
            self._apply_match(at)
        if handed_off:  # after the match: a team without a calendar runs on the policy's
            self._hand_off(at)

    def _reapply(self, at: datetime, *, why: str = "") -> None:
        """A manager re-applies edited policies (or the account's zone changed): running clocks
        whose target, calendar, zone or warnings would now differ are retargeted."""
        self.catch_up(at)
        self._apply_match(at, force=True, why=why or "re-applied")

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

    def _apply_match(
        self, at: datetime, *, initial: bool = False, force: bool = False, why: str = ""
    ) -> None:
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
            if clock.metric in TEAM_METRICS:
                continue  # a team's own clocks follow its targets, never the policy
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
                self.retarget(clock, policy, target, at, why=why or "re-matched")
        if policy is not None and self.resolution_clock() is None and not self.thread.is_closed:
            self._start_resolution(at)


team_id: int | None
