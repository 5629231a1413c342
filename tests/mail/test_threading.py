"""Which thread an e-mail joins (docs/rules.md): only what a forger cannot know or fake joins
one; a thread merely named gets nothing, the new thread a note "possibly about #T"."""

import json
import warnings
from base64 import b64encode
from datetime import timedelta

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, EventType
from django.test import Client

from mail.ingest import ingest
from mail.matching import reply_address, thread_token
from mail.models import InboundEmail, Mailbox
from mail.outbox import build
from mail.services import reply_queue
from mail.webhooks import AmazonSesInbound, mailbox_for, receive
from tests.mail.conftest import MONDAY, at, mail
from threads import services
from threads.models import SlaClock, SlaEvent, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]
LATER = MONDAY + timedelta(hours=1)


def take(mailbox, raw, moment=LATER, **kwargs):
    with at(moment):
        return ingest(raw, mailbox=mailbox, via="file", **kwargs).inbound


def on_top(field: str, raw: bytes) -> bytes:
    """As a receiving server hands a message on: its Authentication-Results above the rest."""
    return f"Authentication-Results: {field}\r\n".encode() + raw


def state(thread: Thread) -> tuple:
    """Everything a forged e-mail must leave as it was."""
    thread.refresh_from_db()
    clocks = list(
        SlaClock.objects.filter(thread=thread)
        .order_by("pk")
        .values_list("metric", "state", "due_at", "stopped_at")
    )
    return (
        thread.status,
        thread.updated_at,
        thread.last_customer_message_at,
        clocks,
        SlaEvent.objects.filter(thread=thread).count(),
        thread.messages.count(),
    )


def noted(thread: Thread) -> str:
    note = thread.messages.get(public=False)
    assert note.automatic and note.author_kind == "system"
    return note.body


@pytest.fixture
def mailbox(desk):
    box = desk["mailbox"]
    box.authserv_id = "mx.example.net"
    box.save()
    return box


@pytest.fixture
def email_thread(mailbox, agent):
    """Ann's e-mail thread, answered and resolved."""
    thread = take(mailbox, mail(), MONDAY).thread
    with at(MONDAY + timedelta(minutes=5)):
        services.agent_reply(thread=thread, author=agent, body="Fixed.")
        services.thread_resolve(thread=thread, actor=agent)
    return thread


def forged(thread, **overrides):
    fields = {
        "subject": f"Re: Printer on fire [#{thread.pk}]",
        "body": "Please wire the refund to IBAN DE00 1234.",
        "sender": "Ann Lee <ann@acme.com>",
        "message_id": "<forged-1@evil.example>",
    }
    return mail(**{**fields, **overrides})


# The attack of issue 20: a forged From and a [#id] in the subject.


def test_a_forged_mail_naming_a_slack_thread_opens_a_new_thread_and_leaves_it_alone(mailbox, agent):
    with at(MONDAY):
        slack = services.thread_create(
            subject="Export broken",
            first_message="Exports fail",
            contact_email="ann@acme.com",
            channel="chat",
            source="slack:T1",
            external_id="C1/1.0",
        ).thread
    with at(MONDAY + timedelta(minutes=5)):
        services.agent_reply(thread=slack, author=agent, body="Fixed.")
        services.thread_resolve(thread=slack, actor=agent)
    before = state(slack)
    inbound = take(mailbox, forged(slack))
    assert inbound.thread != slack
    assert state(slack) == before  # still resolved, clocks and history as they were
    assert noted(inbound.thread).startswith(f"Possibly about #{slack.pk}:")
    assert inbound.thread.source == mailbox.source and inbound.thread.status == "open"


def test_a_forged_mail_naming_an_email_thread_opens_a_new_thread_and_leaves_it_alone(
    mailbox, email_thread
):
    before = state(email_thread)
    inbound = take(mailbox, forged(email_thread))
    assert inbound.thread != email_thread and not inbound.sender_vouched
    assert state(email_thread) == before
    assert noted(inbound.thread).startswith(f"Possibly about #{email_thread.pk}:")


def test_a_forged_mail_naming_the_customers_own_message_id_does_not_join_either(
    mailbox, email_thread
):
    before = state(email_thread)
    raw = forged(
        email_thread, subject="Re: Printer on fire", headers={"In-Reply-To": "<m1@acme.com>"}
    )
    inbound = take(mailbox, raw)
    assert inbound.thread != email_thread and state(email_thread) == before
    assert noted(inbound.thread).startswith(f"Possibly about #{email_thread.pk}:")


# What does join.


