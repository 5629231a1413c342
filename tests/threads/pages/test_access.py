"""Who may use the agents' pages: roles, team limits, expired sessions."""

import pytest
from django.contrib.auth.models import Group

from tests.threads.pages.helpers import berlin, html, open_thread
from threads.alerting.alert import thread_url

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def _matrix_urls(thread, note):
    return [
        ("GET", "/queue/"),
        ("GET", "/queue/live/"),
        ("GET", f"/threads/{thread.pk}/"),
        ("POST", f"/threads/{thread.pk}/messages/"),
        ("POST", f"/threads/{thread.pk}/no-reply-needed/"),
        ("POST", f"/threads/{thread.pk}/status/"),
        ("POST", f"/threads/{thread.pk}/details/"),
        ("GET", "/notifications/"),
        ("POST", f"/notifications/{note.pk}/read/"),
        ("POST", "/notifications/read-all/"),
        ("GET", "/admin/"),
        ("GET", "/api/v1/threads/"),
    ]


LOGIN = "login"
EXPECTED = {
    # who: (agent pages GET, agent actions POST, /admin/, /api/v1/threads/)
    "anonymous": (LOGIN, LOGIN, 302, 401),
    "agent": (200, 302, 302, 200),
    "manager": (200, 302, 200, 200),
    "nobody": (403, 403, 302, 403),  # signed in, but in no role
}
POSTS = {
    "messages/": {"body": "On it", "kind": "reply"},
    "status/": {"status": "open"},
    "details/": {"priority": "high"},
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_permission_matrix(who, setup, breaching_note, client, request):
    if who != "anonymous":
        user = request.getfixturevalue(who)
        client.force_login(user)
        if who != "nobody":
            breaching_note.user = user
            breaching_note.save(update_fields=["user"])
    pages, actions, admin, api = EXPECTED[who]
    for method, url in _matrix_urls(breaching_note.thread, breaching_note):
        if url == "/admin/":
            expected = admin
        elif url.startswith("/api/"):
            expected = api
        else:
            expected = pages if method == "GET" else actions
        data = next((d for suffix, d in POSTS.items() if url.endswith(suffix)), {})
        response = client.get(url) if method == "GET" else client.post(url, data)
        if expected == LOGIN:
            assert response.status_code == 302, url
            assert response["Location"].startswith("/login/?next="), url
        else:
            assert response.status_code == expected, (who, method, url)


def test_an_expired_session_sends_the_live_refresh_to_the_login_page(setup, client):
    response = client.get("/queue/live/?scope=mine", HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=/queue/live/%3Fscope%3Dmine"


def test_the_root_sends_people_to_the_inbox_or_to_sign_in(setup, client, agent):
    assert client.get("/")["Location"] == "/login/"
    client.force_login(agent)
    assert client.get("/")["Location"] == "/inbox/"


def test_signing_in_and_out(setup, client, agent):
    page = html(client.get("/login/"))
    assert "Sign in to SLA Ops" in page and 'name="csrfmiddlewaretoken"' in page
    response = client.post("/login/", {"username": "alex", "password": "wrong"})
    assert "Please enter a correct username and password" in html(response)
    response = client.post("/login/", {"username": "alex", "password": "pw-alex"})
    assert response["Location"] == "/inbox/"
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/queue/").status_code == 302


def test_managers_see_reports_and_admin_in_the_nav_agents_do_not(setup, client, agent, manager):
    client.force_login(agent)
    page = html(client.get("/queue/"))
    assert 'href="/reports/"' not in page and 'href="/admin/"' not in page
    client.force_login(manager)
    page = html(client.get("/queue/"))
    assert 'href="/reports/"' in page and 'href="/admin/"' in page


def test_staff_without_permissions_get_no_admin_link(setup, client, agent):
    agent.is_staff = True
    agent.save()
    agent.groups.set([Group.objects.get(name="Agents")])
    client.force_login(agent)
    assert 'href="/admin/"' in html(client.get("/queue/"))  # Agents may view some models
    agent.groups.clear()
    agent.user_permissions.clear()
    agent.is_superuser = False
    agent.save()
    client.force_login(agent)
    assert client.get("/queue/").status_code == 403


def test_alerts_link_to_the_thread_page(setup, settings):
    thread = open_thread(berlin(23, 10))
    assert thread_url(thread) == f"{settings.SITE_URL}/threads/{thread.pk}/"
