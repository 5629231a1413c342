"""Writes of the mail app that other apps call: queue an agent's reply for sending, send it again
now. A reply is recorded by threads.services.agent_reply(send=True), which calls `reply_queue`
through the reply channel registry (mail/replies.py) in the same transaction, so the reply and
its outbox row commit (or roll back) together."""

import contextlib
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mail.matching import subject_tag, without_tags
from mail.models import InboundEmail, Mailbox, OutboundEmail
from slaops.ids import parse_id
from threads.models import Message, Thread
from threads.replies.channel import NotSendable  # raised here: this reply cannot be e-mailed

MAX_REFERENCES = 20  # the newest ones; mail clients need only the chain's ends


def reply_mailbox(thread: Thread) -> Mailbox | None:
    """The mailbox a thread's replies go out from: the one it came in by, or the one its last
    e-mail came to."""
    ident = parse_id(thread.source.removeprefix("email:"))
    if thread.source.startswith("email:") and ident is not None:
        mailbox = Mailbox.objects.filter(pk=ident, active=True).first()
        if mailbox is not None:
            return mailbox
    inbound = (
        InboundEmail.objects.filter(thread=thread, mailbox__active=True)
        .select_related("mailbox")
        .order_by("-received_at", "-id")
        .first()
    )
    return inbound.mailbox if inbound is not None else None


def send_problem(thread: Thread) -> str:
    """Why replies on this thread cannot be e-mailed ("" if they can)."""
    if reply_mailbox(thread) is None:
        return "This thread has no active mailbox to send from (it did not come in by e-mail)."
    if thread.contact_id is None or not thread.contact.email:
        return "This thread has no contact e-mail address to send to."
    return ""


@transaction.atomic
def reply_queue(*, message: Message, author=None) -> OutboundEmail:
    """Queue a public agent reply for sending to the thread's contact; raises NotSendable."""
    thread = Thread.objects.select_related("contact").get(pk=message.thread_id)
    if not message.public or message.author_kind == Message.Author.CUSTOMER:
        raise NotSendable("Only public agent replies are sent; internal notes never are.")
    problem = send_problem(thread)
    if problem:
        raise NotSendable(problem)
    mailbox = reply_mailbox(thread)
    answered = (
        InboundEmail.objects.filter(thread=thread, kind=InboundEmail.Kind.CUSTOMER)
        .order_by("-received_at", "-id")
        .first()
    )
    references: list[str] = []
    in_reply_to = ""
    if answered is not None:
        in_reply_to = answered.message_id if not answered.message_id.startswith("sha256:") else ""
        references = [*reversed(answered.references), in_reply_to]
        references = [r for r in dict.fromkeys(references) if r][-MAX_REFERENCES:]
    outbound = OutboundEmail.objects.create(
        reply=message,
        mailbox=mailbox,
        from_name=_name(author) or mailbox.name,
        to_address=thread.contact.email,
        subject=_subject(thread),
        message_id=make_msgid(idstring="slaops", domain=mailbox.address.rpartition("@")[2]),
        in_reply_to=in_reply_to,
        references=references,
    )
    transaction.on_commit(kick_sending)
    return outbound


def _name(author) -> str:
    if author is None:
        return ""
    return " ".join((author.get_full_name() or author.get_username()).split())[:200]


def _subject(thread: Thread) -> str:
    # Every reply carries the thread's token (mail/matching.py); a tag the customer's subject
    # brought (another thread's, or a bare [#123]) is replaced by it.
    subject = without_tags(thread.subject)
    if not subject.lower().startswith(("re:", "re :")):
        subject = f"Re: {subject}"
    return f"{subject} {subject_tag(thread)}"


def retry_now(*, outbound: OutboundEmail) -> bool:
    """Send a failed (or waiting) reply again at once; False if it is sent or sending."""
    now = timezone.now()
    changed = OutboundEmail.objects.filter(
        pk=outbound.pk, status__in=[OutboundEmail.Status.RETRYING, OutboundEmail.Status.FAILED]
    ).update(status=OutboundEmail.Status.PENDING, next_attempt_at=now, state_at=now)
    if changed:
        transaction.on_commit(kick_sending)
    return bool(changed)


def kick_sending() -> None:
    # Send now rather than at the next scheduled run (the schedule still retries).
    if settings.SLA_DELIVER_ON_COMMIT:
        from django_q.tasks import async_task

        # A broker hiccup must never fail a reply: the scheduled run sends it anyway.
        with contextlib.suppress(Exception):
            async_task("mail.tasks.send", task_name="mail-send-now", group="mail-send")
