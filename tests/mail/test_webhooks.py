"""Inbound mail from providers (django-anymail's views): the provider's basic auth or signature
is checked, the message goes through the same ingest, and an endpoint nobody configured is
closed."""

import hashlib
import hmac
import json
import warnings
from base64 import b64encode

import pytest
from django.test import Client

from mail.models import InboundEmail
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
