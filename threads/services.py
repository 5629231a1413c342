"""One door for every change to a thread: API, pages, admin actions and the importer call these.

Each service locks the thread row, lets the clock rules (clockwork.py) act, and writes the thread,
its clocks and their events in one transaction.
"""

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, Contact, normalise_email
from accounts.services import account_for_email, contact_upsert
from policies.models import SlaPolicy, Tier
from policies.vocabulary import Channel, Metric, Priority, ThreadStatus
from threads.bulk import update_rows
from threads.clockwork import Clockwork, PolicyBook
from threads.models import (
    CLOSED_STATUSES,
    RUNNING_STATES,
    EventKind,
    Message,
    SlaClock,
    SlaEvent,
    Thread,
)

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
REMATCH_FIELDS = ("priority", "channel", "team", "tier")


class ThreadError(Exception):
    """A change that breaks a rule; `field` names what to fix.

    Not a ValueError: callers that turn a ValueError into "no such thread" (a malformed id) must
    not swallow a broken rule too."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# No support thread is older than this: a year such as 1 is a typing error, refused before it
# reaches the business-time engine (a year such as 9999 is refused as being in the future).
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def _skew_text(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"


def _shown(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds" if at.microsecond else "seconds")


def time_problem(
    at: datetime, *, not_before: datetime | None = None, now: datetime | None = None
) -> str:
    """Why a time given for a change cannot go on the record ("" if it can).

    A change may not be dated before its thread was opened (`not_before`), nor more than
    SLA_MAX_CLOCK_SKEW_SECONDS after the server's clock, nor before 2000. The importer checks
    its lines with the same rule."""
    if timezone.is_naive(at):
        return "Times need a UTC offset, e.g. 2026-11-27T16:30:00+01:00."
    if at < EARLIEST_TIME:
        return f"{_shown(at)} is before 2000-01-01: no support thread is that old."
    skew = settings.SLA_MAX_CLOCK_SKEW_SECONDS
    if at > (now or timezone.now()) + timedelta(seconds=skew):
        return (
            f"{_shown(at)} is in the future (more than {_skew_text(skew)} ahead of the "
            "server's clock): a change is recorded when it happens, not before."
        )
    if not_before is not None and at < not_before:
        return (
            f"{_shown(at)} is before the thread was opened ({_shown(not_before)}): "
            "nothing can happen to a thread before it exists."
        )
    return ""


def _now(at: datetime | None, *, field: str = "at", thread: Thread | None = None) -> datetime:
    """The instant of a change: `at` as given (checked by `time_problem`, refused on the field
    that carried it), or now. Now is never before the thread's own opening, which an
    integration's clock may have put up to the allowed skew ahead of ours."""
    opened = thread.created_at if thread is not None else None
    if at is None:
        now = timezone.now()
        return max(now, opened) if opened is not None else now
    problem = time_problem(at, not_before=opened)
    if problem:
        raise ThreadError(field, problem)
    return at


def _lock(thread: Thread | int) -> Thread:
    thread_id = thread.pk if isinstance(thread, Thread) else thread
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("account", "policy")
        .get(pk=thread_id)
    )


def _clocks(thread: Thread) -> list[SlaClock]:
    return list(
        thread.clocks.filter(Q(state__in=RUNNING_STATES) | Q(metric=Metric.RESOLUTION))
        .select_related("calendar", "policy")
        .order_by("started_at", "id")
    )


def _work(
    thread: Thread, *, actor=None, via: str = "", book: PolicyBook | None = None
) -> Clockwork:
    """The rules for one locked thread. `via` names what the change came through when that is
    not (only) the actor, e.g. an integration key's label; every event of the change keeps it."""
    return Clockwork(
        thread=thread,
        clocks=_clocks(thread),
        book=book or PolicyBook.load(),
        actor=actor,
        via=via,
    )


def _save(work: Clockwork) -> None:
    _save_all([work])


