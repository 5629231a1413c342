"""Fixtures of the e-mail tests: a support desk with a mailbox, e-mails built like a mail client
builds them, and a real Dovecot when one can start."""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
import time_machine

from accounts.models import Account, Team
from mail import matching
from mail.models import Mailbox
from tests.factories import policy, tier
from tests.mail.dovecot import DovecotUnavailable, dovecot

# Monday 23 Nov 2026, 10:00 UTC: the tests' "now".
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture(autouse=True)
def media(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Worker threads have their own database connections, which cannot see a test's
    # uncommitted rows: one at a time, except where a test commits (test_crash).
    settings.MAIL_INGEST_WORKERS = 1
    monkeypatch.setattr(matching, "_addresses", (0.0, frozenset()))  # each test its mailboxes
    return settings.MEDIA_ROOT


@pytest.fixture
def desk(db, agent):
    tier("Free", default=True)
    support = Team.objects.create(name="Support")
    support.members.add(agent)
    standard = policy(
        "Standard",
        targets=[
            ("first_response", "", 60),
            ("next_response", "", 120),
            ("resolution", "", 480),
        ],
    )
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    mailbox = Mailbox.objects.create(
        name="Support", address="support@example.net", team=support, priority="high"
    )
    return {"mailbox": mailbox, "team": support, "policy": standard, "acme": acme}


def mail(
    *,
    subject="Printer on fire",
    body="Hello,\nthe printer is on fire.\nAnn",
    sender="Ann Lee <ann@acme.com>",
    to="support@example.net",
    message_id="<m1@acme.com>",
    date=None,
    html=None,
    headers=None,
    attachments=(),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message["Date"] = format_datetime(date or MONDAY)
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and body is None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    for filename, kind, content in attachments:
        maintype, subtype = kind.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    """One Dovecot per test module, with a fresh user per test (see `imap_user`)."""
    users = {f"support{n}": f"pw-{n}-secret" for n in range(40)}
    try:
        with dovecot(tmp_path_factory.mktemp("imap"), users) as server:
            yield server
    except DovecotUnavailable as error:
        pytest.skip(f"no IMAP server: {error}")


@pytest.fixture
def imap_user(imap_server, request):
    """A user of the module's Dovecot that no other test of the module uses."""
    counter = imap_server.__dict__.setdefault("_next", iter(sorted(imap_server.users)))
    return next(counter)


@pytest.fixture
def imap_mailbox(desk, imap_server, imap_user):
    mailbox = desk["mailbox"]
    mailbox.imap_host = imap_server.host
    mailbox.imap_port = imap_server.port
    mailbox.imap_security = "none"
    mailbox.imap_user = imap_user
    mailbox.imap_password = imap_server.users[imap_user]
    mailbox.save()
    return mailbox
