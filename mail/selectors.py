"""Reads of the mail app for the thread page: each message's e-mail state and attachments."""

from mail.models import Attachment, OutboundEmail
from mail.services import send_problem
from threads.models import Message, Thread


def attach_email_state(messages: list[Message]) -> None:
    """Give each message `email_out` (its OutboundEmail or None) and `email_attachments`, with
    two queries for the whole thread."""
    ids = [m.pk for m in messages]
    outbound = {o.reply_id: o for o in OutboundEmail.objects.filter(reply_id__in=ids)}
    attachments: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(message_id__in=ids):
        attachments.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        message.email_out = outbound.get(message.pk)
        message.email_attachments = attachments.get(message.pk, [])


def reply_address(thread: Thread) -> str:
    """Where a reply from the page goes by e-mail ("" when it is not e-mailed)."""
    return "" if send_problem(thread) else thread.contact.email
