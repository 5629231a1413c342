"""E-mail as a reply channel (its line: threads.replies.registry.REPLY_CHANNELS): a reply goes
to the thread's contact from the mailbox the thread came in by, through the outbox
(mail/outbox.py), and its OutboundEmail row says how far it got."""

from mail import services
from mail.models import Attachment, OutboundEmail
from threads.replies.channel import (
    FAILED,
    QUEUED,
    RETRYING,
    SENDING,
    SENT,
    ReplyChannel,
    ReplyDelivery,
)

Status = OutboundEmail.Status
SOURCE_PREFIX = "email:"  # Mailbox.source
STATES = {
    Status.PENDING: QUEUED,
    Status.SENDING: SENDING,
    Status.RETRYING: RETRYING,
    Status.SENT: SENT,
    Status.FAILED: FAILED,
}


class EmailReplies(ReplyChannel):
    label = "E-mail"

    def takes(self, thread) -> bool:
        return True  # any thread may be answered by e-mail; `problem` says when it cannot

    def problem(self, thread) -> str:
        return services.send_problem(thread)

    def made_external_id(self, thread) -> bool:
        return thread.source.startswith(SOURCE_PREFIX)  # its first e-mail's Message-ID

    def route(self, thread) -> str:
        return f"e-mailed to {thread.contact.email}"

    def queue(self, *, message, author) -> None:
        services.reply_queue(message=message, author=author)

    def states(self, messages: list) -> dict[int, ReplyDelivery]:
        rows = OutboundEmail.objects.filter(reply_id__in=[m.pk for m in messages])
        return {row.reply_id: self.state_of(row) for row in rows}

    def state_of(self, row: OutboundEmail) -> ReplyDelivery:
        state = STATES[row.status]
        detail = {
            QUEUED: f"Waiting to be e-mailed to {row.to_address}.",
            SENDING: f"Being e-mailed to {row.to_address}.",
            SENT: f"E-mailed to {row.to_address}.",
        }.get(state, row.last_error or "The mail server did not take it.")
        if row.bounced:
            detail += " It bounced: the customer's mail server sent it back."
        return ReplyDelivery(
            state=state,
            channel=self.key,
            at=row.sent_at if state == SENT else row.state_at,
            next_attempt_at=row.next_attempt_at,
            external_id=row.message_id if state == SENT else "",
            detail=detail,
        )

    def retry(self, *, message) -> bool:
        row = OutboundEmail.objects.filter(reply=message).first()
        return row is not None and services.retry_now(outbound=row)

    def show(self, messages: list) -> None:
        attachments: dict[int, list[Attachment]] = {}
        for attachment in Attachment.objects.filter(message_id__in=[m.pk for m in messages]):
            attachments.setdefault(attachment.message_id, []).append(attachment)
        for message in messages:
            message.email_attachments = attachments.get(message.pk, [])
