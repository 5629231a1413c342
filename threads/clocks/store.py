"""Where clock work is read from and written to: lock a thread, load its clocks into a
`Clockwork`, and save what the rules touched (thread fields, clocks, events, outbox rows) for
one thread or a batch with a few statements. Every writer of clock state goes through here.
"""

from django.db import connection
from django.db.models import Q

from policies.vocabulary import Metric
from threads.bulk import check_updated, insert_rows, together, update_fields, update_rows
from threads.clocks import locked
from threads.clocks.book import PolicyBook
from threads.clocks.rules import Clockwork
from threads.models import RUNNING_STATES, Message, SlaClock, SlaEvent, Thread

# Everything the rules may change on a clock after it started.
CLOCK_FIELDS = [
    "policy",
    "target",
    "target_duration",
    "calendar",
    "zone",
    "warnings",
    "warnings_passed",
    "used",
    "running_since",
    "paused",
    "ever_paused",
    "warn_at",
    "due_at",
    "state",
    "stopped_at",
    "breached_at",
    "escalations",
    "escalations_fired",
    "escalate_at",
    "paused_at",
    "paused_for",
    "holder",
]


def lock(thread: Thread | int, *, within=None) -> Thread:
    """The thread's row, locked until the transaction ends (concurrent changes queue here).

    Its clocks and the configuration version are read in the same round trip (clocks/locked.py)
    and kept on it for the next `load`. `within`, the threads the caller may change, is checked
    by the lock: a thread outside it is `Thread.DoesNotExist`, as a missing one is."""
    thread_id = thread.pk if isinstance(thread, Thread) else thread
    thread, clocks, version = locked.read(thread_id, within)
    thread._locked_clocks = (clocks, version)
    return thread


def _clock_rows():
    """The clocks the rules need: the running ones and the thread's resolution clock."""
    return (
        SlaClock.objects.filter(Q(state__in=RUNNING_STATES) | Q(metric=Metric.RESOLUTION))
        .select_related("calendar", "policy")
        .order_by("started_at", "id")
    )


def load(thread: Thread, *, actor=None, via: str = "", book: PolicyBook | None = None) -> Clockwork:
    """The rules for one locked thread. `via` names what the change came through when that is
    not (only) the actor, e.g. an integration key's label; every event of the change keeps it."""
    read = thread.__dict__.pop("_locked_clocks", None)  # read with the lock, still current
    if read is None:
        clocks, version = list(_clock_rows().filter(thread=thread)), None
    else:
        clocks, version = read
    return Clockwork(
        thread=thread,
        clocks=clocks,
        book=book or PolicyBook.load(version),
        actor=actor,
        via=via,
    )


def fresh(thread: Thread, *, actor=None, via: str = "", book=None, historical=False) -> Clockwork:
    """The rules for a thread that has no clocks yet (being opened or imported)."""
    return Clockwork(
        thread=thread,
        clocks=[],
        book=book or PolicyBook.load(),
        actor=actor,
        via=via,
        historical=historical,
    )


def lock_batch(thread_ids: list[int], book: PolicyBook) -> tuple[list[Clockwork], int]:
    """Lock a batch of threads and load their clocks in two queries. Threads another worker
    (or a reply being saved) holds are skipped where the database can: returns the works and
    how many were skipped."""
    locking = Thread.objects.select_related("account", "policy")
    if connection.features.has_select_for_update_skip_locked:
        locking = locking.select_for_update(skip_locked=True, of=("self",))
    threads = {t.pk: t for t in locking.filter(pk__in=thread_ids)}
    clocks: dict[int, list[SlaClock]] = {pk: [] for pk in threads}
    for clock in _clock_rows().filter(thread_id__in=threads):
        clock.thread = threads[clock.thread_id]
        clocks[clock.thread_id].append(clock)
    works = [Clockwork(thread=t, clocks=clocks[pk], book=book) for pk, t in threads.items()]
    return works, len(thread_ids) - len(threads)


def save(works: list[Clockwork]) -> None:
    """Write what the rules touched, for one thread or a batch, with a few statements, and the
    outbox rows for the new events in the same transaction (delivery starts on commit)."""
    from threads.alerting.outbox import record_alerts

    # Threads, clocks and events in one round trip where the database allows: the inserts'
    # fetch of their new keys waits for the updates sent before them.
    updates = []
    with together():
        for work in works:
            if work.thread_fields:
                names = sorted(work.thread_fields | {"updated_at"})
                updates.append(update_fields(work.thread, names))
        touched = [c for w in works for c in w.clocks if c.pk is not None and c.pk in w.dirty]
        if touched:
            update_rows(SlaClock, touched, CLOCK_FIELDS)
        created = [c for w in works for c in w.created]
        if created:
            SlaClock.objects.bulk_create(created)
        events = [e for w in works for e in w.events]
        if events:
            SlaEvent.objects.bulk_create(events, batch_size=1000)
    for cursor in updates:
        check_updated(cursor)
    if events:
        record_alerts([w for w in works if w.events])


def insert(works: list[Clockwork], messages: list[Message]) -> None:
    """Write imported threads (new, unsaved) with their messages, clocks and events: parents
    first, so each child row picks up its parent's key. History, so no outbox rows."""
    insert_rows(Thread, [w.thread for w in works])
    insert_rows(Message, messages)
    insert_rows(SlaClock, [c for w in works for c in w.created])
    insert_rows(SlaEvent, [e for w in works for e in w.events])
