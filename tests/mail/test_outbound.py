"""Agents' replies reaching the customer: SMTP per mailbox (aiosmtpd on 127.0.0.1) or EMAIL_URL,
with the threading headers, retries with backoff, and failures said with the reason."""

from datetime import timedelta

import pytest

from mail.ingest import ingest
from mail.matching import thread_token
from mail.models import OutboundEmail
from mail.outbox import send_due
from mail.services import NotSendable, reply_queue, retry_now
from tests.mail.conftest import MONDAY, at, mail
from tests.threads.servers import free_port, smtp_server
from threads import services

pytestmark = [pytest.mark.django_db, pytest.mark.both]
Status = OutboundEmail.Status


@pytest.fixture
def thread(desk):
    with at(MONDAY):
        return ingest(mail(), mailbox=desk["mailbox"], via="file").inbound.thread


def reply(thread, agent, body="Unplug it, please.", moment=MONDAY + timedelta(minutes=5)):
    with at(moment):
        message, _ = services.agent_reply(thread=thread, author=agent, body=body)
        return reply_queue(message=message, author=agent)


def use_smtp(mailbox, server):
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = server.host, server.port, "none"
    mailbox.save()


def send(moment):
    with at(moment):
        return send_due()


def test_a_reply_reaches_the_customer_with_the_threading_headers(thread, agent, desk):
    agent.first_name, agent.last_name = "Alex", "Kim"
    agent.save()
    with smtp_server() as server:
        use_smtp(desk["mailbox"], server)
        outbound = reply(thread, agent)
        assert send(MONDAY + timedelta(minutes=5)).sent == 1
    [received] = server.received
    headers = received.message
    assert received.rcpt_tos == ["ann@acme.com"]
    assert str(headers["From"]) == "Alex Kim <support@example.net>"
    assert (
        str(headers["Subject"]) == f"Re: Printer on fire [#{thread.pk}-{thread_token(thread.pk)}]"
    )
    assert "Reply-To" not in headers  # plus-addressing is off until a manager ticks it
    assert str(headers["Message-ID"]) == outbound.message_id
    assert str(headers["In-Reply-To"]) == "<m1@acme.com>"
    assert str(headers["References"]) == "<m1@acme.com>"
    assert received.part("text/plain").strip() == "Unplug it, please."
    outbound.refresh_from_db()
    assert (outbound.status, outbound.sent_at) == (Status.SENT, MONDAY + timedelta(minutes=5))


def test_without_its_own_smtp_server_a_mailbox_sends_through_email_url(thread, agent, mailoutbox):
    reply(thread, agent)
    send(MONDAY + timedelta(minutes=5))
    [sent] = mailoutbox
    assert sent.to == ["ann@acme.com"] and sent.from_email.endswith("<support@example.net>")


def test_a_mail_server_that_is_down_is_retried_with_backoff_then_sent(thread, agent, desk):
    port = free_port()
    mailbox = desk["mailbox"]
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = "127.0.0.1", port, "none"
    mailbox.save()
    outbound = reply(thread, agent)
    assert send(MONDAY + timedelta(minutes=5)).retrying == 1
    outbound.refresh_from_db()
    assert (
        outbound.status == Status.RETRYING and "Nothing answers at 127.0.0.1" in outbound.last_error
    )
    wait = outbound.next_attempt_at - (MONDAY + timedelta(minutes=5))
    assert timedelta(seconds=24) <= wait <= timedelta(seconds=36)
    assert send(MONDAY + timedelta(minutes=5, seconds=10)).retrying == 0  # not due yet
    with smtp_server() as server:
        use_smtp(mailbox, server)
        assert send(MONDAY + timedelta(minutes=6)).sent == 1
    assert len(server.received) == 1


def test_a_refused_recipient_fails_at_once_with_the_reason_and_can_be_retried(thread, agent, desk):
    with smtp_server(refuse={"ann@acme.com": "550 No such user"}) as server:
        use_smtp(desk["mailbox"], server)
        outbound = reply(thread, agent)
        assert send(MONDAY + timedelta(minutes=5)).failed == 1
        outbound.refresh_from_db()
        assert outbound.status == Status.FAILED
        assert outbound.last_error == "Recipient refused: 550 No such user"
        server.refuse.clear()
        with at(MONDAY + timedelta(minutes=8)):
            assert retry_now(outbound=outbound)
        assert send(MONDAY + timedelta(minutes=8)).sent == 1


def test_retrying_gives_up_after_a_day(thread, agent, desk, settings):
    mailbox = desk["mailbox"]
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = "127.0.0.1", free_port(), "none"
    mailbox.save()
    outbound = reply(thread, agent)
    OutboundEmail.objects.filter(pk=outbound.pk).update(status=Status.RETRYING)
    assert send(MONDAY + timedelta(hours=25)).failed == 1


def test_two_workers_never_send_one_reply_twice(thread, agent, desk):
    with smtp_server() as server:
        use_smtp(desk["mailbox"], server)
        reply(thread, agent)
        send(MONDAY + timedelta(minutes=5))
        send(MONDAY + timedelta(minutes=5))
    assert len(server.received) == 1


def test_a_send_that_died_midway_is_sent_again_with_the_same_message_id(thread, agent, desk):
    with smtp_server() as server:
        use_smtp(desk["mailbox"], server)
        outbound = reply(thread, agent)
        OutboundEmail.objects.filter(pk=outbound.pk).update(
            status=Status.SENDING, claimed_until=MONDAY + timedelta(minutes=6)
        )
        assert send(MONDAY + timedelta(minutes=5, seconds=30)).sent == 0  # still claimed
        assert send(MONDAY + timedelta(minutes=7)).sent == 1
    assert str(server.received[0].message["Message-ID"]) == outbound.message_id


def test_internal_notes_are_never_sent(thread, agent):
    with at(MONDAY + timedelta(minutes=5)):
        note, _ = services.agent_reply(thread=thread, author=agent, body="toner?", public=False)
        with pytest.raises(NotSendable, match="internal notes never are"):
            reply_queue(message=note, author=agent)


def test_a_thread_that_did_not_come_by_email_has_nothing_to_send_from(desk, agent):
    with at(MONDAY):
        other = services.thread_create(subject="API", first_message="hi", source="api").thread
        message, _ = services.agent_reply(thread=other, author=agent, body="On it")
        with pytest.raises(NotSendable, match="no active mailbox"):
            reply_queue(message=message, author=agent)


def test_a_subject_that_tries_to_add_headers_stays_one_line(desk, agent, mailoutbox):
    raw = mail(subject="Help =?utf-8?q?=0D=0ABcc:_x@evil.example?=")
    with at(MONDAY):
        thread = ingest(raw, mailbox=desk["mailbox"], via="file").inbound.thread
    reply(thread, agent)
    send(MONDAY + timedelta(minutes=5))
    [sent] = mailoutbox
    assert sent.bcc == [] and "\n" not in sent.subject
