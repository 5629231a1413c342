"""Reading a mailbox over IMAP (imap-tools): every unread message of its folder goes through the
one ingest function, and is marked read on the server only after what it became is committed.

A crash between the commit and the mark leaves the message unread; the next poll fetches it
again and the unique (mailbox, Message-ID) row makes that a no-op, so a message is neither lost
nor doubled. A message that can never become a thread (not an e-mail, a rule refuses it) is
marked read too, so it does not block the mailbox, and the mailbox says why.
"""

import contextlib
import email
import logging
import re
import threading
import zlib
from dataclasses import dataclass, field
from email.policy import compat32
from email.utils import parseaddr

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone
from imap_tools import AND, MailMessage

from mail.connections import MailServerError, imap_open
from mail.ingest import ingest
from mail.models import Mailbox
from mail.parsing import Parsed, ParseError, parse
from slaops.health.heartbeats import beat, mailbox_name
from slaops.metrics.instruments import MAIL_POLL_FAILURES
from threads.services import ThreadError

log = logging.getLogger(__name__)
CHUNK = 200  # messages fetched in one request, and marked read together once committed
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
# What an oversize message's note keeps of its headers: enough to thread it as it would.
_KEPT_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
    "auto-submitted", "precedence", "x-autoreply", "x-autorespond",
}  # fmt: skip


class RawMessage(MailMessage):
    """imap-tools' message, keeping the bytes as the server sent them (parsed once, by us)."""

    def __init__(self, fetch_data: list) -> None:
        raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)
        self.raw = raw


@dataclass
class PollResult:
    fetched: int = 0
    new: int = 0
    refused: list[str] = field(default_factory=list)  # one line per message we could not take


def poll(mailbox: Mailbox, *, limit: int | None = None) -> PollResult:
    """Ingest the unread messages of one mailbox (at most `limit`, default MAIL_POLL_BATCH)."""
    result = PollResult()
    limit = limit or settings.MAIL_POLL_BATCH
    try:
        with imap_open(mailbox) as box:
            box.email_message_class = RawMessage
            uids = box.uids(AND(seen=False))[:limit]
            uids = _set_aside_oversize(box, uids, mailbox, result)
            # (An empty uid_list would make imap-tools fetch the whole folder.)
            fetched = box.fetch(uid_list=uids, mark_seen=False, bulk=CHUNK) if uids else []
            chunk: list[RawMessage] = []
            for message in fetched:
                chunk.append(message)
                if len(chunk) >= CHUNK:
                    _mark_read(box, _take_all(chunk, mailbox, result))
                    chunk = []
            _mark_read(box, _take_all(chunk, mailbox, result))
    except MailServerError as error:
        MAIL_POLL_FAILURES.inc()
        _record(mailbox, str(error))
        raise
    except DatabaseError:
        MAIL_POLL_FAILURES.inc()
        raise  # nothing was marked read past the last commit: the next poll resumes
    except Exception as error:
        MAIL_POLL_FAILURES.inc()
        _record(mailbox, f"Reading the mailbox failed: {type(error).__name__}: {error}")
        raise MailServerError(str(error)) from error
    _record(mailbox, "; ".join(result.refused[-3:]))
    beat(mailbox_name(mailbox.pk))  # a successful poll, for /status (refused mail or not)
    return result


def _conversation(message: RawMessage) -> tuple[str, Parsed | None]:
    """The conversation a message belongs to (the first Message-ID it refers to, or its own):
    one conversation is ingested in order, different ones side by side."""
    try:
        parsed = parse(message.raw)
    except ParseError:
        return "", None
    root = (parsed.references or parsed.in_reply_to or [parsed.message_id])[0]
    return root, parsed


def _take_all(chunk: list[RawMessage], mailbox: Mailbox, result: PollResult) -> list[str]:
    """Ingest a chunk; the uids that are done (stored, or refused for good)."""
    workers = settings.MAIL_INGEST_WORKERS if connection.vendor == "postgresql" else 1
    if workers <= 1 or len(chunk) < 2:
        return [m.uid for m in chunk if _take(m, None, mailbox, result)]
    buckets: list[list[tuple[RawMessage, Parsed | None]]] = [[] for _ in range(workers)]
    for message in chunk:
        root, parsed = _conversation(message)
        buckets[zlib.crc32(root.encode()) % workers].append((message, parsed))
    done: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(bucket) -> None:
        try:
            for message, parsed in bucket:
                if _take(message, parsed, mailbox, result, lock):
                    with lock:
                        done.append(message.uid)
        except BaseException as error:  # the database went away: stop this bucket, report it
            failures.append(error)
        finally:
            connections.close_all()  # this worker thread's own connection

    runners = [threading.Thread(target=work, args=(b,)) for b in buckets if b]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    if failures:
        raise failures[0]
    return done


