"""A Slack reply's delivery state as the agent sees it (queued, sent with its link, retrying with
the reason and the next try, failed with "try again"), and a retry after an answer that never
came looks for the posted reply first, so the customer never reads it twice."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from slackapp.models import SlackPost
from slackapp.outbox import send_due
from tests.slackapp.conftest import CHANNEL, callback, message
from threads import services
from threads.models import Thread
from threads.replies import registry

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def thread(workspace, post_event):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Help")))
    return Thread.objects.get(channel="slack")


def answer(thread, agent, capture):
    with capture(execute=True):
        reply, _ = services.agent_reply(thread=thread, author=agent, body="On it", send=True)
    return reply


def test_a_posted_reply_is_sent_with_its_slack_id_and_link(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    reply = answer(thread, agent, django_capture_on_commit_callbacks)
    delivery = registry.delivery_of(reply)
    assert (delivery.state, delivery.channel) == ("sent", "slack")
    assert delivery.external_id == "1900000000.000001"
    assert delivery.url.startswith(f"https://slack.com/archives/{CHANNEL}/p1900000000000001")
    (call,) = slack.to("chat.postMessage")
    assert call.args["metadata"]["event_payload"]["delivery"] == f"reply-{reply.slack_post.pk}"


def test_a_rate_limited_reply_is_retrying_with_the_next_try_and_the_reason_in_words(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "429:30")
    reply = answer(thread, agent, django_capture_on_commit_callbacks)
    delivery = registry.delivery_of(reply)
    assert delivery.state == "retrying"
    assert "rate limited" in delivery.detail
    assert delivery.next_attempt_at == SlackPost.objects.get().next_attempt_at


def test_a_retry_after_a_lost_answer_finds_the_posted_reply_and_never_posts_twice(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "lost")  # posted, but the answer is a 500
    reply = answer(thread, agent, django_capture_on_commit_callbacks)
    assert registry.delivery_of(reply).state == "retrying"
    with time_machine.travel(timedelta(hours=1)):
        assert send_due() == 1
    delivery = registry.delivery_of(reply)
    assert (delivery.state, delivery.external_id) == ("sent", "1900000000.000001")
    assert len(slack.to("chat.postMessage")) == 1
    assert len(slack.to("conversations.replies")) == 1


def test_a_failed_reply_is_tried_again_from_the_api_and_reaches_slack(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "not_in_channel")
    reply = answer(thread, agent, django_capture_on_commit_callbacks)
    api = APIClient()
    api.force_login(agent)
    shown = api.get(f"/api/v1/threads/{thread.pk}/messages/").json()
    rows = shown["results"] if isinstance(shown, dict) else shown
    assert rows[-1]["delivery"]["state"] == "failed"
    assert "not a member" in rows[-1]["delivery"]["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/threads/{thread.pk}/messages/{reply.pk}/retry/")
    assert response.status_code == 200, response.content
    assert registry.delivery_of(reply).state == "sent"
    assert len(slack.to("chat.postMessage")) == 2  # the first was refused: nothing was posted
