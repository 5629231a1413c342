"""What-if: replay past threads under a draft of a policy or a calendar, side by side with now.

A draft lives in memory only: unsaved copies of the policies (same ids, edited targets, warnings
or calendar) in a PolicyBook of their own. Each selected thread's recorded actions (messages,
status and attribute changes, "no reply needed") are told again to the clock rules (Clockwork) in
memory, twice: under the policies as they are now, not as they were, and with the draft, so the
two columns differ only by the draft. Nothing is written until `draft_apply`, which changes the
configuration for clocks started afterwards and, if asked, re-applies it to running clocks;
finished clocks never change.
"""

import time as monotonic_time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Account
from policies import business_time
from policies.durations import format_duration
from policies.models import (
    Calendar,
    SlaPolicy,
    SlaTarget,
    WarningThreshold,
    Weekday,
    describe_interval,
)
from policies.selectors import configuration_version, weekly_hours
from policies.services import calendar_days_set, policy_times_set
from policies.vocabulary import Metric
from threads.clockwork import Clockwork, PolicyBook
from threads.models import ClockState, EventKind, Message, SlaClock, SlaEvent, Thread

# Threads replayed per batch of queries, and how long one step of a run may take (the admin
# page asks for the next step until the run is finished; tests run it in one go).
CHUNK = 500
STEP_SECONDS = 0.8
# Changed outcomes kept for the list (all of them are counted).
MAX_CHANGES = 1000

REPLAYED_FIELDS = ("status", "priority", "channel", "team", "tier")
_BUCKET = {
    ClockState.ACHIEVED: "achieved",
    ClockState.BREACHED: "breached",
    ClockState.CANCELLED: "cancelled",
    ClockState.PENDING: "running",
    ClockState.IMMINENT_BREACH: "running",
    ClockState.BREACHING: "breaching",
}


class DraftStale(Exception):
    """The configuration changed since the what-if ran: its figures no longer hold."""


# --------------------------------------------------------------------------- the draft


@dataclass
class Draft:
    """Edits to one policy (targets, warnings) or one calendar (weekly hours, holidays)."""

    policy_id: int | None = None
    calendar_id: int | None = None
    targets: dict[int, timedelta] = field(default_factory=dict)  # SlaTarget pk -> duration
    thresholds: list[tuple[str, int]] | None = None  # None = unchanged
    weekly: dict[int, list[tuple[time, time]]] | None = None  # None = unchanged
    holidays_added: dict[date, str] = field(default_factory=dict)  # date -> name
    holidays_removed: list[date] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "policy_id": self.policy_id,
            "calendar_id": self.calendar_id,
            "targets": {str(pk): d.total_seconds() for pk, d in self.targets.items()},
            "thresholds": None if self.thresholds is None else [list(t) for t in self.thresholds],
            "weekly": None
            if self.weekly is None
            else {
                str(day): [[o.isoformat(), c.isoformat()] for o, c in spans]
                for day, spans in self.weekly.items()
            },
            "holidays_added": {d.isoformat(): name for d, name in self.holidays_added.items()},
            "holidays_removed": [d.isoformat() for d in self.holidays_removed],
        }

    @classmethod
    def from_json(cls, data: dict) -> "Draft":
        weekly = data.get("weekly")
        return cls(
            policy_id=data.get("policy_id"),
            calendar_id=data.get("calendar_id"),
            targets={int(pk): timedelta(seconds=s) for pk, s in data.get("targets", {}).items()},
            thresholds=None
            if data.get("thresholds") is None
            else [(kind, int(value)) for kind, value in data["thresholds"]],
            weekly=None
            if weekly is None
            else {
                int(day): [(time.fromisoformat(o), time.fromisoformat(c)) for o, c in spans]
                for day, spans in weekly.items()
            },
            holidays_added={
                parse_date(d): name for d, name in data.get("holidays_added", {}).items()
            },
            holidays_removed=[parse_date(d) for d in data.get("holidays_removed", [])],
        )


def threshold_text(kind: str, value: int) -> str:
    if kind == WarningThreshold.Kind.PERCENT_USED:
        return f"{value}%"
    return f"{format_duration(timedelta(minutes=value))} before due"


def thresholds_text(thresholds) -> str:
    return ", ".join(threshold_text(kind, value) for kind, value in thresholds) or "none"


def hours_text(spans) -> str:
    return ", ".join(describe_interval(o, c) for o, c in sorted(spans)) or "closed"


