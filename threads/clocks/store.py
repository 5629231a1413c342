"""Where clock work is read from and written to: lock a thread, load its clocks into a
`Clockwork`, and save what the rules touched (thread fields, clocks, events, outbox rows) for
one thread or a batch with a few statements. Every writer of clock state goes through here.
"""

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from policies.models import Calendar, SlaPolicy
from threads.bulk import by_copy, create_rows, insert_rows, together, update_rows
from threads.clocks import locked
from threads.clocks.book import PolicyBook
from threads.clocks.outcome import COUNTED_FIELDS, record_changes
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
    "original_due_at",
    "override_due_at",
    "overridden_by",
    "overridden_at",
    "override_reason",
    "missed_at",
    "attribution",
    "reopens",
    *COUNTED_FIELDS,
]
# Written only when a touched clock's attribution changed (Clockwork.attributed).
ATTRIBUTION_FIELDS = ("attribution", "reopens")


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
    """The clocks the rules need: the running ones and the thread's resolution clocks."""
    return (
        SlaClock.objects.filter(
            Q(state__in=RUNNING_STATES) | Q(metric__in=locked.RESOLUTION_METRICS)
        )
        .select_related("calendar", "policy")
        .order_by("started_at", "id")
    )


def book_of(thread: Thread) -> PolicyBook:
    """The book a `load` of this locked thread will read (no query while the configuration
    version read with the lock is the one cached)."""
    read = thread.__dict__.get("_locked_clocks")
    return PolicyBook.load(read[1] if read is not None else None)


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
    """Lock a batch of threads and load their clocks (and the threads' accounts) in a few
    queries. Threads another worker (or a reply being saved) holds are skipped where the database
    can: returns the works and how many were skipped.

    The related rows are read once each, not joined to every thread and clock: the policies and
    calendars come from the book (the configuration as of this batch), the accounts from one
    query; a thousand copies of the same few rows cost more to build than to read."""
    locking = Thread.objects.order_by()
    if connection.features.has_select_for_update_skip_locked:
        locking = locking.select_for_update(skip_locked=True)
    threads = {t.pk: t for t in locking.filter(pk__any_of=thread_ids)}
    accounts = Account.objects.in_bulk({t.account_id for t in threads.values()} - {None})
    thread_account = Thread.account.field
    for thread in threads.values():
        if thread.account_id is not None:
            thread_account.set_cached_value(thread, accounts.get(thread.account_id))
    clocks: dict[int, list[SlaClock]] = {pk: [] for pk in threads}
    rows = list(_clock_rows().select_related(None).filter(thread_id__any_of=list(threads)))
    _attach_configuration(book, list(threads.values()), rows)
    clock_thread = SlaClock.thread.field
    for clock in rows:
        clock_thread.set_cached_value(clock, threads[clock.thread_id])
        clocks[clock.thread_id].append(clock)
    works = [Clockwork(thread=t, clocks=clocks[pk], book=book) for pk, t in threads.items()]
    return works, len(thread_ids) - len(threads)


def _attach_configuration(book: PolicyBook, threads: list[Thread], clocks: list[SlaClock]) -> None:
    """Give each thread its policy and each clock its policy and calendar, as the joins of
    `load` would: from the book, and one query each for those it does not hold (a policy
    deactivated since the clock started, a calendar no active policy uses)."""
    policies = {p.pk: p for p in book.policies}
    calendars = {p.calendar_id: p.calendar for p in book.policies if p.calendar_id}
    wanted = {t.policy_id for t in threads} | {c.policy_id for c in clocks}
    missing = wanted - policies.keys() - {None}
    if missing:
        policies.update(SlaPolicy.objects.in_bulk(missing))
    missing = {c.calendar_id for c in clocks} - calendars.keys() - {None}
    if missing:
        calendars.update(Calendar.objects.in_bulk(missing))
    # The keys are already right: only the related objects are cached, as a join would.
    thread_policy = Thread.policy.field
    clock_policy, clock_calendar = SlaClock.policy.field, SlaClock.calendar.field
    for thread in threads:
        if thread.policy_id is not None:
            thread_policy.set_cached_value(thread, policies.get(thread.policy_id))
    for clock in clocks:
        if clock.policy_id is not None:
            clock_policy.set_cached_value(clock, policies.get(clock.policy_id))
        if clock.calendar_id is not None:
            clock_calendar.set_cached_value(clock, calendars.get(clock.calendar_id))


def save(works: list[Clockwork]) -> None:
    """Write what the rules touched, for one thread or a batch, with a few statements, and the
    outbox rows for the new events in the same transaction (delivery starts on commit)."""
    from threads.alerting.outbox import record_alerts

    events = [e for w in works for e in w.events]
    # What the clocks count as was settled after every action (Clockwork.apply).
    changed_instants = [i for w in works for i in w.count_changes]
    # Threads, clocks and events in one round trip where the database allows (the inserts'
    # fetch of their new keys waits for the updates sent before them). Many clocks or events go
    # by COPY, which psycopg's pipeline cannot carry: the clocks before it, the events after.
    touched = [c for w in works for c in w.clocks if c.pk is not None and c.pk in w.dirty]
    attributed = any(w.attributed for w in works)
    fields = [f for f in CLOCK_FIELDS if attributed or f not in ATTRIBUTION_FIELDS]
    clocks_by_copy, events_by_copy = by_copy(len(touched)), by_copy(len(events))
    if clocks_by_copy:
        update_rows(SlaClock, touched, fields)
    with together():
        save_threads(works)
        if touched and not clocks_by_copy:
            update_rows(SlaClock, touched, fields)
        created = [c for w in works for c in w.created]
        if created:
            SlaClock.objects.bulk_create(created)
        if not events_by_copy:
            create_rows(SlaEvent, events)
    if events_by_copy:
        create_rows(SlaEvent, events)
    record_changes(changed_instants)
    if events:
        record_alerts([w for w in works if w.events])


def save_threads(works: list[Clockwork]) -> None:
    """The thread fields the rules set, one UPDATE per set of fields (usually one for a batch)
    instead of a save per thread."""
    changed: dict[tuple, list[Thread]] = {}
    for work in works:
        if work.thread_fields:
            names = {Thread._meta.get_field(name).name for name in work.thread_fields}
            changed.setdefault(tuple(sorted(names | {"updated_at"})), []).append(work.thread)
    now = timezone.now()
    for fields, threads in changed.items():
        for thread in threads:
            thread.updated_at = now  # auto_now, which an UPDATE of many rows does not apply
        update_rows(Thread, threads, list(fields))


def insert(works: list[Clockwork], messages: list[Message]) -> None:
    """Write imported threads (new, unsaved) with their messages, clocks and events: parents
    first, so each child row picks up its parent's key. History, so no outbox rows."""
    insert_rows(Thread, [w.thread for w in works])
    insert_rows(Message, messages)
    insert_rows(SlaClock, [c for w in works for c in w.created])
    insert_rows(SlaEvent, [e for w in works for e in w.events])
