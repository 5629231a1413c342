"""Inbound mail from providers (django-anymail's views): the provider's basic auth or signature
is checked, the message goes through the same ingest, and an endpoint nobody configured is
closed."""

import hashlib
import hmac
import json
import warnings
from base64 import b64encode
from datetime import timedelta

import pytest
from django.test import Client

from mail import webhooks
from mail.models import InboundEmail, MailgunToken
from tests.mail.conftest import MONDAY, at, mail
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]
SECRET = "postmaster:s3cret-words"


@pytest.fixture
def configured(settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun-key",
    }


def basic(secret=SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + b64encode(secret.encode()).decode()}


def sendgrid(client, raw: bytes, **auth):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anymail no longer tests SendGrid itself
        with at(MONDAY):
            return client.post(
                "/mail/inbound/sendgrid/",
                {
                    "email": raw.decode(),
                    "envelope": json.dumps({"to": ["support@example.net"], "from": "ann@acme.com"}),
                },
                **auth,
            )


def test_a_provider_delivers_a_customer_email_into_a_thread(desk, configured):
    response = sendgrid(Client(), mail(), **basic())
    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert inbound.via == "sendgrid" and inbound.mailbox == desk["mailbox"]
    assert inbound.thread.contact.email == "ann@acme.com"


def test_a_post_without_the_providers_credentials_is_refused(desk, configured):
    assert sendgrid(Client(), mail()).status_code == 400
    assert sendgrid(Client(), mail(), **basic("postmaster:guess")).status_code == 400
    assert not Thread.objects.exists()


def test_an_endpoint_nobody_configured_is_closed(desk):
    assert sendgrid(Client(), mail(), **basic()).status_code == 404
    assert not Thread.objects.exists()


def mailgun_fields(raw: bytes, key="mailgun-key", *, timestamp=None, token="tok") -> dict:
    timestamp = str(int((timestamp or MONDAY).timestamp()))
    signed = f"{timestamp}{token}".encode()
    return {
        "body-mime": raw.decode(),
        "recipient": "support@example.net",
        "timestamp": timestamp,
        "token": token,
        "signature": hmac.new(key.encode(), signed, hashlib.sha256).hexdigest(),
    }


def test_mailgun_needs_its_signature_as_well(desk, configured):
    with at(MONDAY):
        good = Client().post("/mail/inbound/mailgun/", mailgun_fields(mail()), **basic())
        forged = Client().post(
            "/mail/inbound/mailgun/", mailgun_fields(mail(message_id="<x@y>"), "wrong"), **basic()
        )
    assert (good.status_code, forged.status_code) == (200, 400)
    assert InboundEmail.objects.count() == 1


def test_mail_for_an_address_no_mailbox_has_is_dropped_not_retried(desk, configured):
    raw = mail(to="sales@elsewhere.example")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with at(MONDAY):
            response = Client().post(
                "/mail/inbound/sendgrid/",
                {
                    "email": raw.decode(),
                    "envelope": json.dumps(
                        {"to": ["sales@elsewhere.example"], "from": "ann@acme.com"}
                    ),
                },
                **basic(),
            )
    assert response.status_code == 200 and not InboundEmail.objects.exists()


def test_a_post_that_is_not_an_email_is_answered_and_nothing_is_stored(desk, configured):
    assert sendgrid(Client(), b"no headers, only words", **basic()).status_code == 200
    assert not InboundEmail.objects.exists()


def postmark(payload, **extra):
    with at(MONDAY):
        return Client().post(
            "/mail/inbound/postmark/",
            json.dumps(payload),
            content_type="application/json",
            **basic(),
            **extra,
        )


def postmark_parsed(from_full) -> dict:
    """Postmark's default inbound JSON: the message parsed, without RawEmail."""
    return {
        "FromFull": from_full,
        "ToFull": [{"Email": "support@example.net", "Name": ""}],
        "OriginalRecipient": "support@example.net",
        "Subject": "Printer on fire",
        "MessageID": "5d1b2a6e-postmark",
        "TextBody": "Hello,\nthe printer is on fire.",
        "Headers": [{"Name": "Message-ID", "Value": "<crafted@acme.com>"}],
    }


@pytest.mark.parametrize(
    "from_full",
    [
        {"Email": "", "Name": "Ann Lee"},  # no address
        {"Email": "ann@acme.com, bob@other.example", "Name": ""},  # several
        {"Email": "ann@acme.com\r\nBcc: all@acme.com", "Name": "Ann"},  # a header injected
        {"Email": "ann@acme.com", "Name": "Ann\r\nLee"},
        {"Email": "a" * 5000 + "@acme.com", "Name": "A"},  # overlong
        "ann@acme.com",  # not an object
        None,
    ],
)
def test_a_crafted_from_through_postmark_is_kept_not_a_server_error(desk, configured, from_full):
    response = postmark(postmark_parsed(from_full))
    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert inbound.kind == InboundEmail.Kind.CUSTOMER and inbound.thread is not None
    assert inbound.from_address in ("", "ann@acme.com")


def test_a_postmark_post_that_is_not_its_shape_is_a_400_naming_the_body(desk, configured):
    for payload in ([1, 2], {"RawEmail": 5, "FromFull": {"Email": "a@b.c"}, "Attachments": [1]}):
        response = postmark(payload)
        assert response.status_code == 400 and "body" in response.json()["errors"]
    with at(MONDAY):
        response = Client().post(
            "/mail/inbound/postmark/", b"\xff\xfe{", content_type="application/json", **basic()
        )
    assert response.status_code == 400 and "body" in response.json()["errors"]


