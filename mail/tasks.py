"""django-q2 entry points of the mail app (declared in slaops/schedules.py)."""

import time

from django.conf import settings

from mail.imap import poll_all
from mail.outbox import send_due


def poll() -> dict[str, str]:
    """Read every active IMAP mailbox (schedule `mail-poll`, every MAIL_POLL_EVERY minutes).

    Within a run it polls again every MAIL_POLL_TICK_SECONDS for MAIL_POLL_RUN_SECONDS, as the
    evaluator ticks: a message waits seconds for the queue, not a minute (0 = one poll a run).
    Without an IMAP mailbox the run ends at once: a worker held for nothing is one the alerts'
    delivery waits for. A stopping cluster ends the run at its next pause."""
    from slaops.stopping import pause

    tick = settings.MAIL_POLL_TICK_SECONDS
    stop = time.monotonic() + settings.MAIL_POLL_RUN_SECONDS
    while True:
        report = poll_all()
        if not report or tick <= 0 or time.monotonic() + tick > stop or not pause(tick):
            return report


def send() -> str:
    """Send the replies that are due (schedule `mail-send`, and right after a reply commits)."""
    report = send_due()
    return f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed"