def _save_all(works: list[Clockwork]) -> None:
    """Write what the rules touched, for one thread or a batch of them, with a few statements."""
    for work in works:
        if work.thread_fields:
            work.thread.save(update_fields=sorted(work.thread_fields | {"updated_at"}))
    touched = [c for w in works for c in w.clocks if c.pk is not None and c.pk in w.dirty]
    if touched:
        update_rows(SlaClock, touched, CLOCK_FIELDS)
    created = [c for w in works for c in w.created]
    if created:
        SlaClock.objects.bulk_create(created)
    events = [e for w in works for e in w.events]
    if events:
        SlaEvent.objects.bulk_create(events, batch_size=1000)
        _alert_all([w for w in works if w.events])


def _alert_all(works: list[Clockwork]) -> None:
    """Outbox rows for the new events, in the same transaction; delivery starts on commit."""
    from threads.alerting.outbox import outbox_for, save_outbox

    policies = {p.pk: p for p in works[0].book.policies}
    missing = {
        e.clock.policy_id
        for w in works
        for e in w.events
        if e.clock is not None and e.clock.policy_id and e.clock.policy_id not in policies
    }
    if missing:  # a clock of a policy deactivated since it started still alerts by its rules
        policies.update(
            (p.pk, p)
            for p in SlaPolicy.objects.filter(pk__in=missing).prefetch_related("rules__channels")
        )
    cache: dict = {}
    all_deliveries, all_notifications = [], []
    for work in works:
        deliveries, notifications = outbox_for(work.events, work.thread, policies, cache)
        all_deliveries.extend(deliveries)
        all_notifications.extend(notifications)
    save_outbox(all_deliveries, all_notifications)
    if all_deliveries:
        transaction.on_commit(_kick_delivery)


def _kick_delivery() -> None:
    # Start delivering now rather than at the next scheduled run (the schedule still retries).
    from django.conf import settings

    if settings.SLA_DELIVER_ON_COMMIT:
        from django_q.tasks import async_task

        # A broker hiccup must never fail a write: the scheduled run delivers anyway.
        with contextlib.suppress(Exception):
            async_task("threads.tasks.deliver", task_name="sla-deliver-now", group="sla-deliver")


@dataclass
class Created:
    thread: Thread
    created: bool


@transaction.atomic
def thread_create(
    *,
    subject: str,
    first_message: str = "",
    account: Account | None = None,
    contact: Contact | None = None,
    contact_email: str = "",
    contact_name: str | None = None,
    channel: str = Channel.EMAIL,
    priority: str = Priority.NORMAL,
    team=None,
    assignee=None,
    source: str = "api",
    external_id: str = "",
    message_external_id: str = "",
    needs_reply: bool = True,
    created_at: datetime | None = None,
    actor=None,
    via: str = "",
) -> Created:
    """Open a thread with the customer's first message; the same source + external id returns
    the existing thread untouched (idempotent, also when deliveries race): `created` tells which.

    `contact_email` (with `contact_name`) finds or creates the contact, only for a new thread;
    the thread's account is then `account`, the contact's, or the one that claims the e-mail's
    domain."""
    if external_id:
        existing = Thread.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return Created(existing, False)
    try:
        with transaction.atomic():  # a savepoint: a racing duplicate must not spoil the caller
            return _thread_create(
                subject=subject,
                first_message=first_message,
                account=account,
                contact=contact,
                contact_email=contact_email,
                contact_name=contact_name,
                channel=channel,
                priority=priority,
                team=team,
                assignee=assignee,
                source=source,
                external_id=external_id,
                message_external_id=message_external_id,
                needs_reply=needs_reply,
                created_at=created_at,
                actor=actor,
                via=via,
            )
    except IntegrityError:
        # Two deliveries of one external thread raced and the other one won: same answer as if
        # this one had come second.
        existing = Thread.objects.filter(source=source, external_id=external_id).first()
        if not external_id or existing is None:
            raise
        return Created(existing, False)


