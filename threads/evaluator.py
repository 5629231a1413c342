"""The SLA evaluator: finds the clocks whose warning, due time or escalation has come, through
partial indexes, and moves them under the thread's row lock in batches.

Its cost follows the number of due clocks, not the number of running ones: it never touches a
clock that is not due, and does no calendar maths except for clocks that move.
"""

import gc
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from slaops.metrics.instruments import clock_events_recorded
from slaops.request_ids import about_thread
from threads.clocks import store
from threads.clocks.actions import TimePassed
from threads.clocks.book import PolicyBook
from threads.models import ClockState, SlaClock

log = logging.getLogger(__name__)


@dataclass
class EvaluationReport:
    threads: int = 0
    events: int = 0
    deliveries: int = 0
    skipped_locked: int = 0
    failed: int = 0


def _due_doors(now: datetime) -> list[tuple]:
    """The evaluator's four doors, each served by its partial index: (query, instant field)."""
    running = SlaClock.objects.filter(paused=False)
    waiting = [ClockState.PENDING, ClockState.IMMINENT_BREACH]
    return [
        (running.filter(state__in=waiting, warn_at__isnull=False, warn_at__lt=now), "warn_at"),
        (running.filter(state__in=waiting, due_at__lt=now), "due_at"),
        (
            running.filter(
                state=ClockState.BREACHING, escalate_at__isnull=False, escalate_at__lte=now
            ),
            "escalate_at",
        ),
        # A moved clock past its policy's due time: a miss for objectives (no alert).
        (
            running.filter(
                state__in=waiting,
                override_due_at__isnull=False,
                missed_at__isnull=True,
                original_due_at__lt=now,
            ),
            "original_due_at",
        ),
    ]


def due_thread_ids(now: datetime, limit: int) -> list[int]:
    """Threads with a clock whose next warning, due time or escalation has passed.

    Four small queries, each served by its partial index, instead of one OR that scans."""
    ids: dict[int, None] = {}
    for query, instant in _due_doors(now):
        for thread_id in query.order_by(instant).values_list("thread_id", flat=True)[:limit]:
            ids[thread_id] = None
    return list(ids)[:limit]


def due_instants(now: datetime) -> list[datetime | None]:
    """The earliest passed instant at each door (None where nothing waits): the evaluator's lag
    is how long ago the earliest of them was."""
    return [
        query.order_by(instant).values_list(instant, flat=True).first()
        for query, instant in _due_doors(now)
    ]


def evaluate(
    *, now: datetime | None = None, limit: int = 5000, batch: int = 1000
) -> EvaluationReport:
    """One tick: every due clock moves once, with its events and outbox rows.

    A batch is one transaction: its threads stay locked until its commit (a reply on one of
    them waits that long), and each commit waits for its WAL flush. A thousand threads take
    about 0.1-0.2 s; smaller batches would cost a commit and a round trip per statement more
    for each (about 6 ms per 200 threads)."""
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
                with about_thread(thread_id):
                    try:
                        _evaluate_batch([thread_id], now, book, report)
                    except Exception:
                        report.failed += 1
                        log.exception("evaluator: thread %s failed", thread_id)
    return report


@contextmanager
def _collector_paused():
    """A batch allocates some hundred thousand objects (rows, models, events) that reference
    counting frees when it ends; meanwhile the cyclic garbage collector would walk the whole
    heap several times over (~15 ms of a thousand-thread batch). It is paused for the batch
    and runs as usual after it, collecting any cycle the batch left."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _evaluate_batch(thread_ids: list[int], now: datetime, book, report: EvaluationReport) -> None:
    with _collector_paused():
        _evaluate_locked(thread_ids, now, book, report)


def _evaluate_locked(thread_ids: list[int], now: datetime, book, report: EvaluationReport) -> None:
    from threads.models import Delivery

    with transaction.atomic():
        works, skipped = store.lock_batch(thread_ids, book)
        report.skipped_locked += skipped
        moved = []
        for work in works:
            # Re-read under the lock: a clock already moved does nothing.
            work.apply(TimePassed(now))
            if work.events or work.dirty:
                moved.append(work)
        before = Delivery.objects.count() if log.isEnabledFor(logging.DEBUG) else 0
        store.save(moved)
        report.threads += len(moved)
        report.events += sum(len(w.events) for w in moved)
        if before:
            report.deliveries += Delivery.objects.count() - before
    # Committed: the warnings and breaches count once (a batch retried thread by thread
    # counts only what it then commits). A failure to count is logged, not raised: the batch
    # is done, and raising would have it "retried" thread by thread for nothing.
    try:
        clock_events_recorded(e for w in moved for e in w.events)
    except Exception:
        log.exception("evaluator: counting the batch's warnings and breaches failed")
