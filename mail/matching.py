"""Which conversation an incoming e-mail belongs to, and whether it is one of ours coming back.

Only what a forger cannot know or fake joins a thread (docs/rules.md, "Which thread an e-mail
joins"), in this order:
1. the Message-IDs it answers (In-Reply-To, then References, nearest first): one of our own
   replies; or a customer's earlier e-mail, if the sender is vouched for or was a recipient of it;
2. the thread's token, in the subject (`[#238-k7qxa2mbte]`) or in the address replied to
   (support+238-k7qxa2mbte@…): an HMAC of the thread's id with SECRET_KEY, in every reply we send;
3. a bare `[#238]`, only on a thread that came in through this mailbox, from its own contact,
   vouched for.
A thread named in any of these ways but not joined is the new thread's "possibly about #238".
"""

import base64
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import normalise_email
from mail.models import InboundEmail, Mailbox, OutboundEmail
from mail.parsing import Parsed
from threads.models import Thread

ADDRESSES_FOR_SECONDS = 5
TOKEN_SALT = "mail.matching.thread-token"
TOKEN_LENGTH = 10  # base32: 50 bits, case-insensitive (mail systems lower-case addresses)
# The patterns below spell TOKEN_LENGTH out as {10}.
# [#238] or [#238-k7qxa2mbte]; ASCII digits only ("٣" is a digit to \d and to int()).
SUBJECT_TAG = re.compile(r"\[#([0-9]{1,12})(?:-([A-Za-z2-7]{10}))?\]")
PLUS_TOKEN = re.compile(r"^(.+)\+([0-9]{1,12})-([a-z2-7]{10})@([^@]+)$", re.IGNORECASE)


@dataclass
class Match:
    thread: Thread | None = None  # the thread the e-mail joins
    possibly: Thread | None = None  # a thread it names but may not join (noted on the new one)


def thread_for(parsed: Parsed, *, mailbox: Mailbox, vouched: bool) -> Match:
    named: list[int] = []
    found = _by_message_ids(parsed, vouched, named) or _by_token(parsed)
    if found is None:
        found = _by_bare_tag(parsed, mailbox, vouched, named)
    if found is not None:
        return Match(thread=found)
    possibly = next((t for pk in named if (t := Thread.objects.filter(pk=pk).first())), None)
    return Match(possibly=possibly)


def _by_message_ids(parsed: Parsed, vouched: bool, named: list[int]) -> Thread | None:
    ids = parsed.related_ids
    if not ids:
        return None
    ours = dict(
        OutboundEmail.objects.filter(message_id__in=ids).values_list(
            "message_id", "reply__thread_id"
        )
    )
    theirs: dict[str, list[tuple[int, list]]] = {}
    for message_id, thread_id, recipients in InboundEmail.objects.filter(
        message_id__in=ids, thread__isnull=False
    ).values_list("message_id", "thread_id", "recipients"):
        theirs.setdefault(message_id, []).append((thread_id, recipients))
    sender = normalise_email(parsed.from_address)
    for message_id in ids:
        if message_id in ours:
            thread = Thread.objects.filter(pk=ours[message_id]).first()
            if thread is not None:
                return thread
        for thread_id, recipients in theirs.get(message_id, []):
            if vouched or sender in {normalise_email(r) for r in recipients}:
                thread = Thread.objects.filter(pk=thread_id).first()
                if thread is not None:
                    return thread
            named.append(thread_id)
    return None


def _by_token(parsed: Parsed) -> Thread | None:
    for tag in SUBJECT_TAG.finditer(parsed.subject):
        if tag.group(2) and token_is_valid(int(tag.group(1)), tag.group(2)):
            thread = Thread.objects.filter(pk=int(tag.group(1))).first()
            if thread is not None:
                return thread
    for address in parsed.to:
        plus = PLUS_TOKEN.match(address)
        if plus and token_is_valid(int(plus.group(2)), plus.group(3)):
            thread = Thread.objects.filter(pk=int(plus.group(2))).first()
            if thread is not None:
                return thread
    return None


def _by_bare_tag(parsed: Parsed, mailbox: Mailbox, vouched: bool, named: list[int]):
    """A number anyone can type: only from the thread's own contact, vouched for, on a thread
    that came in through this very mailbox."""
    for tag in SUBJECT_TAG.finditer(parsed.subject):
        pk = int(tag.group(1))
        thread = Thread.objects.filter(pk=pk).select_related("contact").first()
        if thread is None:
            continue
        if (
            vouched
            and thread.source == mailbox.source
            and thread.contact is not None
            and thread.contact.email == normalise_email(parsed.from_address)
        ):
            return thread
        named.append(pk)
    return None


def thread_token(thread_id: int, *, secret: str | None = None) -> str:
    digest = salted_hmac(TOKEN_SALT, str(thread_id), secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode()[:TOKEN_LENGTH].lower()


def token_is_valid(thread_id: int, token: str) -> bool:
    """The thread's token under SECRET_KEY, or under a key it replaced (SECRET_KEY_FALLBACKS), so
    a rotated key does not cut off the replies on their way."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(thread_token(thread_id, secret=s), token.lower()) for s in secrets
    )


def subject_tag(thread: Thread) -> str:
    return f"[#{thread.pk}-{thread_token(thread.pk)}]"


def without_tags(subject: str) -> str:
    """The subject without thread tags (ours or another thread's), to put the right one in."""
    return " ".join(SUBJECT_TAG.sub(" ", subject).split())


def reply_address(mailbox: Mailbox, thread_id: int) -> str:
    """support+238-k7qxa2mbte@acme.example: where a reply on this thread is asked to go."""
    local, _, domain = mailbox.address.rpartition("@")
    return f"{local}+{thread_id}-{thread_token(thread_id)}@{domain}"


def mailbox_address(address: str) -> str:
    """The mailbox an address reaches: support+238-k7qxa2mbte@… is support@…"""
    plus = PLUS_TOKEN.match(address)
    return f"{plus.group(1)}@{plus.group(4)}".lower() if plus else address.lower()


def is_our_own(parsed: Parsed) -> bool:
    """Loop protection: a reply we sent, or mail from one of our own support addresses."""
    if mailbox_address(parsed.from_address) in _our_addresses():
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