def _contact_for(email: str, name: str | None, account: Account | None):
    """The contact who wrote and the thread's account. Opening a thread never rewrites who a
    known contact is (their name, or an account they already belong to: that would change the
    tier and so the SLA); a new contact joins the given account or the one that claims the
    e-mail's domain."""
    email = normalise_email(email)
    contact = Contact.objects.filter(email=email).select_related("account").first()
    if contact is not None and contact.account_id is not None:
        if account is not None and account.pk != contact.account_id:
            raise ThreadError(
                "account",
                f"{email} belongs to the account “{contact.account}”: leave account out, or "
                "move the contact in the admin first.",
            )
        return contact, contact.account
    account = account or account_for_email(email)
    if contact is None:
        contact, _ = contact_upsert(email=email, name=name, account=account)
    elif account is not None:
        contact, _ = contact_upsert(email=email, account=account)
    return contact, account


def _thread_create(
    *,
    subject,
    first_message,
    account,
    contact,
    contact_email,
    contact_name,
    channel,
    priority,
    team,
    assignee,
    source,
    external_id,
    message_external_id,
    needs_reply,
    created_at,
    actor,
    via,
) -> Created:
    at = _now(created_at, field="created_at")
    if contact is None and contact_email:
        contact, account = _contact_for(contact_email, contact_name, account)
    if account is None and contact is not None:
        account = contact.account
    thread = Thread.objects.create(
        subject=subject.strip() or "(no subject)",
        account=account,
        contact=contact,
        channel=channel,
        priority=priority,
        team=team,
        assignee=assignee,
        source=source,
        external_id=external_id,
        created_at=at,
    )
    thread = _lock(thread)
    work = Clockwork(thread=thread, clocks=[], book=PolicyBook.load(), actor=actor, via=via)
    work.opened(at)
    Message.objects.create(
        thread=thread,
        author_kind=Message.Author.CUSTOMER,
        contact=contact,
        body=first_message,
        needs_reply=needs_reply,
        created_at=at,
        external_id=message_external_id,
    )
    work.customer_wrote(at, needs_reply=needs_reply, automatic=False)
    _save(work)
    return Created(thread, True)


def _add_message(thread: Thread, external_id: str, created_at, **fields):
    """Store a message on a locked thread; a repeated external id returns (existing, None).

    The thread's row lock makes the look-up and the insert one step for concurrent deliveries."""
    if external_id:
        existing = thread.messages.filter(external_id=external_id).first()
        if existing is not None:
            return existing, None
    at = _now(created_at, field="created_at", thread=thread)
    message = Message.objects.create(
        thread=thread, created_at=at, external_id=external_id, **fields
    )
    return message, at


@transaction.atomic
def message_receive(
    *,
    thread: Thread | int,
    body: str = "",
    contact: Contact | None = None,
    needs_reply: bool = True,
    automatic: bool = False,
    created_at: datetime | None = None,
    external_id: str = "",
    via: str = "",
) -> tuple[Message, bool]:
    """A customer message arrives. Returns (message, created); a repeated external id is a no-op."""
    thread = _lock(thread)
    message, at = _add_message(
        thread,
        external_id,
        created_at,
        author_kind=Message.Author.CUSTOMER,
        contact=contact or thread.contact,
        body=body,
        needs_reply=needs_reply,
        automatic=automatic,
    )
    if at is None:
        return message, False
    work = _work(thread, via=via)
    work.customer_wrote(at, needs_reply=needs_reply, automatic=automatic)
    _save(work)
    return message, True


@transaction.atomic
def agent_reply(
    *,
    thread: Thread | int,
    author=None,
    body: str = "",
    public: bool = True,
    automatic: bool = False,
    created_at: datetime | None = None,
    external_id: str = "",
    via: str = "",
) -> tuple[Message, bool]:
    """An agent answers (public) or writes an internal note (public=False)."""
    thread = _lock(thread)
    message, at = _add_message(
        thread,
        external_id,
        created_at,
        author_kind=Message.Author.SYSTEM if automatic and author is None else Message.Author.AGENT,
        author_user=author,
        body=body,
        public=public,
        automatic=automatic,
    )
    if at is None:
        return message, False
    work = _work(thread, actor=author, via=via)
    work.agent_wrote(at, public=public, automatic=automatic)
    _save(work)
    return message, True


