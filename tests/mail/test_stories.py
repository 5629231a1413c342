"""The stories of issue 12 end to end, time travelled, with a real IMAP server (Dovecot) and a
real SMTP server (aiosmtpd): a customer mails, an agent replies on the page, the customer
answers, an out-of-office and a bounce come back, a message is polled twice."""

from datetime import timedelta

import pytest

from mail.imap import poll
from mail.matching import thread_token
from mail.models import InboundEmail, OutboundEmail
from mail.outbox import send_due
from tests.mail.conftest import MONDAY, at, mail
from tests.threads.servers import smtp_server
from threads.models import SlaClock, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def clocks(thread) -> dict[str, str]:
    return dict(
        SlaClock.objects.filter(thread=thread).order_by("started_at").values_list("metric", "state")
    )


def test_a_conversation_by_email_from_first_mail_to_the_customers_answer(
    imap_server, imap_mailbox, agent, client
):
    user = imap_mailbox.imap_user
    # 10:00 the customer writes; the minute's poll opens the thread with its clocks.
    imap_server.deliver(user, mail(date=MONDAY))
    with at(MONDAY + timedelta(seconds=40)):
        poll(imap_mailbox)
    thread = Thread.objects.get()
    assert thread.created_at == MONDAY  # the Date header, a poll's delay is not the customer's
    assert clocks(thread) == {"first_response": "pending", "resolution": "pending"}

    # 10:20 the agent replies on the thread page; the SMTP server receives it, threaded.
    with smtp_server() as server:
        imap_mailbox.smtp_host, imap_mailbox.smtp_port = server.host, server.port
        imap_mailbox.smtp_security = "none"
        imap_mailbox.save()
        client.force_login(agent)
        with at(MONDAY + timedelta(minutes=20)):
            client.post(f"/threads/{thread.pk}/messages/", {"body": "Unplug it", "kind": "reply"})
            send_due()
    [sent] = server.received
    assert str(sent.message["In-Reply-To"]) == "<m1@acme.com>"
    assert str(sent.message["References"]) == "<m1@acme.com>"
    assert f"[#{thread.pk}-{thread_token(thread.pk)}]" in str(sent.message["Subject"])
    assert clocks(thread)["first_response"] == "achieved"

    # 10:45 the customer answers that message: same thread, the next-response clock starts.
    answer = mail(
        subject=str(sent.message["Subject"]),
        body="Unplugged. Still smoking.\n\nOn Mon, Support wrote:\n> Unplug it",
        message_id="<m2@acme.com>",
        date=MONDAY + timedelta(minutes=45),
        headers={
            "In-Reply-To": str(sent.message["Message-ID"]),
            "References": f"<m1@acme.com> {sent.message['Message-ID']}",
        },
    )
    imap_server.deliver(user, answer)
    with at(MONDAY + timedelta(minutes=45, seconds=30)):
        poll(imap_mailbox)
    assert Thread.objects.count() == 1
    assert clocks(thread)["next_response"] == "pending"
    assert thread.messages.order_by("id").last().body == "Unplugged. Still smoking."

    # 11:00 an out-of-office answers the reply: stored as automatic, nothing starts or stops.
    before = clocks(thread)
    ooo = mail(
        subject="Automatic reply",
        body="Out until Monday",
        message_id="<ooo@acme.com>",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": str(sent.message["Message-ID"])},
    )
    imap_server.deliver(user, ooo)
    with at(MONDAY + timedelta(hours=1)):
        poll(imap_mailbox)
    assert clocks(thread) == before
    assert thread.messages.order_by("id").last().automatic

    # The same message polled again (a client that marked it unread): still once.
    imap_server.deliver(user, answer)
    with at(MONDAY + timedelta(hours=1, minutes=1)):
        assert poll(imap_mailbox).new == 0
    assert thread.messages.count() == 4


def test_a_reply_that_bounces_is_flagged_and_starts_nothing(
    imap_server, imap_mailbox, agent, client
):
    user = imap_mailbox.imap_user
    imap_server.deliver(user, mail())
    with at(MONDAY):
        poll(imap_mailbox)
    thread = Thread.objects.get()
    client.force_login(agent)
    with at(MONDAY + timedelta(minutes=5)):
        client.post(f"/threads/{thread.pk}/messages/", {"body": "On it", "kind": "reply"})
    outbound = OutboundEmail.objects.get()
    bounce = (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: support@example.net\r\n"
        "Subject: Undelivered Mail\r\nMessage-ID: <bounce@mx>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {outbound.message_id}\r\n"
        "--b--\r\n"
    ).encode()
    imap_server.deliver(user, bounce)
    before = clocks(thread)
    with at(MONDAY + timedelta(minutes=7)):
        poll(imap_mailbox)
    outbound.refresh_from_db()
    assert outbound.bounced
    assert InboundEmail.objects.get(kind="bounce").thread == thread
    assert clocks(thread) == before and thread.messages.count() == 2
    with at(MONDAY + timedelta(minutes=8)):
        page = client.get(f"/threads/{thread.pk}/").content.decode()
    assert "bounced" in page
