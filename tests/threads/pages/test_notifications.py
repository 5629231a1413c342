"""In-app notifications: the bell's count, the list, marking read."""

import pytest
from django.test import Client

from tests.threads.pages.helpers import bell, html
from threads.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_the_bell_counts_unread_notifications_and_the_list_shows_them(breaching_note, agent_client):
    assert bell(agent_client) == 1
    page = html(agent_client.get("/notifications/"))
    assert f'data-notification="{breaching_note.pk}"' in page
    assert "First response breaching: #" in page
    assert f'href="/notifications/{breaching_note.pk}/open/"' in page


def test_marking_one_read_and_all_read(breaching_note, agent_client, agent):
    response = agent_client.post(f"/notifications/{breaching_note.pk}/read/")
    assert response.status_code == 302
    breaching_note.refresh_from_db()
    assert breaching_note.read_at is not None
    assert bell(agent_client) == 0
    Notification.objects.filter(pk=breaching_note.pk).update(read_at=None)
    response = agent_client.post("/notifications/read-all/", follow=True)
    assert "1 notification marked read." in html(response)
    assert bell(agent_client) == 0


def test_nobody_reads_someone_elses_notification(breaching_note, client, other_agent):
    client.force_login(other_agent)
    assert client.post(f"/notifications/{breaching_note.pk}/read/").status_code == 404
    breaching_note.refresh_from_db()
    assert breaching_note.read_at is None


def test_every_form_needs_the_csrf_token(breaching_note, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    thread = breaching_note.thread_id
    for url, data in [
        (f"/threads/{thread}/messages/", {"body": "hi", "kind": "reply"}),
        (f"/threads/{thread}/status/", {"status": "resolved"}),
        (f"/notifications/{breaching_note.pk}/read/", {}),
        ("/notifications/read-all/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    page = html(client.get(f"/threads/{thread}/"))
    assert page.count('name="csrfmiddlewaretoken"') >= 5  # every form on the page carries it