@transaction.atomic
def thread_mark_no_reply_needed(
    *, thread: Thread | int, actor=None, reason: str = "", at=None, via: str = ""
) -> Thread:
    """The customer's last message needs no answer: the running response clock is cancelled while
    it has time left; one already past due stops as breached (a breach stays a breach)."""
    thread = _lock(thread)
    when = _now(at, thread=thread)
    work = _work(thread, actor=actor, via=via)
    work.no_reply_needed(when, reason=reason.strip())
    _save(work)
    return thread


@transaction.atomic
def thread_set_status(
    *, thread: Thread | int, status: str, actor=None, reason: str = "", at=None, via: str = ""
) -> Thread:
    if status not in ThreadStatus.values:
        raise ThreadError("status", f"Unknown status '{status}'; use one of {ThreadStatus.values}.")
    thread = _lock(thread)
    when = _now(at, thread=thread)
    work = _work(thread, actor=actor, via=via)
    policy = work.book.policy(thread.policy_id)
    if policy and status in policy.pause_statuses and not reason.strip():
        raise ThreadError(
            "reason",
            f"Say why the thread is {ThreadStatus(status).label.lower()}: it pauses "
            "resolution time and the reason is kept in the history.",
        )
    work.status_changed(thread.status, status, when, reason=reason.strip())
    _save(work)
    return thread


def thread_resolve(*, thread, actor=None, at=None) -> Thread:
    return thread_set_status(thread=thread, status=ThreadStatus.RESOLVED, actor=actor, at=at)


def thread_reopen(*, thread, actor=None, at=None, reason="reopened") -> Thread:
    return thread_set_status(
        thread=thread, status=ThreadStatus.OPEN, actor=actor, at=at, reason=reason
    )


@transaction.atomic
def thread_update(
    *, thread: Thread | int, actor=None, reason: str = "", at=None, via: str = "", **changes
) -> Thread:
    """Change priority, channel, team, tier or assignee; the first four match the policy again.

    Pass model instances (or None) for team, tier and assignee. A reason, if given, is kept in
    the history with each change."""
    unknown = set(changes) - {*REMATCH_FIELDS, "assignee", "subject"}
    if unknown:
        raise ThreadError(sorted(unknown)[0], "This field cannot be changed here.")
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise ThreadError("priority", f"Unknown priority; use one of {Priority.values}.")
    if "channel" in changes and changes["channel"] not in Channel.values:
        raise ThreadError("channel", f"Unknown channel; use one of {Channel.values}.")
    thread = _lock(thread)
    when = _now(at, thread=thread)
    work = _work(thread, actor=actor, via=via)
    reason = reason.strip()
    why = {"reason": reason} if reason else {}
    rematch = {}
    for name, value in changes.items():
        attname = f"{name}_id" if name in ("team", "tier", "assignee") else name
        new = value.pk if hasattr(value, "pk") else value
        old = getattr(thread, attname)
        if old == new:
            continue
        work.set_thread(**{attname: new})
        if name in REMATCH_FIELDS:
            rematch[name] = (old, new)
        else:
            work.record(EventKind.THREAD_CHANGED, when, field=name, old=old, new=new, **why)
    if rematch:
        work.attributes_changed(rematch, when, reason=reason)
    _save(work)
    return thread


@transaction.atomic
def thread_change(
    *,
    thread: Thread | int,
    status: str | None = None,
    reason: str = "",
    actor=None,
    via: str = "",
    at=None,
    **changes,
) -> Thread:
    """Fields and status changed together (the API's PATCH, the thread admin's form): all of it
    or none of it. Fields first, so a new priority's policy decides whether the status pauses."""
    thread_id = thread.pk if isinstance(thread, Thread) else thread
    who = {"actor": actor, "via": via, "at": at}
    if changes:
        thread = thread_update(thread=thread_id, reason=reason, **who, **changes)
    if status is not None:
        thread = thread_set_status(thread=thread_id, status=status, reason=reason, **who)
    return thread


