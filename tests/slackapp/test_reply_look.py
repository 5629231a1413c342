"""An agent's reply in the customer's Slack thread looks like the agent wrote it: their name and
picture on the post, the reply as Block Kit sections, a long reply split where Slack allows, and
still posted once when an answer from Slack was lost."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AgentProfile
from slackapp.models import SlackEvent, SlackPost
from slackapp.outbox import send_due
from slackapp.reply_message import CUT_NOTE, SECTION_LIMIT, TEXT_LIMIT
from slaops.mrkdwn import escape, escape_in_pieces, length_in_slack
from tests.slackapp.conftest import callback, message
from threads import services
from threads.models import Thread

pytestmark = [pytest.mark.django_db]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def thread(workspace, post_event):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Help")))
    return Thread.objects.get(channel="slack")


def posted(slack, thread, agent, capture, body):
    with capture(execute=True):
        reply, _ = services.agent_reply(thread=thread, author=agent, body=body, send=True)
    post = SlackPost.objects.get(message=reply)
    assert post.status == "sent", post.last_error
    return slack.to("chat.postMessage")[-1].args


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_a_reply_shows_the_agents_name_and_picture(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    agent.first_name, agent.last_name = "Alex", "Agent"
    agent.save(update_fields=["first_name", "last_name"])
    AgentProfile.objects.create(user=agent, avatar_url="https://avatars.example/alex.png")
    args = posted(slack, thread, agent, django_capture_on_commit_callbacks, "Restarted *it*")
    assert args["username"] == "Alex Agent"
    assert args["icon_url"] == "https://avatars.example/alex.png"
    assert args["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Restarted *it*", "verbatim": True}}
    ]
    assert args["text"] == "Restarted *it*"  # notifications and older clients


def test_an_agent_without_a_picture_gets_slacks_default_icon(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    AgentProfile.objects.create(user=agent)
    args = posted(slack, thread, agent, django_capture_on_commit_callbacks, "Hello")
    assert args["username"] == "alex"  # no full name: the login name
    assert "icon_url" not in args and "icon_emoji" not in args


def test_a_picture_must_be_an_https_address():
    for wrong in ("http://avatars.example/a.png", "javascript:alert(1)", "ftp://x.example/a.png"):
        with pytest.raises(ValidationError):
            AgentProfile(avatar_url=wrong).clean_fields(exclude=["user"])
    AgentProfile(avatar_url="https://avatars.example/a.png").clean_fields(exclude=["user"])


def test_a_long_reply_is_split_into_sections_slack_accepts(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    # Entities, emoji and accents land on the 3,000 boundaries; paragraphs give breaks.
    paragraph = ("R&D <ops> 😀 café " * 60).strip()
    body = "\n\n".join([paragraph] * 6)
    args = posted(slack, thread, agent, django_capture_on_commit_callbacks, body)
    texts = [block["text"]["text"] for block in args["blocks"]]
    assert len(texts) >= 3
    assert all(length_in_slack(text) <= SECTION_LIMIT for text in texts)
    assert "".join(texts) == escape(body) == args["text"]
    assert "".join(unescape(text) for text in texts) == body  # no entity cut in two


def test_pieces_never_cut_an_entity_a_character_or_an_accent():
    body = "a" * 2998 + "&b"  # the entity would straddle 3,000
    first, second = escape_in_pieces(body, SECTION_LIMIT)
    assert first == "a" * 2998 and second == "&amp;b"
    body = "a" * 2999 + "😀"  # two UTF-16 units: Slack counts 3,001
    assert escape_in_pieces(body, SECTION_LIMIT) == ["a" * 2999, "😀"]
    body = "a" * 2999 + "e\u0301"  # an e and its accent stay together
    assert escape_in_pieces(body, SECTION_LIMIT) == ["a" * 2999, "e\u0301"]
    body = "👍" * 1499 + "👍\U0001f3fd"  # a thumb and its skin tone stay together
    assert escape_in_pieces(body, SECTION_LIMIT)[-1] == "👍\U0001f3fd"


def test_a_reply_too_long_for_blocks_is_posted_whole_as_text(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    body = "Step & check. " * 1500  # 21,000 characters: more than Slack takes in blocks
    args = posted(slack, thread, agent, django_capture_on_commit_callbacks, body)
    assert "blocks" not in args
    assert args["text"] == escape(body)


def test_a_reply_longer_than_slack_shows_ends_with_a_note(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    body = "word " * 9000  # 45,000 characters
    args = posted(slack, thread, agent, django_capture_on_commit_callbacks, body)
    assert args["text"].endswith(CUT_NOTE) and length_in_slack(args["text"]) <= TEXT_LIMIT
    assert body.startswith(args["text"].removesuffix(CUT_NOTE))


def test_a_split_reply_whose_answer_was_lost_is_posted_once(
    thread, agent, slack, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "lost")
    with django_capture_on_commit_callbacks(execute=True):
        reply, _ = services.agent_reply(
            thread=thread, author=agent, body="Long answer. " * 500, send=True
        )
    post = SlackPost.objects.get(message=reply)
    with time_machine.travel(timedelta(hours=1)):
        send_due()
    post.refresh_from_db()
    assert post.status == "sent" and post.attempts == 2
    assert len(slack.to("chat.postMessage")) == 1
    (ours,) = [m for m in slack.channels["C0CUSTOMER"] if m.get("bot_id")]
    assert len(ours["blocks"]) == 3 and ours["ts"] == post.slack_ts


def test_our_post_coming_back_under_the_agents_name_before_its_answer_is_not_a_message(
    thread, agent, slack, post_event, django_capture_on_commit_callbacks
):
    slack.fail("chat.postMessage", "lost")  # posted, but we never learnt its ts
    with django_capture_on_commit_callbacks(execute=True):
        reply, _ = services.agent_reply(thread=thread, author=agent, body="On it", send=True)
    post = SlackPost.objects.get(message=reply)
    assert post.slack_ts == ""
    (ours,) = [m for m in slack.channels["C0CUSTOMER"] if m.get("bot_id")]
    echo = message(float(ours["ts"]), "On it", subtype="bot_message", bot_id="B0BOT")
    del echo["user"]
    echo |= {"username": "alex", "thread_ts": ours["thread_ts"], "metadata": ours["metadata"]}
    with time_machine.travel(datetime.fromtimestamp(float(ours["ts"]) + 5, UTC), tick=False):
        post_event(callback(echo))
    assert SlackEvent.objects.latest("pk").note == "our own post"
    assert thread.messages.count() == 2


def test_a_message_naming_a_delivery_that_is_not_ours_is_still_read(thread, slack, post_event):
    said = message(MONDAY.timestamp() + 60, "Me again", thread_ts=MONDAY.timestamp())
    said["metadata"] = {"event_type": "slaops_reply", "event_payload": {"delivery": "reply-999"}}
    post_event(callback(said))
    assert thread.messages.count() == 2
