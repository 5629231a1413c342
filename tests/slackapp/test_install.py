"""“Add to Slack”: a superuser installs the app in a workspace through Slack's OAuth v2 against the
fake Slack; the install's `state` is good once, in the session that started it, for 10 minutes; a
new workspace waits for a superuser's approval; installing again updates the token."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from slackapp.models import SlackApp, SlackCredentials, SlackEvent
from tests.slackapp.conftest import SECRET, callback, message

pytestmark = pytest.mark.django_db

INSTALL = "/integrations/slack/install/"
CALLBACK = "/integrations/slack/oauth/callback/"


@pytest.fixture
def credentials(slack):
    return SlackCredentials.objects.create(
        signing_secret=SECRET, client_id=slack.client_id, client_secret=slack.client_secret
    )


@pytest.fixture
def superuser_client(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(root)
    return client


def started(client) -> str:
    """Start an install; the state Slack is asked to bring back."""
    answer = client.get(INSTALL)
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer["Location"]).query)["state"][0]


def test_add_to_slack_sends_the_superuser_to_slacks_authorize_page_with_the_apps_scopes(
    credentials, superuser_client, slack, settings
):
    answer = superuser_client.get(INSTALL)
    where = urlsplit(answer["Location"])
    asked = parse_qs(where.query)
    assert f"{where.scheme}://{where.netloc}{where.path}" == (
        f"http://127.0.0.1:{slack.port}/oauth/v2/authorize"
    )
    assert asked["client_id"] == [slack.client_id]
    assert asked["redirect_uri"] == [settings.SITE_URL + CALLBACK]
    assert {"commands", "chat:write.customize", "users:read.email"} <= set(
        asked["scope"][0].split(",")
    )
    assert len(asked["state"][0]) >= 40


def test_an_install_stores_the_workspace_disabled_with_its_token_encrypted(
    credentials, superuser_client, slack
):
    state = started(superuser_client)
    slack.grant("code-1", "T0NEW", "New Co")
    answer = superuser_client.get(CALLBACK, {"code": "code-1", "state": state}, follow=True)
    assert "stays disabled until you approve it" in answer.content.decode()
    app = SlackApp.objects.get(team_id="T0NEW")
    assert (app.name, app.enabled, app.bot_token, app.bot_user_id) == (
        "New Co",
        False,
        "xoxb-T0NEW-1",
        "UBOT1",
    )
    (exchange,) = slack.to("oauth.v2.access")
    assert exchange.args["code"] == "code-1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT bot_token FROM slackapp_slackapp WHERE id = %s", [app.pk])
        assert cursor.fetchone()[0].startswith("gAAAAA")  # a Fernet token, not the bot token


def test_a_new_workspaces_events_are_kept_only_once_a_superuser_approved_it(
    credentials, superuser_client, slack, post_event, tasks_inline
):
    slack.grant("code-1", "T0NEW", "New Co")
    superuser_client.get(CALLBACK, {"code": "code-1", "state": started(superuser_client)})
    app = SlackApp.objects.get(team_id="T0NEW")
    event = callback(message(timezone.now().timestamp(), "Hello"), team="T0NEW")

    assert post_event(event).status_code == 200
    assert not SlackEvent.objects.exists()

    approve = {"action": "approve", "_selected_action": [app.pk]}
    answer = superuser_client.post("/admin/slackapp/slackapp/", approve, follow=True)
    assert "Approved: New Co (T0NEW)" in answer.content.decode()
    app.refresh_from_db()
    assert app.enabled and app.approved_at is not None
    assert post_event(callback(message(timezone.now().timestamp(), "Hello"), team="T0NEW"))
    assert SlackEvent.objects.get().app == app


def test_installing_again_in_a_known_workspace_updates_its_token_and_keeps_it_enabled(
    workspace, credentials, superuser_client, slack
):
    slack.grant("code-2", workspace.team_id, "Acme")
    answer = superuser_client.get(
        CALLBACK, {"code": "code-2", "state": started(superuser_client)}, follow=True
    )
    assert "its token was updated" in answer.content.decode()
    workspace.refresh_from_db()
    assert workspace.enabled and workspace.bot_token.startswith(f"xoxb-{workspace.team_id}-")
    assert SlackApp.objects.count() == 1

    from slackapp import web

    web.call(workspace, "auth_test")
    assert slack.to("auth.test")[-1].token == workspace.bot_token


@pytest.mark.parametrize("how", ["forged", "reused", "expired", "other session", "missing"])
def test_an_install_whose_state_is_not_this_sessions_fresh_one_is_refused_plainly(
    how, credentials, superuser_client, slack, django_user_model
):
    state = started(superuser_client)
    slack.grant("code-1", "T0NEW")
    client, asked = superuser_client, {"code": "code-1", "state": state}
    if how == "forged":
        asked["state"] = "x" * 43
    elif how == "reused":
        slack.grant("code-0", "T0FIRST")
        client.get(CALLBACK, {"code": "code-0", "state": state})
    elif how == "other session":
        other = django_user_model.objects.create_superuser("root2", "r2@example.com", "pw")
        client = Client()
        client.force_login(other)
        started(client)  # a state of its own, not the one given
    elif how == "missing":
        del asked["state"]
    if how == "expired":
        with time_machine.travel(timezone.now() + timedelta(minutes=11)):
            answer = client.get(CALLBACK, asked)
    else:
        answer = client.get(CALLBACK, asked)
    assert answer.status_code == 400
    assert "state: this install link is not valid" in answer.content.decode()
    assert not SlackApp.objects.filter(team_id="T0NEW").exists()
    assert all(call.args.get("code") != "code-1" for call in slack.to("oauth.v2.access"))


def test_a_code_slack_refuses_or_a_cancelled_install_is_said_on_the_page(
    credentials, superuser_client, slack
):
    answer = superuser_client.get(CALLBACK, {"code": "no-such", "state": started(superuser_client)})
    assert answer.status_code == 502
    assert "Slack refused the install: invalid_code" in answer.content.decode()

    answer = superuser_client.get(
        CALLBACK, {"error": "access_denied", "state": started(superuser_client)}
    )
    assert answer.status_code == 400 and "access_denied" in answer.content.decode()
    assert not SlackApp.objects.exists()


def test_add_to_slack_without_the_apps_client_credentials_asks_for_them(superuser_client, slack):
    answer = superuser_client.get(INSTALL, follow=True)
    assert answer.redirect_chain[-1][0] == "/admin/slackapp/slackcredentials/add/"
    assert "client id and client secret first" in answer.content.decode()


def test_only_a_superuser_may_install(credentials, manager_client, client):
    assert manager_client.get(INSTALL).status_code == 403
    assert manager_client.get(CALLBACK, {"state": "x"}).status_code == 403
    client.logout()
    assert client.get(INSTALL).status_code == 302  # to the login page
    assert "/login" in client.get(CALLBACK)["Location"]


def test_the_workspaces_page_offers_add_to_slack_and_never_shows_a_secret_back(
    credentials, superuser_client, slack
):
    slack.grant("code-1", "T0NEW", rotate=True)
    superuser_client.get(CALLBACK, {"code": "code-1", "state": started(superuser_client)})
    app = SlackApp.objects.get()
    listing = superuser_client.get("/admin/slackapp/slackapp/").content.decode()
    assert 'id="add-to-slack"' in listing and INSTALL in listing
    pages = listing + superuser_client.get(f"/admin/slackapp/slackapp/{app.pk}/change/").text
    pages += superuser_client.get("/admin/slackapp/slackcredentials/1/change/").text
    for secret in (app.bot_token, app.bot_refresh_token, SECRET, slack.client_secret):
        assert secret and secret not in pages
