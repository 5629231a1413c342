"""What an incoming e-mail becomes: a thread with its clocks, a message on the thread it answers,
an automatic message, a flagged bounce, or nothing (our own mail, a repeat)."""

from datetime import timedelta

import pytest

from mail.ingest import ingest
from mail.models import Attachment, InboundEmail, OutboundEmail
from mail.parsing import ParseError
from tests.mail.conftest import MONDAY, at, mail
from threads import services
from threads.models import Message, SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def take(desk, raw, moment=MONDAY):
    with at(moment):
        return ingest(raw, mailbox=desk["mailbox"], via="file")


def verified(raw: bytes, domain="acme.com") -> bytes:
    """As the mailbox's receiving server hands it on: its DMARC verdict on top."""
    return (
        f"Authentication-Results: mx.example.net; dmarc=pass header.from={domain}\r\n".encode()
        + raw
    )


def running(thread):
    return sorted(
        SlaClock.objects.filter(thread=thread, state="pending").values_list("metric", flat=True)
    )


def test_a_customer_email_opens_a_thread_with_its_clocks_contact_and_account(desk):
    inbound = take(desk, mail()).inbound
    thread = inbound.thread
    assert inbound.kind == InboundEmail.Kind.CUSTOMER
    assert (thread.subject, thread.channel, thread.priority) == ("Printer on fire", "email", "high")
    assert thread.team == desk["team"] and thread.source == desk["mailbox"].source
    assert (thread.contact.email, thread.contact.name) == ("ann@acme.com", "Ann Lee")
    assert thread.account == desk["acme"]  # by the e-mail's domain
    assert running(thread) == ["first_response", "resolution"]
    assert thread.messages.get().body == "Hello,\nthe printer is on fire.\nAnn"


def test_the_same_message_twice_is_stored_once(desk):
    first = take(desk, mail())
    again = take(desk, mail(), MONDAY + timedelta(minutes=1))
    assert first.new and not again.new
    assert again.inbound == first.inbound
    assert Message.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_an_answer_to_our_reply_lands_on_the_same_thread_and_starts_next_response(desk, agent):
    from mail.services import reply_queue

    thread = take(desk, mail()).inbound.thread
    with at(MONDAY + timedelta(minutes=10)):
        reply, _ = services.agent_reply(thread=thread, author=agent, body="Unplug it")
        outbound = reply_queue(message=reply, author=agent)
    answer = mail(
        subject=f"Re: Printer on fire [#{thread.pk}]",
        body="Done, still smoking.",
        message_id="<m2@acme.com>",
        date=MONDAY + timedelta(minutes=20),  # written after our reply it answers
        headers={
            "In-Reply-To": outbound.message_id,
            "References": f"<m1@acme.com> {outbound.message_id}",
        },
    )
    inbound = take(desk, answer, MONDAY + timedelta(minutes=20)).inbound
    assert inbound.thread == thread
    assert running(thread) == ["next_response", "resolution"]


def test_a_vouched_follow_up_to_the_customers_first_mail_threads_by_references(desk):
    desk["mailbox"].authserv_id = "mx.example.net"
    desk["mailbox"].save()
    thread = take(desk, mail()).inbound.thread
    later = verified(
        mail(
            message_id="<m3@acme.com>", body="More detail", headers={"References": "<m1@acme.com>"}
        )
    )
    assert take(desk, later, MONDAY + timedelta(minutes=5)).inbound.thread == thread
    assert thread.messages.count() == 2


def test_the_subject_tag_threads_only_for_the_threads_own_contact_vouched_for(desk):
    desk["mailbox"].authserv_id = "mx.example.net"
    desk["mailbox"].save()
    thread = take(desk, mail()).inbound.thread
    own = verified(mail(subject=f"Printer [#{thread.pk}]", message_id="<t1@acme.com>"))
    stranger = mail(
        subject=f"Printer [#{thread.pk}]", message_id="<t2@evil.example>", sender="x@evil.example"
    )
    assert take(desk, own).inbound.thread == thread
    assert take(desk, stranger).inbound.thread != thread