def test_a_reply_to_our_own_message_id_joins_whoever_writes_it(mailbox, email_thread, agent):
    with at(MONDAY + timedelta(minutes=10)):
        message, _ = services.agent_reply(thread=email_thread, author=agent, body="Anything else?")
        outbound = reply_queue(message=message, author=agent)
    colleague = mail(
        subject="Re: your question",  # a mail client that dropped the tag
        sender="Bob <bob@acme.com>",
        message_id="<b1@acme.com>",
        headers={"In-Reply-To": outbound.message_id},
    )
    assert take(mailbox, colleague).thread == email_thread


def test_the_subject_token_of_our_replies_joins_the_thread(mailbox, email_thread):
    raw = mail(
        subject=f"Re: Printer on fire [#{email_thread.pk}-{thread_token(email_thread.pk)}]",
        message_id="<t1@acme.com>",
    )
    inbound = take(mailbox, raw)
    assert inbound.thread == email_thread
    email_thread.refresh_from_db()
    assert email_thread.status == "open"  # a customer's answer reopens, as always


def test_a_made_up_token_is_only_a_bare_tag(mailbox, email_thread):
    before = state(email_thread)
    inbound = take(mailbox, forged(email_thread, subject=f"Re: x [#{email_thread.pk}-aaaaaaaaaa]"))
    assert inbound.thread != email_thread and state(email_thread) == before


def test_a_token_made_with_the_previous_secret_key_still_joins(mailbox, email_thread, settings):
    token = thread_token(email_thread.pk)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-after-rotation-" + "x" * 40
    raw = mail(subject=f"Re: [#{email_thread.pk}-{token}]", message_id="<t2@acme.com>")
    assert take(mailbox, raw).thread == email_thread


def test_a_reply_to_the_plus_address_joins_and_the_webhook_still_finds_the_mailbox(
    mailbox, email_thread, settings
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "postmaster:s3cret-words"}
    address = reply_address(mailbox, email_thread.pk)
    assert address == f"support+{email_thread.pk}-{thread_token(email_thread.pk)}@example.net"
    assert mailbox_for([address.upper()]) == mailbox
    raw = mail(subject="Re: (subject lost)", to=address, message_id="<p1@acme.com>")
    with warnings.catch_warnings(), at(LATER):
        warnings.simplefilter("ignore")  # anymail no longer tests SendGrid itself
        response = Client().post(
            "/mail/inbound/sendgrid/",
            {"email": raw.decode(), "envelope": json.dumps({"to": [address], "from": "a@b.c"})},
            HTTP_AUTHORIZATION="Basic " + b64encode(b"postmaster:s3cret-words").decode(),
        )
    assert response.status_code == 200
    inbound = InboundEmail.objects.get(message_id="<p1@acme.com>")
    assert inbound.mailbox == mailbox and inbound.thread == email_thread


def test_our_replies_carry_the_token_in_the_subject_and_the_plus_address_when_ticked(
    mailbox, email_thread, agent
):
    mailbox.plus_addressing = True
    mailbox.save()
    Thread.objects.filter(pk=email_thread.pk).update(subject="Printer [#99] on fire")
    with at(LATER):
        message, _ = services.agent_reply(thread=email_thread, author=agent, body="On it")
        outbound = reply_queue(message=message, author=agent)
    token = thread_token(email_thread.pk)
    assert outbound.subject == f"Re: Printer on fire [#{email_thread.pk}-{token}]"
    sent = build(outbound).message()
    assert str(sent["Reply-To"]) == f"support+{email_thread.pk}-{token}@example.net"


def test_a_colleague_who_was_copied_joins_by_the_customers_message_id(mailbox):
    first = take(mailbox, mail(to="support@example.net, Bob <bob@acme.com>"), MONDAY).thread
    raw = mail(
        sender="bob@acme.com", message_id="<b2@acme.com>", headers={"References": "<m1@acme.com>"}
    )
    assert take(mailbox, raw).thread == first


# Vouched for: DMARC pass from the mailbox's own receiving server.


def test_dmarc_pass_from_the_configured_server_lets_the_contact_join_by_a_bare_tag(
    mailbox, email_thread
):
    raw = on_top("mx.example.net; dmarc=pass (p=reject) header.from=acme.com", forged(email_thread))
    inbound = take(mailbox, raw)
    assert inbound.sender_vouched and inbound.thread == email_thread


def test_a_vouched_contact_still_cannot_join_a_thread_of_another_source_by_tag(mailbox, agent):
    with at(MONDAY):
        api = services.thread_create(
            subject="Via API", first_message="x", contact_email="ann@acme.com", source="api"
        ).thread
    raw = on_top("mx.example.net; dmarc=pass header.from=acme.com", forged(api))
    inbound = take(mailbox, raw)
    assert inbound.sender_vouched and inbound.thread != api
    assert noted(inbound.thread).startswith(f"Possibly about #{api.pk}:")


