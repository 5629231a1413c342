"""Reading a mailbox over IMAP (imap-tools): every unread message of its folder goes through the
one ingest function, and is marked read on the server only after what it became is committed.

A crash between the commit and the mark leaves the message unread; the next poll fetches it
again and the unique (mailbox, Message-ID) row makes that a no-op, so a message is neither lost
nor doubled. A message that can never become a thread (not an e-mail, a rule refuses it) is
marked read too, so it does not block the mailbox, and the mailbox says why.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from imap_tools import AND, MailMessage

from mail.connections import MailServerError, imap_open
from mail.ingest import ingest
from mail.models import Mailbox
from mail.parsing import ParseError
from threads.services import ThreadError

log = logging.getLogger(__name__)
MARK_EVERY = 50  # messages fetched in one request, and marked read together once committed


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
            done: list[str] = []
            for message in box.fetch(uid_list=uids, mark_seen=False, bulk=MARK_EVERY):
                result.fetched += 1
                _take(message, mailbox, result)
                done.append(message.uid)
                if len(done) >= MARK_EVERY:
                    _mark_read(box, done)
                    done = []
            _mark_read(box, done)
    except MailServerError as error:
        _record(mailbox, str(error))
        raise
    except DatabaseError:
        raise  # nothing was marked read past the last commit: the next poll resumes
    except Exception as error:
        _record(mailbox, f"Reading the mailbox failed: {type(error).__name__}: {error}")
        raise MailServerError(str(error)) from error
    _record(mailbox, "; ".join(result.refused[-3:]))
    return result


def _take(message: RawMessage, mailbox: Mailbox, result: PollResult) -> None:
    try:
        outcome = ingest(message.raw, mailbox=mailbox, via="imap")
    except (ParseError, ThreadError) as error:
        line = f"message {message.uid} not taken: {error}"
        log.warning("Mailbox %s: %s", mailbox.name, line)
        result.refused.append(line)
        return
    result.new += outcome.new


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
