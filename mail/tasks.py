"""django-q2 entry points of the mail app (declared in slaops/schedules.py)."""

from mail.imap import poll_all
from mail.outbox import send_due


def poll() -> dict[str, str]:
    """Read every active IMAP mailbox (schedule `mail-poll`)."""
    return poll_all()


def send() -> str:
    """Send the replies that are due (schedule `mail-send`, and right after a reply commits)."""
    report = send_due()
    return f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed"
