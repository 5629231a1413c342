"""Slack Connect: a customer organisation shares the channel, with its own people and bots. Only
our own workspace's bots are ours ("Automatic · System"); the customer's bots are the customer's
automatic messages, which start, stop and reopen nothing; and a member of the customer's
organisation never becomes an agent by giving their profile an agent's e-mail address."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slackapp.models import SlackUser
from tests.slackapp.conftest import CHANNEL, TEAM, callback, message
from threads.models import Message, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CUSTOMER_TEAM = "T0CUSTOMER"


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(MONDAY + timedelta(minutes=30), tick=False):
        yield


def at(minutes: float) -> float:
    return (MONDAY + timedelta(minutes=minutes)).timestamp()


def the_thread() -> Thread:
    return Thread.objects.get(source=f"slack:{TEAM}", external_id=f"{CHANNEL}:{at(0):.6f}")


def bot(minutes: float, text: str, *, team: str | None, **more) -> dict:
    """A modern app's message in the thread (bot_id and bot_profile, no user's name)."""
    event = message(at(minutes), text, user="", thread_ts=at(0), bot_id="B0STATUS", **more)
    del event["user"]
    if team is not None:
        event["bot_profile"] = {"id": "B0STATUS", "name": "Status bot", "team_id": team}
        event["team"] = team
    return event


def connect(payload: dict) -> dict:
    return payload | {"is_ext_shared_channel": True}


def by_line(client, agent, thread: Thread, message: Message) -> str:
    """What the thread page shows above the message: its kind and who wrote it."""
    client.force_login(agent)
    page = client.get(f"/threads/{thread.pk}/").content.decode()
    items = page.split('<li class="msg ')
    (item,) = [i for i in items if message.body in i]
    return item.split('<div class="body">')[0]


def test_the_customers_own_bot_is_a_customer_message_marked_automatic(
    workspace, post_event, client, agent
):
    post_event(connect(callback(message(at(0), "Exports fail"))))
    post_event(connect(callback(message(at(5), "Looking", user="UAGENT", thread_ts=at(0)))))
    post_event(connect(callback(bot(10, "Incident INC-7 opened", team=CUSTOMER_TEAM))))

    thread = the_thread()
    said = thread.messages.get(external_id=f"{at(10):.6f}")
    assert said.author_kind == Message.Author.CUSTOMER and said.automatic
    # It asks for no answer: no next-response clock after the agent's reply.
    assert not thread.clocks.filter(metric="next_response").exists()
    assert thread.clocks.get(metric="first_response").state == "achieved"
    shown = by_line(client, agent, thread, said)
    assert "Automatic" in shown and "System" not in shown
    assert "Carla" in shown  # the customer's side of the conversation


def test_the_customers_bot_reopens_nothing(workspace, post_event):
    from threads import services

    post_event(connect(callback(message(at(0), "Exports fail"))))
    thread = the_thread()
    services.thread_set_status(thread=thread, status="resolved", at=MONDAY + timedelta(minutes=2))
    post_event(connect(callback(bot(10, "Incident INC-7 closed", team=CUSTOMER_TEAM))))
    assert the_thread().status == "resolved"


def test_our_own_workspaces_bot_is_a_system_message(workspace, post_event, client, agent):
    post_event(connect(callback(message(at(0), "Exports fail"))))
    post_event(connect(callback(bot(10, "Jira SUP-12 created", team=TEAM))))
    thread = the_thread()
    said = thread.messages.get(external_id=f"{at(10):.6f}")
    assert said.author_kind == Message.Author.SYSTEM and said.automatic
    assert thread.clocks.get(metric="first_response").state == "pending"
    assert "System" in by_line(client, agent, thread, said)


def test_a_bot_that_names_our_team_and_the_customers_is_the_customers(workspace, post_event):
    post_event(connect(callback(message(at(0), "Exports fail"))))
    event = bot(10, "Deploy finished", team=CUSTOMER_TEAM)
    event["team"] = TEAM  # the receiving workspace, say; its own profile names the customer's
    post_event(connect(callback(event)))
    said = the_thread().messages.get(external_id=f"{at(10):.6f}")
    assert said.author_kind == Message.Author.CUSTOMER and said.automatic


@pytest.mark.parametrize("shared, kind", [(True, "customer"), (False, "system")])
def test_a_bot_that_names_no_team_is_ours_only_in_a_channel_we_alone_are_in(
    workspace, post_event, shared, kind
):
    wrap = connect if shared else (lambda payload: payload)
    post_event(wrap(callback(message(at(0), "Exports fail"))))
    legacy = bot(10, "Nightly report", team=None, subtype="bot_message")
    post_event(wrap(callback(legacy)))
    said = the_thread().messages.get(external_id=f"{at(10):.6f}")
    assert said.author_kind == kind and said.automatic


def test_a_customer_org_member_with_an_agents_email_is_not_an_agent(
    workspace, post_event, slack, other_agent
):
    slack.users["UMALLORY"] = {"name": "Sam?", "email": "sam@example.com", "team": CUSTOMER_TEAM}
    post_event(connect(callback(message(at(0), "Exports fail"))))
    reply = message(at(5), "Fixed, closing", user="UMALLORY", thread_ts=at(0))
    post_event(connect(callback(reply | {"user_team": CUSTOMER_TEAM})))
    assert SlackUser.objects.get(slack_user_id="UMALLORY").agent is None
    said = the_thread().messages.get(external_id=f"{at(5):.6f}")
    assert said.author_kind == Message.Author.CUSTOMER
    assert the_thread().clocks.get(metric="first_response").state == "pending"
