"""The SLA evaluator: finds the clocks whose warning, due time or escalation has come, through
partial indexes, and moves them under the thread's row lock in batches.

Its cost follows the number of due clocks, not the number of running ones: it never touches a
clock that is not due, and does no calendar maths except for clocks that move.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from policies.vocabulary import Metric
from threads.clockwork import Clockwork, PolicyBook
from threads.models import RUNNING_STATES, ClockState, SlaClock, Thread

log = logging.getLogger(__name__)


@dataclass
class EvaluationReport:
    threads: int = 0
    events: int = 0
    deliveries: int = 0
    skipped_locked: int = 0
    failed: int = 0


def due_thread_ids(now: datetime, limit: int) -> list[int]:
    """Threads with a clock whose next warning, due time or escalation has passed.

    Three small queries, each served by its partial index, instead of one OR that scans."""
    running = SlaClock.objects.filter(paused=False)
    queries = [
        running.filter(state=ClockState.PENDING, warn_at__isnull=False, warn_at__lt=now).order_by(
            "warn_at"
        ),
        running.filter(
            state__in=[ClockState.PENDING, ClockState.IMMINENT_BREACH], due_at__lt=now
        ).order_by("due_at"),
        running.filter(
            state=ClockState.BREACHING, escalate_at__isnull=False, escalate_at__lte=now
        ).order_by("escalate_at"),
    ]
    ids: dict[int, None] = {}
    for query in queries:
        for thread_id in query.values_list("thread_id", flat=True)[:limit]:
            ids[thread_id] = None
    return list(ids)[:limit]


def evaluate(
    *, now: datetime | None = None, limit: int = 5000, batch: int = 200
) -> EvaluationReport:
    """One tick: every due clock moves once, with its events and outbox rows."""
    now = now or timezone.now()
    report = EvaluationReport()
    thread_ids = due_thread_ids(now, limit)
    if not thread_ids:
        return report
    book = PolicyBook.load()
    for start in range(0, len(thread_ids), batch):
        chunk = thread_ids[start : start + batch]
        try:
            _evaluate_batch(chunk, now, book, report)
        except Exception:  # one bad thread must not stop the others: retry them one by one
            log.exception("evaluator batch failed; retrying its threads one by one")
            for thread_id in chunk:
                try:
                    _evaluate_batch([thread_id], now, book, report)
                except Exception:
                    report.failed += 1
                    log.exception("evaluator: thread %s failed", thread_id)
    return report


def _evaluate_batch(thread_ids: list[int], now: datetime, book, report: EvaluationReport) -> None:
    from threads.models import Delivery
    from threads.services import _save_all

    with transaction.atomic():
        locking = Thread.objects.select_related("account", "policy")
        if connection.features.has_select_for_update_skip_locked:
            # Another worker (or a reply being saved) holds the thread: it is theirs this tick.
            locking = locking.select_for_update(skip_locked=True, of=("self",))
        threads = {t.pk: t for t in locking.filter(pk__in=thread_ids)}
        report.skipped_locked += len(thread_ids) - len(threads)
        clocks: dict[int, list[SlaClock]] = {pk: [] for pk in threads}
        for clock in (
            SlaClock.objects.filter(thread_id__in=threads)
            .filter(Q(state__in=RUNNING_STATES) | Q(metric=Metric.RESOLUTION))
            .select_related("calendar", "policy")
            .order_by("started_at", "id")
        ):
            clock.thread = threads[clock.thread_id]
            clocks[clock.thread_id].append(clock)
        works = []
        for thread_id, thread in threads.items():
            work = Clockwork(thread=thread, clocks=clocks[thread_id], book=book)
            work.catch_up(now)  # re-read under the lock: a clock already moved does nothing
            if work.events or work.dirty:
                works.append(work)
        before = Delivery.objects.count() if log.isEnabledFor(logging.DEBUG) else 0
        _save_all(works)
        report.threads += len(works)
        report.events += sum(len(w.events) for w in works)
        if before:
            report.deliveries += Delivery.objects.count() - before