def _take(message, parsed, mailbox, result, lock=None) -> bool:
    try:
        outcome = ingest(message.raw, mailbox=mailbox, via="imap", parsed=parsed)
    except (ParseError, ThreadError) as error:
        line = f"message {message.uid} not taken: {error}"
        log.warning("Mailbox %s: %s", mailbox.name, line)
        with lock or contextlib.nullcontext():
            result.fetched += 1
            result.refused.append(line)
        return True  # it would be refused again: set aside, not retried
    with lock or contextlib.nullcontext():
        result.fetched += 1
        result.new += outcome.new
    return True


def _sizes(box, uids: list[str]) -> dict[str, int]:
    """RFC822.SIZE of each message, asked before anything is fetched."""
    if not uids:
        return {}
    _, data = box.client.uid("FETCH", ",".join(uids), "(RFC822.SIZE)")
    sizes = {}
    for line in data:
        line = line[0] if isinstance(line, tuple) else line
        uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
        if uid and size:
            sizes[uid.group(1).decode()] = int(size.group(1))
    return sizes


def _set_aside_oversize(box, uids: list[str], mailbox: Mailbox, result: PollResult) -> list[str]:
    """The uids small enough to fetch. A larger message is not fetched: its headers open or
    update its thread with a note saying so, and it stays in the mailbox, read and flagged (its
    Message-ID makes the note once, whatever the polls)."""
    limit = settings.MAIL_MAX_MESSAGE_BYTES
    sizes = _sizes(box, uids)
    too_big = [uid for uid in uids if sizes.get(uid, 0) > limit]
    if not too_big:
        return uids
    noted = []
    for message in box.fetch(AND(uid=too_big), headers_only=True, mark_seen=False):
        stand_in = oversize_note(message.raw, sizes[message.uid], limit, mailbox)
        if _take(_Stub(message.uid, stand_in), None, mailbox, result):
            noted.append(message.uid)
    if noted:
        box.client.uid("STORE", ",".join(noted), "+FLAGS", "(\\Seen \\Flagged)")
    return [uid for uid in uids if uid not in too_big]


@dataclass
class _Stub:
    uid: str
    raw: bytes


def oversize_note(header: bytes, size: int, limit: int, mailbox: Mailbox) -> bytes:
    """An e-mail made of the big one's own headers (so it threads as it would) and a note."""
    kept = email.message_from_bytes(header, policy=compat32)
    lines = [
        f"{name}: {value}".encode("utf-8", "surrogateescape")
        for name, value in kept.items()
        if name.lower() in _KEPT_HEADERS
    ]
    sender = parseaddr(str(kept.get("From", "")))[1] or "an unknown sender"
    note = (
        f"An e-mail of {_mib(size)} from {sender} was too large to import (at most "
        f"{_mib(limit)}, MAIL_MAX_MESSAGE_BYTES). It is still in the mailbox {mailbox.address}, "
        f"folder {mailbox.imap_folder}, marked read and flagged."
    )
    body = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    return b"\r\n".join(lines) + b"\r\n" + body + note.encode() + b"\r\n"


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MiB"


def _mark_read(box, uids: list[str]) -> None:
    if uids:
        # imaplib's own UID STORE: imap-tools' flag() would also EXPUNGE the folder.
        box.client.uid("STORE", ",".join(uids), "+FLAGS", "(\\Seen)")


def _record(mailbox: Mailbox, error: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error)


def poll_all() -> dict[str, str]:
    """Every active mailbox with an IMAP server; one failing mailbox never stops the others."""
    report = {}
    for mailbox in Mailbox.objects.filter(active=True).exclude(imap_host=""):
        try:
            result = poll(mailbox)
            report[mailbox.name] = f"{result.new} new of {result.fetched}"
        except MailServerError as error:
            report[mailbox.name] = f"failed: {error}"
    return report