@transaction.atomic
def account_set_tier(*, account: Account, tier, actor=None, at=None) -> int:
    """Move an account to another tier; its open threads are matched again, all or nothing.
    Returns how many threads were matched again."""
    when = _now(at)
    Account.objects.filter(pk=account.pk).update(tier=tier)
    account.tier = tier
    effective = tier or Tier.default()
    book = PolicyBook.load()
    threads = account.threads.exclude(status__in=CLOSED_STATUSES).values_list("pk", flat=True)
    count = 0
    for thread_id in threads:
        thread = _lock(thread_id)
        if thread.tier_id == (effective.pk if effective else None):
            continue
        work = _work(thread, actor=actor, book=book)
        old = thread.tier_id
        work.set_thread(tier_id=effective.pk if effective else None)
        # A thread opened after the account moved is matched again from its opening.
        work.attributes_changed(
            {"tier": (old, thread.tier_id)},
            max(when, thread.created_at),
            why=f"account {account.name} moved to tier {effective.name if effective else 'none'}",
        )
        _save(work)
        count += 1
    return count


@dataclass
class ReapplyChange:
    thread_id: int
    subject: str
    metric: str
    old_target: object
    new_target: object
    old_due: datetime | None
    new_due: datetime | None
    old_state: str
    new_state: str


def _reapply_threads(policy) -> list[int]:
    return list(
        SlaClock.objects.filter(policy=policy, state__in=RUNNING_STATES)
        .values_list("thread_id", flat=True)
        .distinct()
        .order_by("thread_id")
    )


def _reapply_one(thread: Thread, book: PolicyBook, at: datetime, actor=None):
    work = _work(thread, actor=actor, book=book)
    before = {c.pk: (c.target_duration, c.due_at, c.state) for c in work.clocks if c.is_running}
    work.reapply(max(at, thread.created_at))
    changes = []
    for clock in work.clocks:
        if clock.pk not in before and clock not in work.created:
            continue
        old_target, old_due, old_state = before.get(clock.pk, (None, None, "—"))
        if (old_target, old_due, old_state) != (clock.target_duration, clock.due_at, clock.state):
            changes.append(
                ReapplyChange(
                    thread_id=thread.pk,
                    subject=thread.subject,
                    metric=clock.get_metric_display(),
                    old_target=old_target,
                    new_target=clock.target_duration,
                    old_due=old_due,
                    new_due=clock.due_at,
                    old_state=old_state,
                    new_state=clock.state,
                )
            )
    return work, changes


def policy_reapply_plan(*, policy, at: datetime | None = None) -> list[ReapplyChange]:
    """Dry run: what re-applying the policy to its running clocks would change. Writes nothing."""
    at = _now(at)
    book = PolicyBook.load()
    changes = []
    threads = Thread.objects.select_related("account", "policy").in_bulk(_reapply_threads(policy))
    for thread in threads.values():
        changes.extend(_reapply_one(thread, book, at)[1])
    return changes


def policy_reapply(*, policy, actor=None, at: datetime | None = None) -> int:
    """Apply the policy as it is now to its running clocks (retargeted events); finished clocks
    are untouched. Each thread is its own transaction. Returns the number of clocks changed."""
    at = _now(at)
    book = PolicyBook.load()
    changed = 0
    for thread_id in _reapply_threads(policy):
        with transaction.atomic():
            work, changes = _reapply_one(_lock(thread_id), book, at, actor=actor)
            _save(work)
            changed += len(changes)
    return changed


@transaction.atomic
def thread_catch_up(*, thread: Thread | int, at: datetime | None = None) -> Thread:
    """Record the warnings and breaches of a thread's clocks whose time has passed.

    Not a change anyone makes (nothing reaches it from outside; the evaluator does the same with
    its own clock), so `at` is not held to the bounds of `time_problem`."""
    thread = _lock(thread)
    work = _work(thread)
    work.catch_up(at or timezone.now())
    _save(work)
    return thread
