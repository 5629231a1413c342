"""The inbox names a thread by our number, never by the Message-ID its first e-mail carried; an
integrator's own ticket number still shows beside it; the history names the sender."""

import pytest

from mail.ingest import ingest
from tests.mail.conftest import MONDAY, at, mail
from threads import services

pytestmark = [pytest.mark.django_db]


def test_an_emailed_thread_shows_its_number_not_its_message_id(desk, client, manager):
    with at(MONDAY):
        thread = ingest(
            mail(message_id="<CAF=x7y@mail.acme.com>"), mailbox=desk["mailbox"], via="file"
        ).inbound.thread
        client.force_login(manager)
        page = client.get("/inbox/").content.decode()
    row = page[page.index(f'data-thread="{thread.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f"#{thread.pk}" in row
    assert "CAF=x7y" not in row and "mail.acme.com" not in row


def test_an_integrators_ticket_number_still_shows(desk, client, manager):
    with at(MONDAY):
        thread = services.thread_create(
            subject="From Zendesk", first_message="Hi", source="zendesk", external_id="ZD-4711"
        ).thread
        client.force_login(manager)
        page = client.get("/inbox/").content.decode()
    row = page[page.index(f'data-thread="{thread.pk}"') :]
    assert "ZD-4711" in row[: row.index("</tr>")]


def test_the_history_names_the_sender_an_email_came_from(desk, client, manager):
    with at(MONDAY):
        thread = ingest(
            mail(sender="Anna Berg <anna@acme.de>"), mailbox=desk["mailbox"], via="file"
        ).inbound.thread
        client.force_login(manager)
        page = client.get(f"/threads/{thread.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "e-mail from anna@acme.de" in history
    assert "integration key" not in history
