"""Clocks starting, and who holds a thread (docs/rules.md, "Who held the time"): a policy's
clocks; a team's own clocks (team response, team resolution) on the team's calendar, started
when the thread is handed to the team and stopped when it leaves; and the hand-over of every
running clock's time to its new holder (attribution.py)."""

from dataclasses import dataclass
from datetime import datetime

from accounts.models import Team
from policies.vocabulary import TEAM_METRICS, Metric
from threads.clocks import attribution
from threads.clocks.moves import ClockMoves, as_seconds
from threads.models import EventKind, SlaClock


class HolderMoves(ClockMoves):
    """Starting clocks (a policy's, a team's) and handing their time over; the rules
    (rules.Clockwork) decide when."""

    def start(self, metric: str, at: datetime, **extra) -> SlaClock | None:
        """Start the policy's clock of a metric, if the policy has a target for it (`extra`:
        more of the clock's attributes, e.g. a periodic update's cycle)."""
        policy = self.book.policy(self.thread.policy_id)
        if policy is None:
            return None
        target = self.book.target(policy, metric=metric, priority=self.thread.priority)
        if target is None:
            return None
        calendar, zone = self._calendar(policy)
        clock = self._new_clock(
            metric,
            at,
            policy,
            target.duration,
            calendar,
            zone,
            policy=policy,
            target=target,
            **extra,
        )
        self.record(
            EventKind.STARTED,
            at,
            clock,
            policy=policy.name,
            target=as_seconds(target.duration),
            due_at=clock.due_at.isoformat(),
            **extra,
        )
        return clock

    def _new_clock(self, metric, at, owner, duration, calendar, zone, **values) -> SlaClock:
        """A clock started at `at`: `owner` (a policy or a team) gives its warnings and
        escalation levels; its first stretch is held by whoever holds the thread."""
        clock = self.clock_type(
            thread=self.thread,
            metric=metric,
            target_duration=duration,
            calendar=calendar,
            zone=zone,
            warnings=self._warnings(owner, duration),
            escalations=self._escalations(owner),
            started_at=at,
            running_since=at,
            **values,
        )
        attribution.begin(clock, at, attribution.holder_of(self.thread))
        self._schedule(clock, at)
        self.clocks.append(clock)
        self.created.append(clock)
        return clock

    def _team_calendar(self, team: Team):
        """A team's clocks run on the team's calendar, else the thread's policy's, else 24/7."""
        if team.calendar_id:
            return team.calendar, self.book.engine(team.calendar, None).zone
        policy = self.book.policy(self.thread.policy_id)
        if policy is not None:
            return self._calendar(policy)
        return None, self.book.engine(None, None).zone

    def start_team(self, metric: str, at: datetime, team: Team) -> SlaClock | None:
        """Start a team's own clock of a metric, if the team has a target for it."""
        target = self.book.team_target(team, metric=metric, priority=self.thread.priority)
        if target is None:
            return None
        calendar, zone = self._team_calendar(team)
        clock = self._new_clock(
            metric, at, team, target.duration, calendar, zone, policy=None, target=None,
            team_id=team.pk,
        )  # fmt: skip
        self.record(
            EventKind.STARTED,
            at,
            clock,
            team=team.name,
            team_id=team.pk,
            target=as_seconds(target.duration),
            due_at=clock.due_at.isoformat(),
        )
        return clock

    def _pausing(self) -> set:
        policy = self._policy()
        return set(policy.pause_statuses) if policy else set()

    def _unless_waiting(self, clock: SlaClock | None, at: datetime) -> None:
        """A pausing clock started while the thread waits starts paused."""
        status = self.thread.status
        if clock is not None and status in self._pausing():
            self.pause(clock, at, reason="", status=status)

    def _team_arrives(self, at: datetime) -> None:
        """The thread's team (if it has targets) starts its own clocks."""
        team = self.book.team(self.thread.team_id)
        if team is None:
            return
        for metric in TEAM_METRICS:
            self._unless_waiting(self.start_team(metric, at, team), at)

    def _hand_off(self, at: datetime) -> None:
        """The thread left its team: the team's response time stops (cancelled with time left,
        breached past due), its resolution time stops; the new team's clocks start."""
        left = "team removed" if self.thread.team_id is None else "handed to another team"
        for clock in self.running(*TEAM_METRICS):
            if clock.metric == Metric.TEAM_RESPONSE:
                self.withdraw(clock, at, why=left)
            else:
                self.stop(clock, at, why=left)
        if not self.thread.is_closed:
            self._team_arrives(at)

    def _hand_over(self, at: datetime, *, status: str | None = None, team_id=False) -> None:
        """Who holds the time is about to change: every running clock's time so far goes to
        its holder until `at`, and the new holder's stretch begins."""
        status = self.thread.status if status is None else status
        team_id = self.thread.team_id if team_id is False else team_id
        holder = attribution.holder_of(_Holding(status, team_id))
        for clock in self.running():
            if clock.paused or clock.attribution.get("holder") == holder:
                continue
            if clock.running_since is not None and at > clock.running_since:
                self._settle(clock, at)
                clock.running_since = at
            attribution.hand_over(clock, at, holder)
            self.touch(clock)
            self.attributed_to(clock)


@dataclass(frozen=True)
class _Holding:
    """A thread's status and team as they are about to be (who will hold the time)."""

    status: str
    team_id: int | None
