"""Agents' replies go back into the customer's Slack thread through the outbox: Slack's rate
limit is waited out, a refused token or a lost channel stops the reply and the admin says why."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slackapp.models import SlackApp, SlackPost
from slackapp.outbox import reply_post, send_due
from tests.slackapp.conftest import CHANNEL, callback, message
from threads import services
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
QUESTION_TS = f"{MONDAY.timestamp():.6f}"


@pytest.fixture
def thread(workspace, post_event):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Help")))
    return Thread.objects.get(channel="slack")


def answer(thread, agent, django_capture_on_commit_callbacks, body="Restarted the export"):
    """What the thread page does for a reply: the service sends it (posted on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        reply, _ = services.agent_reply(thread=thread, author=agent, body=body, send=True)
    return SlackPost.objects.get(message=reply)


def test_an_agents_reply_on_the_thread_page_is_posted_into_the_slack_thread(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    post = answer(thread, agent, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "sent"
    (call,) = slack.to("chat.postMessage")
    assert call.args["channel"] == CHANNEL and call.args["thread_ts"] == QUESTION_TS
    assert "Restarted the export" in call.args["text"]
    assert call.token == "xoxb-test-token"
    assert post.slack_ts == "1900000000.000001"


def test_the_posted_reply_coming_back_from_slack_is_not_a_second_message(
    thread, agent, slack, post_event, django_capture_on_commit_callbacks
):
    post = answer(thread, agent, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    echo = message(float(post.slack_ts), "*alex*: Restarted", user="UOTHERBOT", bot_id="B9")
    echo["thread_ts"] = QUESTION_TS
    post_event(callback(echo))
    assert thread.messages.count() == 2


def test_a_rate_limit_is_retried_after_slacks_retry_after(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "429:30")
    post = answer(thread, agent, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "pending" and "429" in post.last_error
    sent_at = post.next_attempt_at
    with time_machine.travel(sent_at - timedelta(seconds=1), tick=False):
        assert send_due() == 0
    with time_machine.travel(sent_at + timedelta(seconds=1), tick=False):
        assert send_due() == 1
    post.refresh_from_db()
    assert post.status == "sent" and post.attempts == 2
    assert len(slack.to("chat.postMessage")) == 2


@pytest.mark.parametrize("error", ["invalid_auth", "channel_not_found"])
def test_a_refused_token_or_lost_channel_stops_the_reply_and_the_admin_shows_why(
    thread, agent, slack, django_capture_on_commit_callbacks, error, admin_client
):
    slack.fail("chat.postMessage", error)
    post = answer(thread, agent, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "failed" and error in post.last_error
    with time_machine.travel(timedelta(hours=2)):
        assert send_due() == 0
    app = SlackApp.objects.get()
    assert error in app.last_error
    page = admin_client.get("/admin/slackapp/slackapp/")
    assert error in page.content.decode()


def test_a_slack_error_that_may_pass_is_tried_again_later(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "internal_error")
    post = answer(thread, agent, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "pending" and post.next_attempt_at > post.created_at


def test_internal_notes_and_threads_not_from_slack_are_not_posted(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note, _ = services.agent_reply(thread=thread, author=agent, body="psst", public=False)
        assert reply_post(note) is None
        other = services.thread_create(subject="Mail", first_message="Hi").thread
        reply, _ = services.agent_reply(thread=other, author=agent, body="Hello")
        assert reply_post(reply) is None
    assert not slack.to("chat.postMessage") and not SlackPost.objects.exists()


def test_the_web_api_goes_only_to_slack(
    thread, agent, settings, django_capture_on_commit_callbacks
):
    settings.SLACK_API_URL = "https://evil.example/api/"
    post = answer(thread, agent, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "failed" and "not allowed" in post.last_error


def test_send_a_test_message_checks_the_token_and_posts_to_the_triage_channel(
    workspace, slack, admin_client
):
    from policies.models import AlertChannel

    AlertChannel.objects.create(name="Triage", kind="slack_app", addresses="C0TRIAGE")
    page = admin_client.post(
        "/admin/slackapp/slackapp/",
        {"action": "send_test_message", "_selected_action": [workspace.pk]},
        follow=True,
    )
    assert "The bot token works" in page.content.decode()
    (call,) = slack.to("chat.postMessage")
    assert call.args["channel"] == "C0TRIAGE"
    workspace.refresh_from_db()
    assert workspace.bot_user_id == "UBOT"


def test_the_admin_never_shows_the_token_or_signing_secret_back(workspace, admin_client):
    page = admin_client.get(f"/admin/slackapp/slackapp/{workspace.pk}/change/").content.decode()
    assert "xoxb-test-token" not in page
    assert workspace.signing_secret not in page
    assert "••••" in page


def test_a_reply_written_on_the_real_thread_page_reaches_the_slack_thread(
    thread, agent, slack, client, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/threads/{thread.pk}/messages/", {"kind": "reply", "body": "On it from the page"}
        )
    assert response.status_code == 302
    (call,) = slack.to("chat.postMessage")
    assert "On it from the page" in call.args["text"] and call.args["thread_ts"] == QUESTION_TS
    assert SlackPost.objects.get().status == "sent"


def test_an_api_reply_with_send_reaches_the_slack_thread(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/threads/{thread.pk}/messages/",
            {"author": "agent", "body": "On it from the API", "send": True},
            format="json",
        )
    assert response.status_code == 201, response.content
    (call,) = slack.to("chat.postMessage")
    assert "On it from the API" in call.args["text"]


SLACK_CONTROLS = ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C0GENERAL>", "<https://")


def test_a_reply_cannot_page_the_customers_channel_ping_anyone_or_disguise_a_link(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    agent.first_name, agent.last_name = "<!here>", "Alex"
    agent.save(update_fields=["first_name", "last_name"])
    body = (
        "Hi <!channel> <!everyone> <@U123> in <#C0GENERAL> see <https://evil.example|docs> & more"
    )
    answer(thread, agent, django_capture_on_commit_callbacks, body=body)

    (call,) = slack.to("chat.postMessage")
    text = call.args["text"]
    assert text == (
        "Hi &lt;!channel&gt; &lt;!everyone&gt; &lt;@U123&gt; in "
        "&lt;#C0GENERAL&gt; see &lt;https://evil.example|docs&gt; &amp; more"
    )
    (section,) = call.args["blocks"]
    assert section["text"] == {"type": "mrkdwn", "text": text, "verbatim": True}
    assert call.args["username"] == "!here Alex"
    for control in SLACK_CONTROLS:
        assert control not in text and control not in call.args["username"]
    # Plain words such as "@channel" are not turned into mentions either.
    assert call.args["parse"] == "none" and call.args["link_names"] is False
    # The history keeps what the agent wrote.
    assert thread.messages.get(author_kind="agent").body == body


def test_the_test_message_is_posted_as_plain_text(workspace, slack):
    from policies.models import AlertChannel
    from slackapp.probe import send_test_message

    AlertChannel.objects.create(name="Triage", kind="slack_app", addresses="C0TRIAGE")
    send_test_message(workspace)
    (call,) = slack.to("chat.postMessage")
    assert call.args["text"].startswith("Test message from SLA Ops")
    assert call.args["parse"] == "none" and call.args["link_names"] is False


def test_a_rate_limit_with_a_retry_after_that_is_not_ascii_digits_backs_off(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "429:²")
    post = answer(thread, agent, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.status == "pending" and "429" in post.last_error
    assert post.next_attempt_at > post.created_at