def test_a_vouched_stranger_cannot_join_by_tag(mailbox, email_thread):
    raw = on_top(
        "mx.example.net; dmarc=pass header.from=evil.example",
        forged(email_thread, sender="eve@evil.example"),
    )
    assert take(mailbox, raw).thread != email_thread


@pytest.mark.parametrize(
    "fields",
    [
        # The attacker's own field, from a server name of their choosing.
        ["mx.evil.example; dmarc=pass header.from=acme.com"],
        # Our server's name, but below our server's own verdict (a sender can add any below).
        [
            "mx.example.net; dmarc=fail header.from=acme.com",
            "mx.example.net; dmarc=pass header.from=acme.com",
        ],
        # A pass for another domain than the From's.
        ["mx.example.net; dmarc=pass header.from=evil.example"],
        # Our server's field without a header.from: not aligned with anything.
        ["mx.example.net; dmarc=pass"],
        # Something unreadable on top: nothing below it is trusted.
        ["mx.example.net; dmarc", "mx.example.net; dmarc=pass header.from=acme.com"],
    ],
)
def test_authentication_results_not_written_by_our_server_for_this_sender_are_ignored(
    mailbox, email_thread, fields
):
    raw = forged(email_thread)
    for field in reversed(fields):
        raw = on_top(field, raw)
    inbound = take(mailbox, raw)
    assert not inbound.sender_vouched and inbound.thread != email_thread


def test_a_field_the_sender_wrote_under_our_servers_name_lower_down_is_ignored(
    mailbox, email_thread
):
    inside = forged(
        email_thread,
        headers={"Authentication-Results": "mx.example.net; dmarc=pass header.from=acme.com"},
    )
    raw = on_top("mx.example.net; dmarc=none header.from=acme.com", inside)
    assert not take(mailbox, raw).sender_vouched


def test_several_from_addresses_are_never_vouched_for(mailbox, email_thread):
    raw = on_top(
        "mx.example.net; dmarc=pass header.from=acme.com",
        forged(email_thread, sender="ann@acme.com, eve@evil.example"),
    )
    inbound = take(mailbox, raw)
    assert not inbound.sender_vouched and inbound.thread != email_thread


def test_no_server_named_means_no_sender_is_vouched_for(mailbox, email_thread):
    Mailbox.objects.filter(pk=mailbox.pk).update(authserv_id="")
    mailbox.refresh_from_db()
    raw = on_top("mx.example.net; dmarc=pass header.from=acme.com", forged(email_thread))
    assert not take(mailbox, raw).sender_vouched


MICROSOFT = (
    "spf=pass (sender IP is 40.107.1.2) smtp.mailfrom=acme.com; dkim=pass (signature was "
    "verified) header.d=acme.com;dmarc={verdict} action=none header.from=acme.com;compauth=pass "
    "reason=100"
)


def test_microsoft_365_is_read_from_the_topmost_field(mailbox, email_thread):
    mailbox.authserv_id, mailbox.microsoft_365 = "", True
    mailbox.save()
    raw = on_top(MICROSOFT.format(verdict="pass"), forged(email_thread))
    inbound = take(mailbox, raw)
    assert inbound.sender_vouched and inbound.thread == email_thread


def test_microsoft_365_ignores_a_pass_below_its_own_verdict(mailbox, email_thread):
    mailbox.authserv_id, mailbox.microsoft_365 = "", True
    mailbox.save()
    inside = forged(
        email_thread, headers={"Authentication-Results": "x; dmarc=pass header.from=acme.com"}
    )
    raw = on_top(MICROSOFT.format(verdict="fail"), inside)
    inbound = take(mailbox, raw)
    assert not inbound.sender_vouched and inbound.thread != email_thread


def test_amazon_ses_says_dmarc_passed_in_its_receipt(mailbox, email_thread):
    def event(status):
        receipt = {"dmarcVerdict": {"status": status}, "recipients": ["support@example.net"]}
        return AnymailInboundEvent(
            event_type=EventType.INBOUND,
            message=AnymailInboundMessage.parse_raw_mime_bytes(forged(email_thread)),
            esp_event={"notificationType": "Received", "receipt": receipt},
        )

    view = object.__new__(AmazonSesInbound)  # its receipt reading, without its settings
    assert view.received(event("PASS")).dmarc_pass is True
    assert view.received(event("FAIL")).dmarc_pass is False
    failed = event("FAIL")
    with at(LATER):
        receive(view.received(failed), provider="amazon_ses")
    assert InboundEmail.objects.get(message_id="<forged-1@evil.example>").thread != email_thread
    passed = event("PASS")
    passed.message.replace_header("Message-ID", "<ses-2@acme.com>")
    with at(LATER):
        receive(view.received(passed), provider="amazon_ses")
    assert InboundEmail.objects.get(message_id="<ses-2@acme.com>").thread == email_thread
