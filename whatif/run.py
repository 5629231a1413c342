"""A what-if run: the threads of a date range replayed twice, under the policies as they are now
(not as they were) and with the draft, so the two columns differ only by the draft; resumable in
steps and kept as JSON in the manager's session."""

import time as monotonic_time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from policies.models import SlaPolicy
from policies.selectors import configuration_version
from policies.vocabulary import Metric
from threads.clocks.book import PolicyBook
from threads.models import ClockState, EventKind, SlaEvent, Thread
from whatif.book import ReplayBook, draft_book
from whatif.draft import Draft, subject_policy_ids
from whatif.replay import load_histories, outcomes, recorded_outcomes, replay

# Threads replayed per batch of queries.
CHUNK = 500
# Changed outcomes kept for the list (all of them are counted).
MAX_CHANGES = 1000

_BUCKET = {
    ClockState.ACHIEVED: "achieved",
    ClockState.BREACHED: "breached",
    ClockState.CANCELLED: "cancelled",
    ClockState.PENDING: "running",
    ClockState.IMMINENT_BREACH: "running",
    ClockState.BREACHING: "breaching",
}


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
