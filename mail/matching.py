"""Which conversation an incoming e-mail belongs to, and whether it is one of ours coming back.

In order: the Message-IDs it answers (In-Reply-To, then References, nearest first) against the
e-mails we received and the replies we sent; then a `[#123]` tag in the subject, accepted only
from the thread's own contact (anyone can type a number); otherwise it opens a new thread.
"""

import re
import time

from accounts.models import normalise_email
from mail.models import InboundEmail, Mailbox, OutboundEmail
from mail.parsing import Parsed
from threads.models import Thread

ADDRESSES_FOR_SECONDS = 5
SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")


def thread_for(parsed: Parsed) -> Thread | None:
    ids = parsed.related_ids
    if ids:
        found: dict[str, int] = {}
        for message_id, thread_id in OutboundEmail.objects.filter(message_id__in=ids).values_list(
            "message_id", "reply__thread_id"
        ):
            found[message_id] = thread_id
        for message_id, thread_id in InboundEmail.objects.filter(
            message_id__in=ids, thread__isnull=False
        ).values_list("message_id", "thread_id"):
            found.setdefault(message_id, thread_id)
        for message_id in ids:
            if message_id in found:
                thread = Thread.objects.filter(pk=found[message_id]).first()
                if thread is not None:
                    return thread
    tag = SUBJECT_TAG.search(parsed.subject)
    if tag:
        thread = (
            Thread.objects.filter(pk=int(tag.group(1)), contact__isnull=False)
            .select_related("contact")
            .first()
        )
        if thread is not None and thread.contact.email == normalise_email(parsed.from_address):
            return thread
    return None


def subject_tag(thread: Thread) -> str:
    return f"[#{thread.pk}]"


def is_our_own(parsed: Parsed) -> bool:
    """Loop protection: a reply we sent, or mail from one of our own support addresses."""
    if parsed.from_address.lower() in _our_addresses():
        return True
    return OutboundEmail.objects.filter(message_id=parsed.message_id).exists()


_addresses: tuple[float, frozenset[str]] = (0.0, frozenset())


def _our_addresses() -> frozenset[str]:
    # Read once per few seconds, not once per message: a poll takes hundreds at a time.
    global _addresses
    read_at, addresses = _addresses
    if time.monotonic() - read_at > ADDRESSES_FOR_SECONDS:
        addresses = frozenset(a.lower() for a in Mailbox.objects.values_list("address", flat=True))
        _addresses = (time.monotonic(), addresses)
    return addresses
