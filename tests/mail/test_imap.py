"""Reading a real IMAP server (Dovecot on 127.0.0.1): every unread message once, marked read on
the server only after it is stored; "Test connection" in plain words."""

from datetime import timedelta
from unittest import mock

import pytest
from imap_tools import MailBoxUnencrypted

from mail.connections import MailServerError, connection_report
from mail.imap import poll, poll_all
from mail.models import InboundEmail
from slaops import outbound
from slaops.health.heartbeats import last_beat, mailbox_name
from tests.mail.conftest import MONDAY, at, mail
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_a_customer_mails_the_mailbox_and_the_poll_opens_the_thread(imap_server, imap_mailbox):
    imap_server.deliver(imap_mailbox.imap_user, mail())
    with at(MONDAY):
        result = poll(imap_mailbox)
    assert (result.fetched, result.new) == (1, 1)
    thread = Thread.objects.get()
    assert thread.source == imap_mailbox.source and thread.contact.email == "ann@acme.com"
    assert imap_server.unread(imap_mailbox.imap_user) == 0  # marked read once stored
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_polled_at == MONDAY and imap_mailbox.last_error == ""
    assert last_beat(mailbox_name(imap_mailbox.pk)) == MONDAY  # /status: the last good poll


def test_the_same_message_polled_twice_is_stored_once(imap_server, imap_mailbox):
    # Delivered twice (a server that lost the read flag, a copy in the folder): one thread.
    imap_server.deliver(imap_mailbox.imap_user, mail(), mail())
    with at(MONDAY):
        assert poll(imap_mailbox).new == 1
    imap_server.deliver(imap_mailbox.imap_user, mail())
    with at(MONDAY + timedelta(minutes=1)):
        assert poll(imap_mailbox).new == 0
        assert poll(imap_mailbox).fetched == 0  # nothing unread: nothing fetched
    assert Thread.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_a_message_that_cannot_be_read_is_set_aside_and_the_others_come_in(
    imap_server, imap_mailbox
):
    imap_server.deliver(
        imap_mailbox.imap_user, b"only words, no headers\r\n", mail(message_id="<ok@x>")
    )
    with at(MONDAY):
        result = poll(imap_mailbox)
    assert result.new == 1 and len(result.refused) == 1
    imap_mailbox.refresh_from_db()
    assert "not an e-mail" in imap_mailbox.last_error
    assert imap_server.unread(imap_mailbox.imap_user) == 0  # it does not block the mailbox


def test_a_poll_takes_at_most_its_batch_and_the_next_takes_the_rest(imap_server, imap_mailbox):
    imap_server.deliver(imap_mailbox.imap_user, *[mail(message_id=f"<b{n}@x>") for n in range(5)])
    with at(MONDAY):
        assert poll(imap_mailbox, limit=3).new == 3
        assert poll(imap_mailbox, limit=3).new == 2
    assert Thread.objects.count() == 5


def test_a_wrong_password_is_said_in_plain_words(imap_server, imap_mailbox):
    imap_mailbox.imap_password = "wrong"
    with pytest.raises(MailServerError, match="refused the user name or password"):
        poll(imap_mailbox)
    imap_mailbox.refresh_from_db()
    assert "refused the user name or password" in imap_mailbox.last_error
    assert last_beat(mailbox_name(imap_mailbox.pk)) is None  # not a successful poll


def test_the_connection_report_says_what_failed_and_what_worked(imap_server, imap_mailbox):
    [(ok, said), _] = connection_report(imap_mailbox)
    assert ok and "signed in" in said
    imap_mailbox.imap_folder = "Support/Tickets"
    [(ok, said), _] = connection_report(imap_mailbox)
    assert not ok and "has no folder “Support/Tickets”" in said


def test_nothing_listening_is_said_in_plain_words(imap_mailbox):
    from tests.threads.servers import free_port

    imap_mailbox.imap_port = free_port()
    [(ok, said), _] = connection_report(imap_mailbox)
    assert not ok and "Nothing answers at 127.0.0.1" in said


def test_a_private_address_is_refused_unless_the_operator_allows_it(imap_mailbox, settings):
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    [(ok, said), _] = connection_report(imap_mailbox)
    assert not ok and "not allowed, 127.0.0.1 is a loopback address" in said


def test_test_connection_names_no_address_an_internal_host_resolves_to(
    imap_mailbox, settings, monkeypatch
):
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["10.20.30.40"])
    imap_mailbox.imap_host = imap_mailbox.smtp_host = "db.internal.example"
    [(ok, said), (sent, smtp_said)] = connection_report(imap_mailbox)
    assert not ok and not sent
    for text in (said, smtp_said):
        assert "db.internal.example" in text and "a private address" in text
        assert "10.20.30.40" not in text


def test_one_failing_mailbox_does_not_stop_the_others(imap_server, imap_mailbox, desk):
    from mail.models import Mailbox

    Mailbox.objects.create(
        name="Broken",
        address="broken@example.net",
        imap_host="127.0.0.1",
        imap_port=1,
        imap_user="x",
        imap_security="none",
    )
    imap_server.deliver(imap_mailbox.imap_user, mail())
    with at(MONDAY):
        report = poll_all()
    assert report["Support"] == "1 new of 1"
    assert report["Broken"].startswith("failed:")


def test_an_oversize_email_is_noted_on_its_thread_once_and_stays_in_the_mailbox(
    imap_server, imap_mailbox, settings
):
    settings.MAIL_MAX_MESSAGE_BYTES = 100 * 1024
    big = mail(
        message_id="<big@acme.com>",
        attachments=[("scan.pdf", "application/pdf", b"x" * 200 * 1024)],
    )
    imap_server.deliver(imap_mailbox.imap_user, big, mail(message_id="<small@acme.com>"))
    fetched = []
    real_fetch = MailBoxUnencrypted.fetch

    def spy(box, *args, **kwargs):
        fetched.append(kwargs.get("headers_only", False))
        return real_fetch(box, *args, **kwargs)

    with mock.patch.object(MailBoxUnencrypted, "fetch", spy), at(MONDAY):
        poll(imap_mailbox)
        poll(imap_mailbox)
    noted = InboundEmail.objects.get(message_id="<big@acme.com>")
    message = noted.thread_message
    assert "was too large to import" in message.body and "ann@acme.com" in message.body
    assert "still in the mailbox support@example.net" in message.body
    assert noted.attachments.count() == 0 and Thread.objects.count() == 2
    assert InboundEmail.objects.count() == 2 and fetched[0] is True  # headers only, first
    user = imap_mailbox.imap_user
    with MailBoxUnencrypted(imap_server.host, imap_server.port).login(
        user, imap_server.users[user]
    ) as box:
        kept = [m for m in box.fetch(mark_seen=False) if m.size_rfc822 > 100 * 1024]
    assert len(kept) == 1 and {"\\Seen", "\\Flagged"} <= set(kept[0].flags)