def draft_changes(draft: Draft) -> list[str]:
    """What the draft changes, in a manager's words (empty = the draft equals the configuration)."""
    lines = []
    if draft.policy_id:
        policy = SlaPolicy.objects.prefetch_related("targets", "thresholds").get(pk=draft.policy_id)
        for target in policy.targets.all():
            new = draft.targets.get(target.pk, target.duration)
            if new != target.duration:
                who = target.get_priority_display() if target.priority else "any priority"
                lines.append(
                    f"{target.get_metric_display()} ({who}): "
                    f"{format_duration(target.duration)} → {format_duration(new)}"
                )
        old = sorted((t.kind, t.value) for t in policy.thresholds.all())
        if draft.thresholds is not None and sorted(draft.thresholds) != old:
            lines.append(f"Warnings: {thresholds_text(old)} → {thresholds_text(draft.thresholds)}")
    if draft.calendar_id:
        calendar = Calendar.objects.get(pk=draft.calendar_id)
        weekly = weekly_hours(calendar)
        for day in range(7):
            new = (draft.weekly or weekly).get(day, [])
            if sorted(new) != sorted(weekly[day]):
                lines.append(f"{Weekday(day).label}: {hours_text(weekly[day])} → {hours_text(new)}")
        if draft.holidays_added:
            added = ", ".join(
                f"{d:%a %d %b %Y}{f' ({name})' if name else ''}"
                for d, name in sorted(draft.holidays_added.items())
            )
            lines.append(f"Holidays added: {added}")
        if draft.holidays_removed:
            removed = ", ".join(f"{d:%a %d %b %Y}" for d in sorted(draft.holidays_removed))
            lines.append(f"Holidays removed: {removed}")
    return lines


def subject_policy_ids(draft: Draft) -> list[int]:
    """The policies whose clocks the draft changes: the policy, or the active ones using the
    calendar."""
    if draft.policy_id:
        return [draft.policy_id]
    return list(
        SlaPolicy.objects.active()
        .filter(calendar_id=draft.calendar_id)
        .order_by("order", "id")
        .values_list("pk", flat=True)
    )


def draft_engines(draft: Draft):
    """The engine calendar of the edited calendar as the draft has it, per zone: the replay's
    book measures that calendar's clocks with it instead of the saved hours."""
    calendar = Calendar.objects.get(pk=draft.calendar_id)
    weekly = draft.weekly if draft.weekly is not None else weekly_hours(calendar)
    holidays = set(calendar.holidays.values_list("date", flat=True))
    holidays = (holidays - set(draft.holidays_removed)) | set(draft.holidays_added)
    special: dict = {}
    for day, opens, closes in calendar.special_days.values_list("date", "opens", "closes"):
        spans = special.setdefault(day, [])
        if opens is not None:
            spans.append((opens, closes))
    engines: dict[str, business_time.Calendar] = {}

    def engine(zone: str | None) -> business_time.Calendar:
        zone = zone or calendar.time_zone
        if zone not in engines:
            engines[zone] = business_time.Calendar(
                zone=zone,
                weekly={day: spans for day, spans in weekly.items() if spans},
                holidays=holidays,
                special_days=special,
            )
        return engines[zone]

    return engine


def draft_book(book: PolicyBook, draft: Draft) -> "ReplayBook":
    """The same active policies, in the same order, answering with the draft's targets, warnings
    and hours where it edits them (the policies themselves are not copied)."""
    replay_book = ReplayBook.of(book)
    policy = replay_book.policy(draft.policy_id)
    if policy is not None:
        for target in policy.targets.all():
            if draft.targets.get(target.pk, target.duration) != target.duration:
                values = {f.attname: getattr(target, f.attname) for f in SlaTarget._meta.fields}
                values["duration"] = draft.targets[target.pk]
                replay_book.draft_targets[target.pk] = SlaTarget(**values)
        if draft.thresholds is not None:
            replay_book.draft_thresholds[policy.pk] = [
                WarningThreshold(policy_id=policy.pk, kind=kind, value=value)
                for kind, value in sorted(draft.thresholds)
            ]
    if draft.calendar_id:
        replay_book.draft_engines[draft.calendar_id] = draft_engines(draft)
    return replay_book


# --------------------------------------------------------------------------- history


