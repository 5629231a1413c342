"""The thread page and the API with e-mail: a reply is e-mailed, its state shows on the message
(sending, sent, failed with the reason, try again), attachments download for staff only."""

import re
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import AgentProfile
from mail.ingest import ingest
from mail.models import Attachment, OutboundEmail
from mail.outbox import send_due
from tests.mail.conftest import MONDAY, at, mail
from tests.threads.servers import smtp_server
from threads import services
from threads.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.both]


@pytest.fixture
def thread(desk):
    raw = mail(attachments=[("log.html", "text/html", b"<script>alert(1)</script>")])
    with at(MONDAY):
        return ingest(raw, mailbox=desk["mailbox"], via="file").inbound.thread


def page(client, thread, moment=MONDAY + timedelta(minutes=6)):
    with at(moment):
        return client.get(f"/threads/{thread.pk}/").content.decode()


def test_a_reply_on_the_page_is_recorded_at_once_and_e_mailed(thread, agent, client, desk):
    client.force_login(agent)
    with at(MONDAY + timedelta(minutes=5)):
        response = client.post(
            f"/threads/{thread.pk}/messages/", {"body": "On it", "kind": "reply"}, follow=True
        )
    text = response.content.decode()
    assert "Reply recorded; it is e-mailed to ann@acme.com." in text
    assert 'data-delivery-state="queued" data-channel="email"' in text
    assert 'data-metric="first_response" data-state="achieved"' in text  # at the reply's time
    with smtp_server() as server:
        mailbox = desk["mailbox"]
        mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = (
            server.host,
            server.port,
            "none",
        )
        mailbox.save()
        with at(MONDAY + timedelta(minutes=5)):
            send_due()
    assert server.to("ann@acme.com")
    assert 'data-delivery-state="sent"' in page(client, thread)


def test_the_page_says_a_reply_is_e_mailed_and_to_whom(thread, agent, client):
    client.force_login(agent)
    assert "and is e-mailed to ann@acme.com" in page(client, thread)


def test_a_failed_reply_shows_the_reason_and_try_again_sends_it_again(thread, agent, client):
    client.force_login(agent)
    with at(MONDAY + timedelta(minutes=5)):
        message, _ = services.agent_reply(thread=thread, author=agent, body="On it", send=True)
    outbound = OutboundEmail.objects.get(reply=message)
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        status="failed", last_error="Recipient refused: 550 No such user"
    )
    text = page(client, thread)
    assert re.search(r'data-delivery-state="failed".*?550 No such user.*?Try again', text, re.S)
    with at(MONDAY + timedelta(minutes=7)):
        response = client.post(f"/threads/{thread.pk}/messages/{message.pk}/retry/")
    assert response.status_code == 302
    outbound.refresh_from_db()
    assert outbound.status == "pending"


def test_an_internal_note_on_an_email_thread_is_not_sent(thread, agent, client):
    client.force_login(agent)
    with at(MONDAY + timedelta(minutes=5)):
        client.post(f"/threads/{thread.pk}/messages/", {"body": "toner?", "kind": "note"})
    assert not OutboundEmail.objects.exists()


def test_attachments_download_for_agents_and_never_render_as_a_page(thread, agent, client):
    attachment = Attachment.objects.get()
    client.force_login(agent)
    assert f'href="/mail/attachments/{attachment.pk}/"' in page(client, thread)
    response = client.get(f"/mail/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_attachments_are_not_for_anonymous_callers_or_other_teams(thread, other_agent, client):
    attachment = Attachment.objects.get()
    response = client.get(f"/mail/attachments/{attachment.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    AgentProfile.objects.create(user=other_agent, only_my_teams=True)
    client.force_login(other_agent)
    assert client.get(f"/mail/attachments/{attachment.pk}/").status_code == 404


def api(agent):
    client = APIClient()
    client.force_login(agent)
    return client


def test_the_api_sends_a_reply_when_asked(thread, agent):
    with at(MONDAY + timedelta(minutes=5)):
        response = api(agent).post(
            f"/api/v1/threads/{thread.pk}/messages/",
            {"author": "agent", "body": "On it", "send": True},
            format="json",
        )
    assert response.status_code == 201
    outbound = OutboundEmail.objects.get()
    assert outbound.reply_id == response.json()["id"] and outbound.to_address == "ann@acme.com"


def test_the_api_does_not_send_unless_asked(thread, agent):
    with at(MONDAY + timedelta(minutes=5)):
        response = api(agent).post(
            f"/api/v1/threads/{thread.pk}/messages/",
            {"author": "agent", "body": "x"},
            format="json",
        )
    assert response.status_code == 201 and not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"author": "agent", "body": "x", "public": False, "send": True},
        {"author": "customer", "body": "x", "send": True},
        {"author": "agent", "body": "x", "send": "maybe"},
    ],
)
def test_the_api_refuses_what_cannot_be_sent_naming_send(thread, agent, body):
    with at(MONDAY + timedelta(minutes=5)):
        response = api(agent).post(f"/api/v1/threads/{thread.pk}/messages/", body, format="json")
    assert response.status_code == 400 and "send" in response.content.decode()
    assert not OutboundEmail.objects.exists()


def test_the_api_refuses_to_send_on_a_thread_without_a_mailbox_and_records_nothing(desk, agent):
    with at(MONDAY):
        other = services.thread_create(subject="API", first_message="hi").thread
        response = api(agent).post(
            f"/api/v1/threads/{other.pk}/messages/",
            {"author": "agent", "body": "x", "send": True},
            format="json",
        )
    assert response.status_code == 400
    assert "no active mailbox" in response.content.decode()
    assert not Message.objects.filter(thread=other, author_kind="agent").exists()
