"""One door for every change to a thread: API, pages, admin, demo and e-mail call these.

Each service locks the thread row (clocks/store.py), turns the change into clock actions
(clocks/actions.py), lets the rules apply them, and saves the thread, its clocks, their events
and the outbox rows in one transaction. Configuration that reaches running clocks (an account's
tier, a policy re-applied) is in threads/reapply.py, re-exported here.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Contact, normalise_email
from accounts.services import account_for_email, contact_upsert
from policies.vocabulary import Channel, Priority, ThreadStatus
from slaops.errors import ThreadError
from slaops.metrics.instruments import inbound_message_stored
from threads.clocks import rebuild, store
from threads.clocks.actions import (
    RECORDED_FIELDS,
    REMATCH_FIELDS,
    AgentWrote,
    CustomerWrote,
    FieldsChanged,
    NoReplyNeeded,
    Opened,
    StatusChanged,
    TimePassed,
)
from threads.clocks.book import PolicyBook
from threads.clocks.times import EARLIEST_TIME, instant, time_problem
from threads.models import Message, Thread
from threads.reapply import (
    ReapplyChange,
    account_set_tier,
    account_set_time_zone,
    policy_reapply,
    policy_reapply_plan,
)
from threads.replies import registry as replies

__all__ = [
    "EARLIEST_TIME",
    "REMATCH_FIELDS",
    "Created",
    "ReapplyChange",
    "ThreadError",
    "account_set_tier",
    "account_set_time_zone",
    "agent_reply",
    "message_receive",
    "policy_reapply",
    "policy_reapply_plan",
    "thread_catch_up",
    "thread_change",
    "thread_create",
    "thread_mark_no_reply_needed",
    "thread_reopen",
    "thread_resolve",
    "thread_set_status",
    "thread_update",
    "time_problem",
]


@dataclass
class Created:
    thread: Thread
    created: bool


def _change(thread: Thread, actions: list, *, given: bool, actor=None, via="", message_id=None):
    """Apply a change's actions to a locked thread and save it. A change dated before something
    already recorded (only an integration's or a history's can be) is put in its place: the
    thread's clocks are rebuilt from its history with it (clocks/rebuild.py)."""
    if given and rebuild.is_late(thread, min(a.at for a in actions)):
        rebuild.rebuild(
            thread, late=actions, now=timezone.now(), message_id=message_id, actor=actor, via=via
        )
        return
    work = store.load(thread, actor=actor, via=via)
    for action in actions:
        work.apply(action)
    _save(work)


def _save(work) -> None:
    """Save a change after catching its thread up to now: a change dated in the past (an
    integration's late delivery, a backfill) leaves its clocks as they are now, e.g. a clock
    already past due is breaching in the very answer that records the change."""
    work.apply(TimePassed(timezone.now()))
    store.save([work])


def _existing(source: str, external_id: str) -> Thread | None:
    if not external_id:
        return None
    return Thread.objects.filter(source=source, external_id=external_id).first()


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
    existing = _existing(source, external_id)
    if existing is not None:
        return Created(existing, False)
    at = instant(created_at, field="created_at")
    try:
        with transaction.atomic():  # a savepoint: a racing duplicate must not spoil the caller
            if contact is None and contact_email:
                contact, account = _contact_for(contact_email, contact_name, account, source)
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
    except IntegrityError:
        # Two deliveries of one external thread raced and the other one won: same answer as if
        # this one had come second.
        existing = _existing(source, external_id)
        if existing is None:
            raise
        return Created(existing, False)
    thread = store.lock(thread)
    work = store.fresh(thread, actor=actor, via=via)
    work.apply(Opened(at))
    Message.objects.create(
        thread=thread,
        author_kind=Message.Author.CUSTOMER,
        contact=contact,
        body=first_message,
        needs_reply=needs_reply,
        created_at=at,
        external_id=message_external_id,
    )
    work.apply(CustomerWrote(at, needs_reply=needs_reply))
    _save(work)
    inbound_message_stored(thread.channel)
    return Created(thread, True)


def _contact_for(email: str, name: str | None, account: Account | None, source: str):
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
        contact, _ = contact_upsert(email=email, name=name, account=account, source=source)
    elif account is not None:
        contact, _ = contact_upsert(email=email, account=account)
    return contact, account


