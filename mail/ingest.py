"""The one way an e-mail comes in, whatever brought it (IMAP, a provider's webhook, a file):
parse it, store it once per mailbox, and hand it to the thread services.

A customer's e-mail opens a thread or is added to the one it answers (mail/matching.py: only
what a forger cannot fake joins one; a thread it merely names is noted on the new one); an
auto-reply is stored as
an automatic message that starts and stops nothing; a bounce is stored and flagged on the reply
it is about; our own messages coming back are stored and ignored.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from mail import matching, vouching
from mail.models import Attachment, InboundEmail, Mailbox, OutboundEmail
from mail.parsing import Parsed, parse
from policies.vocabulary import Channel
from threads import services
from threads.models import Thread

Kind = InboundEmail.Kind


@dataclass
class Outcome:
    inbound: InboundEmail
    new: bool  # False: this mailbox had this Message-ID already, nothing was done

    def describe(self) -> str:
        inbound = self.inbound
        where = f" on thread #{inbound.thread_id}" if inbound.thread_id else ""
        if not self.new:
            return f"{inbound.message_id}: already received{where}"
        return f"{inbound.message_id}: {inbound.get_kind_display().lower()}{where}"


def ingest(
    raw: bytes,
    *,
    mailbox: Mailbox,
    via: str,
    received_at: datetime | None = None,
    parsed: Parsed | None = None,
    provider_dmarc_pass: bool | None = None,
) -> Outcome:
    """Store one raw e-mail for `mailbox` and act on it. The same Message-ID in the same mailbox
    again is a no-op, so a poll that is repeated (after a crash) doubles nothing.

    `provider_dmarc_pass`: the DMARC verdict of the provider that brought it, where it gives one
    (Amazon SES): True vouches for the sender.

    Raises mail.parsing.ParseError for what is not an e-mail, and ThreadError when a rule of
    the thread services refuses it."""
    parsed = parsed or parse(raw)
    if provider_dmarc_pass is not None:  # a provider's verdict (SES), for the threading rules
        parsed.provider_dmarc_pass = provider_dmarc_pass
    existing = InboundEmail.objects.filter(mailbox=mailbox, message_id=parsed.message_id).first()
    if existing is not None:
        return Outcome(existing, False)
    now = received_at or timezone.now()
    try:
        with transaction.atomic():
            vouched = vouching.vouched_for(
                parsed, mailbox, provider_verdict=parsed.provider_dmarc_pass is True
            )
            return Outcome(_ingest(raw, parsed, mailbox, via, now, vouched), True)
    except IntegrityError:
        # Another worker stored the same message meanwhile: same answer as coming second.
        existing = InboundEmail.objects.filter(
            mailbox=mailbox, message_id=parsed.message_id
        ).first()
        if existing is None:
            raise
        return Outcome(existing, False)


def _ingest(raw: bytes, parsed: Parsed, mailbox: Mailbox, via: str, now: datetime, vouched: bool):
    inbound = InboundEmail(
        mailbox=mailbox,
        message_id=parsed.message_id,
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        subject=parsed.subject,
        recipients=parsed.to,
        sender_vouched=vouched,
        references=parsed.related_ids,
        full_text=parsed.full_text,
        bounced_message_id=parsed.bounced_message_id,
        via=via[:20],
        received_at=now,
    )
    if settings.MAIL_KEEP_RAW:
        inbound.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    if parsed.bounce:
        inbound.kind = Kind.BOUNCE
        _flag_bounce(inbound, parsed)
    elif matching.is_our_own(parsed):
        inbound.kind = Kind.LOOP
    elif parsed.auto_reply:
        inbound.kind = Kind.AUTO_REPLY
        inbound.thread = matching.thread_for(parsed, mailbox=mailbox, vouched=vouched).thread
    else:
        inbound.kind = Kind.CUSTOMER
        match = matching.thread_for(parsed, mailbox=mailbox, vouched=vouched)
        inbound.thread = match.thread
    # The thread services are idempotent by Message-ID (a thread per source and external id, a
    # message per thread and external id), so two workers taking the same e-mail at once make
    # one thread; the second then fails on the unique (mailbox, Message-ID) row below and its
    # whole savepoint is rolled back.
    if inbound.kind == Kind.CUSTOMER:
        _customer_wrote(inbound, parsed, mailbox, now, match.possibly)
    elif inbound.kind == Kind.AUTO_REPLY and inbound.thread and not inbound.thread.is_closed:
        # An out-of-office on a resolved thread must not reopen it: stored, not a message.
        inbound.thread_message, _ = services.message_receive(
            thread=inbound.thread,
            body=parsed.display_text,
            automatic=True,
            needs_reply=False,
            external_id=parsed.message_id,
            created_at=_when(parsed, now, inbound.thread),
            via=_via(parsed),
        )
    inbound.save()
    _keep_attachments(inbound, parsed)
    return inbound


def _customer_wrote(
    inbound: InboundEmail, parsed: Parsed, mailbox: Mailbox, now: datetime, possibly: Thread | None
):
    if inbound.thread is not None:
        inbound.thread_message, _ = services.message_receive(
            thread=inbound.thread,
            body=parsed.display_text,
            external_id=parsed.message_id,
            created_at=_when(parsed, now, inbound.thread),
            via=_via(parsed),
        )
        return
    created = services.thread_create(
        subject=parsed.subject,
        first_message=parsed.display_text,
        contact_email=parsed.from_address,
        contact_name=parsed.from_name or None,
        channel=Channel.EMAIL,
        priority=mailbox.priority,
        team=mailbox.team,
        source=mailbox.source,
        external_id=parsed.message_id[:200],
        message_external_id=parsed.message_id[:200],
        created_at=_when(parsed, now, None),
        via=_via(parsed),
    )
    inbound.thread = created.thread
    inbound.thread_message = created.thread.messages.order_by("id").first()
    if possibly is not None and created.created:
        # An internal note (it starts and stops nothing); the thread it names is left as it is.
        services.agent_reply(
            thread=created.thread,
            body=possibly_about(possibly),
            public=False,
            automatic=True,
            external_id=f"possibly-about:{possibly.pk}",
            via=_via(parsed),
        )


def possibly_about(thread: Thread) -> str:
    return (
        f"Possibly about #{thread.pk}: this e-mail names that thread, but nothing a forger cannot "
        "fake ties it there (a reply to one of our e-mails, the thread's code, or a sender "
        "verified by the mail server), so it opened a new thread. If it belongs there, answer "
        "there."
    )


def _when(parsed: Parsed, now: datetime, thread: Thread | None) -> datetime:
    """When the customer wrote: the Date header, trusted only back to MAIL_DATE_TRUST_SECONDS
    (a poll that ran late) and never ahead of now (a sender's clock that runs fast)."""
    at = now
    if parsed.date is not None:
        earliest = now - timedelta(seconds=settings.MAIL_DATE_TRUST_SECONDS)
        at = min(max(parsed.date, earliest), now)
    if thread is not None:
        at = max(at, thread.created_at)
    return at


def _via(parsed: Parsed) -> str:
    """What the history says the change came through: "e-mail from anna@acme.de"."""
    return f"e-mail from {parsed.from_address or 'an unknown sender'}"[:200]


def _flag_bounce(inbound: InboundEmail, parsed: Parsed) -> None:
    if not parsed.bounced_message_id:
        return
    outbound = (
        OutboundEmail.objects.filter(message_id=parsed.bounced_message_id)
        .select_related("reply")
        .first()
    )
    if outbound is not None:
        inbound.thread_id = outbound.reply.thread_id
        OutboundEmail.objects.filter(pk=outbound.pk).update(bounced=True)


def _keep_attachments(inbound: InboundEmail, parsed: Parsed) -> None:
    limit = settings.MAIL_MAX_ATTACHMENT_BYTES
    for part in parsed.attachments:
        attachment = Attachment(
            inbound=inbound,
            message=inbound.thread_message,
            filename=part.filename,
            content_type=part.content_type[:100],
            size=len(part.content),
        )
        if len(part.content) <= limit:
            attachment.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(part.content), save=False)
        attachment.save()