CUSTOMER, AGENT, STATUS, ATTRIBUTE, NO_REPLY = range(5)


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
    actions: list[tuple]  # (at, messages first, id, kind, a, b), sorted

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
        thread = Thread(*[values[name] for name in _THREAD_FIELDS])
        if self.account_id or self.initial["tier"]:
            # Stands for the account as it was: the rules read its tier when the thread opens
            # (a later tier change is one of the replayed actions) and its time zone.
            thread.account = Account(
                pk=self.account_id,
                tier_id=self.initial["tier"],
                time_zone=self.account_zone or "UTC",
            )
        return thread


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
            actions[thread_id].append((at, 0, pk, CUSTOMER, needs_reply, automatic))
        else:
            actions[thread_id].append((at, 0, pk, AGENT, public, automatic))
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
                actions[thread_id].append((at, 1, pk, NO_REPLY, None, None))
            continue
        name = details.get("field")
        if name not in REPLAYED_FIELDS:
            continue  # assignee and subject changes do not move clocks
        # The first change of a field tells what it was when the thread opened.
        firsts[thread_id].setdefault(name, details.get("old"))
        # An escalation's change is an output of the rules: the replay makes its own. It says
        # its level; one recorded before that marker is found by its escalation, recorded at
        # the same instant just before it.
        if at > now or details.get("escalation_level") is not None or (thread_id, at) in escalated:
            continue
        if name == "status":
            actions[thread_id].append(
                (at, 1, pk, STATUS, details.get("new"), details.get("reason"))
            )
        else:
            actions[thread_id].append((at, 1, pk, ATTRIBUTE, name, details.get("new")))
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
class ReplayBook(PolicyBook):
    """The policies for a replay. Which policy a thread matches depends only on its tier,
    priority, channel and team, so each answer is worked out once for the whole run."""

    matches: dict = field(default_factory=dict)
    by_id: dict = field(default_factory=dict)
    draft_targets: dict = field(default_factory=dict)  # target id -> the draft's copy
    draft_thresholds: dict = field(default_factory=dict)  # policy id -> the draft's warnings
    draft_engines: dict = field(default_factory=dict)  # calendar id -> zone -> engine calendar

    @classmethod
    def of(cls, book: PolicyBook) -> "ReplayBook":
        return cls(
            policies=book.policies,
            default_tier_id=book.default_tier_id,
            by_id={p.pk: p for p in book.policies},
        )

    def match(self, thread: Thread) -> SlaPolicy | None:
        key = (thread.tier_id, thread.priority, thread.channel, thread.team_id)
        if key not in self.matches:
            self.matches[key] = super().match(thread)
        return self.matches[key]

    def policy(self, policy_id: int | None) -> SlaPolicy | None:
        return self.by_id.get(policy_id)

    def target(self, policy, *, metric, priority):
        target = super().target(policy, metric=metric, priority=priority)
        return self.draft_targets.get(target.pk, target) if target is not None else None

    def thresholds(self, policy):
        if policy.pk in self.draft_thresholds:
            return self.draft_thresholds[policy.pk]
        return super().thresholds(policy)

    def engine(self, calendar, zone):
        draft = self.draft_engines.get(calendar.pk) if calendar is not None else None
        return draft(zone) if draft else super().engine(calendar, zone)


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


def replay(history: History, book: PolicyBook, now: datetime) -> Replay:
    """Tell the thread's history to the clock rules again, in memory, and catch up to `now`."""
    thread = history.thread()
    work = Replay(thread=thread, clocks=[], book=book, historical=True)
    work.opened(history.created_at)
    for at, _, _, kind, a, b in history.actions:
        if kind == CUSTOMER:
            work.customer_wrote(at, needs_reply=a, automatic=b)
        elif kind == AGENT:
            work.agent_wrote(at, public=a, automatic=b)
        elif kind == STATUS:
            work.status_changed(thread.status, a, at, reason=b or "")
        elif kind == NO_REPLY:
            work.no_reply_needed(at)
        else:
            attname = f"{a}_id" if a in ("team", "tier") else a
            old = getattr(thread, attname)
            if old != b:
                work.set_thread(**{attname: b})
                work.attributes_changed({a: (old, b)}, at)
    work.catch_up(now)
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


# --------------------------------------------------------------------------- the run


@dataclass
class Tally:
    achieved: int = 0
    breached: int = 0
    cancelled: int = 0
    running: int = 0
    breaching: int = 0
    warnings: int = 0

    @property
    def rate(self) -> float | None:
        """Achieved ÷ (achieved + breached): clocks still running or cancelled are left out."""
        judged = self.achieved + self.breached
        return self.achieved / judged if judged else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else round(self.rate * 100, 1)

    @property
    def still_running(self) -> int:
        return self.running + self.breaching