def _add_message(thread: Thread, external_id: str, created_at, **fields):
    """Store a message on a locked thread; a repeated external id returns (existing, None).

    The thread's row lock makes the look-up and the insert one step for concurrent deliveries."""
    if external_id:
        existing = thread.messages.filter(external_id=external_id).first()
        if existing is not None:
            return existing, None
    at = instant(created_at, field="created_at", thread=thread)
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
    within=None,
) -> tuple[Message, bool]:
    """A customer message arrives. Returns (message, created); a repeated external id is a no-op.
    `within`: the threads the caller may change (another is `Thread.DoesNotExist`)."""
    thread = store.lock(thread, within=within)
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
    action = CustomerWrote(at, needs_reply=needs_reply, automatic=automatic)
    _change(thread, [action], given=created_at is not None, via=via, message_id=message.pk)
    inbound_message_stored(thread.channel)
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
    within=None,
    send: bool = False,
) -> tuple[Message, bool]:
    """An agent answers (public) or writes an internal note (public=False). With `send`, a new
    public reply is queued through its thread's reply channel (threads/replies/) in the same
    transaction; a reply that cannot go out is refused with the reason and nothing is recorded."""
    thread = store.lock(thread, within=within)
    # The author's teams as they are now, kept on the message: a team's response time stops
    # for its members only, also when the history is told again after members changed.
    teams = store.book_of(thread).teams_of(author) if author is not None else ()
    message, at = _add_message(
        thread,
        external_id,
        created_at,
        author_kind=Message.Author.SYSTEM if automatic and author is None else Message.Author.AGENT,
        author_user=author,
        body=body,
        public=public,
        automatic=automatic,
        author_teams=list(teams),
    )
    if at is None:
        return message, False
    action = AgentWrote(at, public=public, automatic=automatic, actor=author, author_teams=teams)
    _change(thread, [action], given=created_at is not None, via=via, message_id=message.pk)
    if send:
        try:
            replies.queue(message=message, author=author)
        except replies.NotSendable as error:
            raise ThreadError("send", str(error)) from None
    return message, True


@transaction.atomic
def reply_retry(*, message: Message) -> replies.ReplyDelivery:
    """Send a reply whose delivery failed again (the channel queues it once this commits)."""
    try:
        return replies.retry(message=message)
    except replies.NotSendable as error:
        raise ThreadError("delivery", str(error)) from None


@transaction.atomic
def thread_mark_no_reply_needed(
    *, thread: Thread | int, actor=None, reason: str = "", at=None, via: str = ""
) -> Thread:
    """The customer's last message needs no answer: the running response clock is cancelled while
    it has time left; one already past due stops as breached (a breach stays a breach)."""
    thread = store.lock(thread)
    action = NoReplyNeeded(instant(at, thread=thread), reason=reason.strip())
    _change(thread, [action], given=at is not None, actor=actor, via=via)
    return thread


def _check_fields(changes: dict) -> None:
    unknown = set(changes) - {*REMATCH_FIELDS, *RECORDED_FIELDS}
    if unknown:
        raise ThreadError(sorted(unknown)[0], "This field cannot be changed here.")
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise ThreadError("priority", f"Unknown priority; use one of {Priority.values}.")
    if "channel" in changes and changes["channel"] not in Channel.values:
        raise ThreadError("channel", f"Unknown channel; use one of {Channel.values}.")


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
    """Change fields (priority, channel, team, tier, assignee, subject) and the status together:
    all of it or none of it (the API's PATCH, the thread admin's form, the pages).

    Pass model instances (or None) for team, tier and assignee. Fields first, so a new
    priority's policy decides whether the status pauses; a reason, if given, is kept in the
    history with each change."""
    _check_fields(changes)
    if status is not None and status not in ThreadStatus.values:
        raise ThreadError("status", f"Unknown status '{status}'; use one of {ThreadStatus.values}.")
    thread = store.lock(thread)
    when = instant(at, thread=thread)
    reason = reason.strip()
    actions = []
    if changes:
        actions.append(FieldsChanged(when, changes=changes, reason=reason))
    if status is not None:
        actions.append(StatusChanged(when, status=status, reason=reason))
    if status is not None and not reason:
        # The policy the fields lead to decides whether the new status pauses.
        book = PolicyBook.load()
        if changes:
            probe = store.load(thread, actor=actor, via=via, book=book)
            probe.apply(actions[0])
            policy = book.policy(probe.thread.policy_id)
            thread = store.lock(thread)  # the probe changed it in memory only: read it again
        else:
            policy = book.policy(thread.policy_id)
        if policy and status in policy.pause_statuses:
            raise ThreadError(
                "reason",
                f"Say why the thread is {ThreadStatus(status).label.lower()}: it pauses "
                "resolution time and the reason is kept in the history.",
            )
    if actions:
        _change(thread, actions, given=at is not None, actor=actor, via=via)
    return thread


def thread_set_status(
    *, thread: Thread | int, status: str, actor=None, reason: str = "", at=None, via: str = ""
) -> Thread:
    return thread_change(thread=thread, status=status, actor=actor, reason=reason, at=at, via=via)


def thread_update(
    *, thread: Thread | int, actor=None, reason: str = "", at=None, via: str = "", **changes
) -> Thread:
    """Change priority, channel, team, tier, assignee or subject (see `thread_change`)."""
    return thread_change(thread=thread, actor=actor, reason=reason, at=at, via=via, **changes)


def thread_resolve(*, thread, actor=None, at=None) -> Thread:
    return thread_set_status(thread=thread, status=ThreadStatus.RESOLVED, actor=actor, at=at)


def thread_reopen(*, thread, actor=None, at=None, reason="reopened") -> Thread:
    return thread_set_status(
        thread=thread, status=ThreadStatus.OPEN, actor=actor, at=at, reason=reason
    )


@transaction.atomic
def thread_catch_up(*, thread: Thread | int, at: datetime | None = None) -> Thread:
    """Record the warnings and breaches of a thread's clocks whose time has passed.

    Not a change anyone makes (nothing reaches it from outside; the evaluator does the same with
    its own clock), so `at` is not held to the bounds of `time_problem`."""
    thread = store.lock(thread)
    work = store.load(thread)
    work.apply(TimePassed(at or timezone.now()))
    store.save([work])
    return thread
