"""Sending queued replies: claim due rows (compare-and-set, so two workers never send one reply
twice), send each outside any transaction through its mailbox's SMTP server (or EMAIL_URL), and
record the outcome. Transient failures retry with backoff (30 s doubling, at most an hour, with
jitter) until MAIL_SEND_GIVE_UP_HOURS; permanent ones (a refused recipient) fail at once. A worker
that dies mid-send leaves its claim to expire and the reply is sent again, with the same
Message-ID, so the customer's mail client shows one message.
"""

import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from mail.connections import MailServerError, smtp_connection, smtp_problem
from mail.matching import reply_address
from mail.models import OutboundEmail

Status = OutboundEmail.Status
DUE = [Status.PENDING, Status.RETRYING]
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempt: int) -> timedelta:
    delay = min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_CAP)
    return min(delay * random.uniform(0.8, 1.2), BACKOFF_CAP)


def send_due(*, now: datetime | None = None, limit: int = 100) -> SendReport:
    now = now or timezone.now()
    OutboundEmail.objects.filter(status=Status.SENDING, claimed_until__lt=now).update(
        status=Status.RETRYING,
        claimed_until=None,
        state_at=now,
        last_error="The worker sending this stopped before recording the outcome; sending again.",
    )
    report = SendReport()
    due = OutboundEmail.objects.filter(status__in=DUE, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    until = now + timedelta(seconds=settings.MAIL_SEND_LEASE_SECONDS)
    for pk, status in list(due.values_list("pk", "status")[:limit]):
        claimed = OutboundEmail.objects.filter(pk=pk, status=status).update(
            status=Status.SENDING, claimed_until=until, state_at=now
        )
        if claimed != 1:
            continue  # another worker has it
        outbound = OutboundEmail.objects.select_related("mailbox", "reply").get(pk=pk)
        outcome = _record(outbound, until, _attempt(outbound), now)
        if outcome == Status.SENT:
            report.sent += 1
        elif outcome == Status.RETRYING:
            report.retrying += 1
        elif outcome == Status.FAILED:
            report.failed += 1
    return report


def build(outbound: OutboundEmail, connection=None) -> EmailMessage:
    name = " ".join(outbound.from_name.split())
    headers = {
        "Message-ID": outbound.message_id,
        "X-SLA-Ops-Thread": str(outbound.reply.thread_id),
        "X-SLA-Ops-Mailbox": str(outbound.mailbox_id),
    }
    if outbound.in_reply_to:
        headers["In-Reply-To"] = outbound.in_reply_to
    if outbound.references:
        headers["References"] = " ".join(outbound.references)
    mailbox = outbound.mailbox
    # The thread's token in the address replied to: found again even without the subject.
    thread_id = outbound.reply.thread_id
    reply_to = [reply_address(mailbox, thread_id)] if mailbox.plus_addressing else None
    return EmailMessage(
        subject=" ".join(outbound.subject.split()),
        body=outbound.reply.body,
        from_email=formataddr((name, mailbox.address)),
        to=[outbound.to_address],
        reply_to=reply_to,
        headers=headers,
        connection=connection,
    )


def _attempt(outbound: OutboundEmail) -> tuple[bool, bool, str]:
    """(sent, permanent, why not)."""
    mailbox = outbound.mailbox
    try:
        build(outbound, smtp_connection(mailbox)).send()
    except smtplib.SMTPRecipientsRefused as error:
        code, reason = next(iter(error.recipients.values()), (None, b""))
        return False, _permanent(code), f"Recipient refused: {code} {_text(reason)}"
    except smtplib.SMTPDataError as error:
        return (
            False,
            _permanent(error.smtp_code),
            (f"Message refused: {error.smtp_code} {_text(error.smtp_error)}"),
        )
    except MailServerError as error:
        return False, error.permanent, str(error)
    except Exception as error:  # the mail server, the network or the destination rule
        problem = smtp_problem(mailbox, error)
        return False, problem.permanent, str(problem)
    return True, False, ""


def _permanent(code) -> bool:
    return code is not None and 500 <= int(code) < 600


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _record(outbound: OutboundEmail, until: datetime, result, now: datetime) -> str | None:
    sent, permanent, error = result
    at = now
    changes = {"attempts": outbound.attempts + 1, "claimed_until": None, "state_at": at}
    if sent:
        changes.update(status=Status.SENT, sent_at=at, last_error="")
    elif permanent or at >= outbound.created_at + timedelta(hours=settings.MAIL_SEND_GIVE_UP_HOURS):
        changes.update(status=Status.FAILED, last_error=_one_line(error))
    else:
        changes.update(
            status=Status.RETRYING,
            last_error=_one_line(error),
            next_attempt_at=at + backoff(outbound.attempts + 1),
        )
    # Only if the claim is still ours: a worker whose lease ran out must not overwrite a newer
    # outcome.
    changed = OutboundEmail.objects.filter(
        pk=outbound.pk, status=Status.SENDING, claimed_until=until
    ).update(**changes)
    return changes["status"] if changed else None


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"