@dataclass
class MetricRow:
    metric: str
    label: str
    now: Tally
    draft: Tally
    recorded: Tally

    @property
    def rate_change(self) -> float | None:
        """Percentage points the draft adds to the achievement rate (as shown, one decimal)."""
        if self.now.percent is None or self.draft.percent is None:
            return None
        return round(self.draft.percent - self.now.percent, 1)


@dataclass
class Change:
    thread_id: int
    subject: str
    metric: str
    label: str
    now: list[str]
    draft: list[str]
    recorded: list[str]

    @property
    def now_text(self) -> str:
        return states_text(self.now)

    @property
    def draft_text(self) -> str:
        return states_text(self.draft)

    @property
    def recorded_text(self) -> str:
        return states_text(self.recorded)


@dataclass
class WhatIfRun:
    """A replay of the threads created in [since, until) that the draft's policies applied to.

    Resumable: `advance()` replays the next chunks and keeps its place, so the admin can show
    "n of N threads" between steps; the whole state is JSON (kept in the manager's session).
    """

    draft: Draft
    since: datetime
    until: datetime
    now: datetime
    subjects: list[int]
    version: int  # the configuration version it replays against
    total: int
    done: int = 0
    cursor: int = 0
    counts: dict = field(default_factory=dict)  # side -> metric -> bucket -> n
    changes: list = field(default_factory=list)
    changed: int = 0
    stale: bool = False

    @classmethod
    def start(
        cls, *, draft: Draft, since: datetime, until: datetime, now: datetime | None = None
    ) -> "WhatIfRun":
        """Count the threads to replay. Every recorded action up to `now` (the moment the run
        starts) is replayed, also those after `until`, and both replays catch up to `now`: the
        comparison is "these threads as they would stand today". Stopping at the end of the
        range would count a thread answered the day after as still running."""
        now = now or timezone.now()
        run = cls(
            draft=draft,
            since=since,
            until=until,
            now=now,
            subjects=subject_policy_ids(draft),
            version=configuration_version(),
            total=0,
        )
        run.total = run._threads().count()
        return run

    @property
    def finished(self) -> bool:
        return self.stale or self.done >= self.total

    def _threads(self):
        """Threads opened in the range that a subject policy was matched to at some time, as
        recorded (also those an escalation or a change moved to another policy since)."""
        matched = SlaEvent.objects.filter(
            thread=OuterRef("pk"),
            kind=EventKind.POLICY_MATCHED,
            at__gte=self.since,
            details__policy_id__in=self.subjects,
        )
        return Thread.objects.filter(
            Q(policy_id__in=self.subjects) | Exists(matched),
            created_at__gte=self.since,
            created_at__lt=self.until,
            created_at__lte=self.now,
        )

    def advance(self, *, seconds: float | None = None) -> None:
        """Replay chunks until the run is finished or `seconds` have passed (None: finish)."""
        if self.finished:
            return
        if configuration_version() != self.version:
            self.stale = True  # someone saved the configuration: both columns would mix versions
            return
        started = monotonic_time.monotonic()
        book = ReplayBook.of(PolicyBook.load())
        draft = draft_book(book, self.draft)
        subjects = set(self.subjects)
        names = set(SlaPolicy.objects.filter(pk__in=subjects).values_list("name", flat=True))
        while not self.finished:
            ids = list(
                self._threads()
                .filter(pk__gt=self.cursor)
                .order_by("pk")
                .values_list("pk", flat=True)[:CHUNK]
            )
            if not ids:
                self.total = self.done  # threads deleted meanwhile
                break
            self._replay_chunk(ids, book, draft, subjects, names)
            self.cursor = ids[-1]
            self.done = min(self.done + len(ids), self.total)
            if len(ids) < CHUNK:
                self.done = self.total
            if seconds is not None and monotonic_time.monotonic() - started >= seconds:
                break

    def _replay_chunk(self, ids, book, draft, subjects, names) -> None:
        recorded = recorded_outcomes(ids, subjects, names)
        for history in load_histories(ids, self.now):
            now_work = replay(history, book, self.now)
            now_states, now_warnings = outcomes(now_work, subjects)
            if now_work.matched & subjects:
                draft_states, draft_warnings = outcomes(replay(history, draft, self.now), subjects)
            else:  # no draft policy ever matched: the draft replay would be the same
                draft_states, draft_warnings = now_states, now_warnings
            as_recorded = recorded.get(history.thread_id, {})
            self._count("now", now_states, now_warnings)
            self._count("draft", draft_states, draft_warnings)
            self._count("recorded", as_recorded, Counter())
            for metric in Metric.values:
                before, after = now_states.get(metric, []), draft_states.get(metric, [])
                if before != after:
                    self.changed += 1
                    if len(self.changes) < MAX_CHANGES:
                        self.changes.append(
                            [
                                history.thread_id,
                                history.subject[:120],
                                metric,
                                before,
                                after,
                                as_recorded.get(metric, []),
                            ]
                        )

    def _count(self, side: str, states: dict, warnings: Counter) -> None:
        per_metric = self.counts.setdefault(side, {})
        for metric, values in states.items():
            tally = per_metric.setdefault(metric, {})
            for state in values:
                bucket = _BUCKET[state]
                tally[bucket] = tally.get(bucket, 0) + 1
        for metric, n in warnings.items():
            tally = per_metric.setdefault(metric, {})
            tally["warnings"] = tally.get("warnings", 0) + n

    # ------------------------------------------------------------------ reading the result

    def rows(self) -> list[MetricRow]:
        rows = []
        for metric in Metric:
            sides = {
                side: Tally(**self.counts.get(side, {}).get(metric.value, {}))
                for side in ("now", "draft", "recorded")
            }
            if any(vars(t) != vars(Tally()) for t in sides.values()):
                rows.append(MetricRow(metric=metric.value, label=metric.label, **sides))
        return rows

    def change_list(self) -> list[Change]:
        labels = dict(Metric.choices)
        return [
            Change(
                thread_id=pk,
                subject=subject,
                metric=metric,
                label=labels.get(metric, metric),
                now=now,
                draft=draft,
                recorded=recorded,
            )
            for pk, subject, metric, now, draft, recorded in self.changes
        ]

    def to_json(self) -> dict:
        return {
            "draft": self.draft.to_json(),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "now": self.now.isoformat(),
            "subjects": self.subjects,
            "version": self.version,
            "total": self.total,
            "done": self.done,
            "cursor": self.cursor,
            "counts": self.counts,
            "changes": self.changes,
            "changed": self.changed,
            "stale": self.stale,
        }

    @classmethod
    def from_json(cls, data: dict) -> "WhatIfRun":
        data = dict(data)
        if "fingerprint" in data:  # kept by a release before the configuration version: stale
            del data["fingerprint"]
            data["version"] = -1
        return cls(
            **{
                **data,
                "draft": Draft.from_json(data["draft"]),
                "since": parse_datetime(data["since"]),
                "until": parse_datetime(data["until"]),
                "now": parse_datetime(data["now"]),
            }
        )