def test_an_out_of_office_reply_is_an_automatic_message_that_starts_nothing(desk, agent):
    from mail.services import reply_queue

    thread = take(desk, mail()).inbound.thread
    with at(MONDAY + timedelta(minutes=10)):
        reply, _ = services.agent_reply(thread=thread, author=agent, body="On it")
        outbound = reply_queue(message=reply, author=agent)
    ooo = mail(
        subject="Out of office",
        body="Back on Monday",
        message_id="<ooo@acme.com>",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": outbound.message_id},
    )
    inbound = take(desk, ooo, MONDAY + timedelta(minutes=20)).inbound
    assert inbound.kind == InboundEmail.Kind.AUTO_REPLY
    assert inbound.thread_message.automatic and not inbound.thread_message.needs_reply
    assert running(thread) == ["resolution"]  # no next-response clock


def test_an_out_of_office_on_a_resolved_thread_does_not_reopen_it(desk, agent):
    thread = take(desk, mail()).inbound.thread
    with at(MONDAY + timedelta(minutes=10)):
        services.thread_set_status(thread=thread, status="resolved", actor=agent)
    ooo = mail(
        message_id="<ooo2@acme.com>", headers={"X-Autoreply": "yes", "In-Reply-To": "<m1@acme.com>"}
    )
    inbound = take(desk, ooo, MONDAY + timedelta(minutes=20)).inbound
    thread.refresh_from_db()
    assert thread.status == "resolved" and inbound.thread_message is None


def test_a_bounce_is_stored_and_flags_the_reply_it_is_about(desk, agent):
    from mail.services import reply_queue

    thread = take(desk, mail()).inbound.thread
    with at(MONDAY + timedelta(minutes=10)):
        reply, _ = services.agent_reply(thread=thread, author=agent, body="On it")
        outbound = reply_queue(message=reply, author=agent)
    bounce = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: support@example.net\r\n"
        b"Subject: Undelivered\r\nMessage-ID: <b1@mx>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nNo such user\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        + f"Message-ID: {outbound.message_id}\r\n".encode()
        + b"--b--\r\n"
    )
    inbound = take(desk, bounce, MONDAY + timedelta(minutes=12)).inbound
    outbound.refresh_from_db()
    assert inbound.kind == InboundEmail.Kind.BOUNCE and inbound.thread == thread
    assert outbound.bounced
    assert thread.messages.count() == 2  # nothing added, nothing started
    assert running(thread) == ["resolution"]


def test_our_own_reply_coming_back_is_ignored(desk, agent):
    from mail.services import reply_queue

    thread = take(desk, mail()).inbound.thread
    with at(MONDAY + timedelta(minutes=10)):
        reply, _ = services.agent_reply(thread=thread, author=agent, body="On it")
        outbound = reply_queue(message=reply, author=agent)
    echo = mail(sender="Support <support@example.net>", message_id=outbound.message_id)
    inbound = take(desk, echo, MONDAY + timedelta(minutes=11)).inbound
    assert inbound.kind == InboundEmail.Kind.LOOP and inbound.thread is None
    assert OutboundEmail.objects.count() == 1 and thread.messages.count() == 2


def test_mail_from_one_of_our_own_addresses_never_opens_a_thread(desk):
    inbound = take(desk, mail(sender="support@example.net", message_id="<own@x>")).inbound
    assert inbound.kind == InboundEmail.Kind.LOOP and inbound.thread is None


def test_attachments_are_kept_with_name_type_and_size(desk, media):
    raw = mail(attachments=[("photo.png", "image/png", b"\x89PNG....")])
    inbound = take(desk, raw).inbound
    [attachment] = Attachment.objects.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "photo.png",
        "image/png",
        8,
    )
    assert attachment.message == inbound.thread_message
    assert attachment.file.read() == b"\x89PNG...."
    assert str(media) in attachment.file.path


def test_the_customers_date_is_believed_back_a_little_and_never_ahead(desk, settings):
    settings.MAIL_DATE_TRUST_SECONDS = 900
    late = take(desk, mail(date=MONDAY - timedelta(minutes=5))).inbound.thread
    assert late.created_at == MONDAY - timedelta(minutes=5)
    old = take(desk, mail(message_id="<old@x>", date=MONDAY - timedelta(days=3))).inbound.thread
    assert old.created_at == MONDAY - timedelta(minutes=15)
    future = take(desk, mail(message_id="<f@x>", date=MONDAY + timedelta(hours=2))).inbound.thread
    assert future.created_at == MONDAY


def test_what_is_not_an_email_is_refused(desk):
    with pytest.raises(ParseError):
        take(desk, b"garbage")
    assert not InboundEmail.objects.exists()