def test_a_postmark_message_with_a_2_mib_attachment_comes_in_whole(desk, configured):
    content = bytes(range(256)) * (2 * 1024 * 1024 // 256)
    raw = mail(attachments=[("scan.pdf", "application/pdf", content)])
    response = postmark({"RawEmail": raw.decode(), "OriginalRecipient": "support@example.net"})
    assert response.status_code == 200
    attachment = InboundEmail.objects.get().attachments.get()
    assert attachment.size == len(content) and attachment.file.read() == content


def test_a_post_larger_than_the_providers_limit_is_refused_before_it_is_read(
    desk, configured, settings
):
    settings.MAIL_MAX_MESSAGE_BYTES = 1024 * 1024
    raw = mail(attachments=[("big.bin", "application/octet-stream", b"x" * 1024 * 1024)])
    payload = {"RawEmail": raw.decode(), "OriginalRecipient": "support@example.net"}
    body = json.dumps(payload).encode() * 2  # past twice the limit
    with at(MONDAY):
        response = Client().post(
            "/mail/inbound/postmark/", body, content_type="application/json", **basic()
        )
    assert response.status_code == 413 and "body" in response.json()["errors"]
    assert "MAIL_MAX_MESSAGE_BYTES" in response.json()["detail"]
    assert not InboundEmail.objects.exists()


def test_mailgun_refuses_a_signed_post_replayed_with_another_body(desk, configured):
    with at(MONDAY):
        first = Client().post("/mail/inbound/mailgun/", mailgun_fields(mail()), **basic())
        replay = Client().post(
            "/mail/inbound/mailgun/",
            mailgun_fields(mail(message_id="<other@x>", body="Injected")),
            **basic(),
        )
    assert first.status_code == 200
    assert replay.status_code == 400 and "token" in replay.json()["errors"]
    assert InboundEmail.objects.count() == 1


def test_mailgun_refuses_a_signature_a_month_old(desk, configured):
    old = MONDAY - timedelta(days=30)
    with at(MONDAY):
        response = Client().post(
            "/mail/inbound/mailgun/", mailgun_fields(mail(), timestamp=old), **basic()
        )
    assert response.status_code == 400 and "timestamp" in response.json()["errors"]
    assert not InboundEmail.objects.exists()


def test_mailgun_takes_a_fresh_token_and_forgets_old_ones(desk, configured):
    with at(MONDAY):
        Client().post("/mail/inbound/mailgun/", mailgun_fields(mail(), token="t1"), **basic())
    later = MONDAY + timedelta(hours=1)
    with at(later):
        response = Client().post(
            "/mail/inbound/mailgun/",
            mailgun_fields(mail(message_id="<m2@acme.com>"), timestamp=later, token="t2"),
            **basic(),
        )
    assert response.status_code == 200
    assert list(MailgunToken.objects.values_list("token", flat=True)) == ["t2"]


def ses_notification(raw: bytes, *, dmarc="PASS") -> dict:
    """What SNS posts for an SES receipt rule with an SNS action (base64 content)."""
    ses_event = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-11-23T09:59:58.000Z",
            "source": "ann@acme.com",
            "messageId": "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1",
            "destination": ["support@example.net"],
        },
        "receipt": {
            "timestamp": "2026-11-23T09:59:58.000Z",
            "recipients": ["support@example.net"],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": dmarc},
            "action": {
                "type": "SNS",
                "topicArn": "arn:aws:sns:eu-west-1:123456789012:inbound",
                "encoding": "BASE64",
            },
        },
        "content": b64encode(raw).decode(),
    }
    return {
        "Type": "Notification",
        "MessageId": "b3b3b3b3-0000-4000-8000-000000000001",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-11-23T09:59:59.000Z",
        "SignatureVersion": "1",
        "Signature": "not-checked-by-anymail",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/cert.pem",
    }


def ses(notification: dict, **auth):
    with at(MONDAY):
        return Client().post(
            "/mail/inbound/amazon_ses/",
            json.dumps(notification),
            content_type="text/plain; charset=UTF-8",  # as SNS sends it
            HTTP_X_AMZ_SNS_MESSAGE_TYPE=notification["Type"],
            HTTP_X_AMZ_SNS_MESSAGE_ID=notification["MessageId"],
            **auth,
        )


def test_amazon_ses_delivers_a_customer_email_into_a_thread(desk, configured, monkeypatch):
    seen = {}
    real_ingest = webhooks.ingest

    def spy(raw, **kwargs):
        seen.update(kwargs)
        return real_ingest(raw, **kwargs)

    monkeypatch.setattr(webhooks, "ingest", spy)
    response = ses(ses_notification(mail()), **basic())
    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert inbound.via == "amazon_ses" and inbound.thread.contact.email == "ann@acme.com"
    assert seen["provider_dmarc_pass"] is True


def test_amazon_ses_passes_on_its_dmarc_verdict_and_asks_sns_for_basic_auth(
    desk, configured, monkeypatch
):
    verdicts = []
    monkeypatch.setattr(
        webhooks, "ingest", lambda raw, **kw: verdicts.append(kw["provider_dmarc_pass"])
    )
    for status in ("FAIL", "GRAY"):
        ses(ses_notification(mail(), dmarc=status), **basic())
    assert verdicts == [False, None]
    assert ses(ses_notification(mail())).status_code == 401  # SNS then sends its basic auth
    assert ses(ses_notification(mail()), **basic("postmaster:guess")).status_code == 400


def test_an_email_larger_than_the_setting_inside_a_post_within_the_limit_is_a_413(
    desk, configured, settings
):
    settings.MAIL_MAX_MESSAGE_BYTES = 512 * 1024
    raw = mail(attachments=[("big.bin", "application/octet-stream", b"x" * 600 * 1024)])
    response = postmark({"RawEmail": raw.decode(), "OriginalRecipient": "support@example.net"})
    assert response.status_code == 413 and not InboundEmail.objects.exists()