def states_text(states: list[str]) -> str:
    """ "breached, achieved" for a metric's clocks in start order; "no clock" when none started."""
    return ", ".join(ClockState(s).label.lower() for s in states) or "no clock"


def whatif(*, draft: Draft, since: datetime, until: datetime, now=None) -> WhatIfRun:
    """Run a what-if to the end in one call (tests, the bench, a shell)."""
    run = WhatIfRun.start(draft=draft, since=since, until=until, now=now)
    run.advance()
    return run


# --------------------------------------------------------------------------- applying


@dataclass
class Applied:
    changes: list[str]
    policies: list[SlaPolicy]
    reapplied: int | None = None  # running clocks retargeted, None = not asked


def draft_apply(
    *, draft: Draft, reapply: bool = False, actor=None, version: int | None = None
) -> Applied:
    """Write the draft: clocks started from now on follow it. With `reapply`, the policies'
    running clocks take it too (threads.services.policy_reapply); finished clocks never change.

    `version` is the configuration the what-if ran against: if anything was saved since, the
    figures the manager saw no longer hold, and nothing is written (DraftStale)."""
    from threads.services import policy_reapply

    with transaction.atomic():
        if version is not None and configuration_version() != version:
            raise DraftStale(
                "The configuration changed since this what-if ran (someone saved a policy or a "
                "calendar). Run the what-if again before applying."
            )
        changes = draft_changes(draft)
        if draft.policy_id:
            policy_times_set(
                policy_id=draft.policy_id, targets=draft.targets, thresholds=draft.thresholds
            )
        if draft.calendar_id:
            calendar_days_set(
                calendar_id=draft.calendar_id,
                weekly=draft.weekly,
                holidays_added=draft.holidays_added,
                holidays_removed=draft.holidays_removed,
            )
        policies = list(SlaPolicy.objects.filter(pk__in=subject_policy_ids(draft)))
    applied = Applied(changes=changes, policies=policies)
    if reapply:
        # Each thread is its own transaction in policy_reapply, after the new configuration is in.
        applied.reapplied = sum(policy_reapply(policy=p, actor=actor) for p in policies)
    return applied
