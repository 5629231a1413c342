"""Customers' Slack threads carry SLA clocks: signed events from Slack open threads, add their
messages, and agents' answers in Slack stop the clocks."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slackapp.models import SlackEvent, SlackUser
from tests.slackapp.conftest import CHANNEL, TEAM, callback, message
from threads.models import Message, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def monday_morning():
    """Monday 10:06: the tests' events happen in the minutes before (a test may travel on)."""
    with time_machine.travel(MONDAY + timedelta(minutes=6), tick=False):
        yield


def at(minutes: float) -> float:
    return (MONDAY + timedelta(minutes=minutes)).timestamp()


def clocks(thread: Thread) -> dict[str, str]:
    return {clock.metric: clock.state for clock in thread.clocks.all()}


def the_thread() -> Thread:
    return Thread.objects.get(source=f"slack:{TEAM}", external_id=f"{CHANNEL}:{at(0):.6f}")


def test_a_customer_question_opens_a_thread_with_clocks_and_the_agents_slack_answer_stops_them(
    workspace, post_event
):
    with time_machine.travel(MONDAY + timedelta(seconds=2), tick=False):
        answer = post_event(callback(message(at(0), "Our exports are failing\nsince 9am")))
    assert answer.status_code == 200
    thread = the_thread()
    assert thread.subject == "Our exports are failing"
    assert thread.channel == "slack" and thread.account.name == "Acme"
    assert thread.contact.email == "carla@acme.example"
    assert thread.created_at == MONDAY
    assert clocks(thread)["first_response"] == "pending"

    with time_machine.travel(MONDAY + timedelta(minutes=20), tick=False):
        post_event(callback(message(at(20), "Looking now", user="UAGENT", thread_ts=at(0))))
    thread.refresh_from_db()
    assert clocks(thread)["first_response"] == "achieved"
    reply = thread.messages.get(external_id=f"{at(20):.6f}")
    assert reply.author_kind == Message.Author.AGENT and reply.author_user.username == "alex"

    with time_machine.travel(MONDAY + timedelta(minutes=40), tick=False):
        post_event(callback(message(at(40), "Still broken", thread_ts=at(0))))
    next_response = thread.clocks.get(metric="next_response")
    assert next_response.state == "pending"
    assert next_response.started_at == MONDAY + timedelta(minutes=40)


def test_an_answer_delivered_late_counts_at_its_slack_time(workspace, post_event):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(at(0), "Help")))
    # Slack retried for a while: the answer written at 10:50 arrives at 11:30, after the due time.
    with time_machine.travel(MONDAY + timedelta(minutes=90), tick=False):
        post_event(callback(message(at(50), "Fixed", user="UAGENT", thread_ts=at(0))))
    first = the_thread().clocks.get(metric="first_response")
    assert first.state == "achieved"
    assert first.stopped_at == MONDAY + timedelta(minutes=50)


def test_a_forged_signature_is_refused_with_401_and_nothing_recorded(workspace, post_event):
    answer = post_event(callback(message(at(0), "Help")), secret="not-the-secret")
    assert answer.status_code == 401 and answer["X-Slack-No-Retry"] == "1"
    assert "signature" in answer.json()["error"]
    assert not SlackEvent.objects.exists() and not Thread.objects.exists()


def test_a_stale_timestamp_is_refused_with_401(workspace, post_event):
    import time

    answer = post_event(callback(message(at(0), "Help")), timestamp=int(time.time()) - 6 * 60)
    assert answer.status_code == 401
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}],
    ids=["no signature headers", "a timestamp that is not a number"],
)
def test_unsigned_or_malformed_requests_are_refused_with_401(workspace, client, headers):
    answer = client.post(
        "/integrations/slack/events/", data=b"{}", content_type="application/json", headers=headers
    )
    assert answer.status_code == 401


def test_a_signed_body_that_is_not_json_is_a_400_naming_the_body(workspace, client):
    import time

    from tests.slackapp.conftest import sign

    now = int(time.time())
    answer = client.post(
        "/integrations/slack/events/",
        data=b"not json",
        content_type="application/json",
        headers={
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(b"not json", now),
        },
    )
    assert answer.status_code == 400 and "body" in answer.json()["error"]


def test_a_callback_without_event_id_is_a_400_naming_it(workspace, post_event):
    payload = callback(message(at(0), "Help"))
    del payload["event_id"]
    answer = post_event(payload)
    assert answer.status_code == 400 and "event_id" in answer.json()["error"]


def test_the_url_verification_challenge_is_answered(workspace, post_event):
    answer = post_event(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV", "type": "url_verification"}
    )
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}


def test_a_retry_of_the_same_event_records_one_message(workspace, post_event):
    payload = callback(message(at(0), "Help"))
    assert post_event(payload).status_code == 200
    assert post_event(payload, retry=1).status_code == 200
    assert post_event(payload, retry=2).status_code == 200
    assert Message.objects.count() == 1
    assert SlackEvent.objects.get().repeats == 2


def test_a_burst_of_200_events_records_each_exactly_once(workspace, post_event):
    post_event(callback(message(at(0), "Help")))
    payloads = [
        callback(message(at(0) + n + 1, f"detail {n}", thread_ts=at(0))) for n in range(200)
    ]
    for payload in payloads:
        assert post_event(payload).status_code == 200
    for payload in payloads[::7]:  # and some delivered twice
        post_event(payload, retry=1)
    thread = the_thread()
    assert thread.messages.count() == 201
    assert SlackEvent.objects.filter(status="done").count() == 201


def test_a_reply_that_comes_before_its_question_waits_and_is_recorded_after_it(
    workspace, post_event, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # the cluster has not run the first task yet
    question = callback(message(at(0), "Help"))
    post_event(question)
    monkeypatch.setattr(Conf, "SYNC", True)
    post_event(callback(message(at(5), "On it", user="UAGENT", thread_ts=at(0))))
    assert SlackEvent.objects.get(ts=f"{at(5):.6f}").status == "waiting"
    from slackapp.tasks import handle_event

    handle_event(SlackEvent.objects.get(event_id=question["event_id"]).pk)
    assert the_thread().messages.count() == 2
    assert SlackEvent.objects.get(ts=f"{at(5):.6f}").status == "done"


def test_a_bot_message_in_the_thread_is_automatic_and_stops_no_clock(workspace, post_event):
    post_event(callback(message(at(0), "Help")))
    bot = message(at(1), "Ticket #42 created", user="", thread_ts=at(0), bot_id="B0JIRA")
    bot["subtype"] = "bot_message"
    post_event(callback(bot))
    thread = the_thread()
    assert thread.messages.get(external_id=f"{at(1):.6f}").automatic
    assert clocks(thread)["first_response"] == "pending"


def test_our_own_posts_coming_back_are_not_recorded_twice(workspace, post_event):
    post_event(callback(message(at(0), "Help")))
    post_event(callback(message(at(1), "*Alex*: hi", user="UBOT", thread_ts=at(0), bot_id="B1")))
    assert the_thread().messages.count() == 1


def test_an_edit_and_a_deletion_are_in_the_history_and_move_no_clock(workspace, post_event):
    post_event(callback(message(at(0), "Help")))
    post_event(callback(message(at(2), "teh logs", thread_ts=at(0))))
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": CHANNEL,
        "hidden": True,
        "ts": f"{at(3):.6f}",
        "message": {
            "ts": f"{at(2):.6f}",
            "text": "the logs",
            "user": "UCUST",
            "thread_ts": f"{at(0):.6f}",
        },
        "previous_message": {"ts": f"{at(2):.6f}", "text": "teh logs"},
    }
    post_event(callback(edit))
    deletion = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": CHANNEL,
        "hidden": True,
        "ts": f"{at(4):.6f}",
        "deleted_ts": f"{at(2):.6f}",
        "previous_message": {"ts": f"{at(2):.6f}", "text": "the logs"},
    }
    post_event(callback(deletion))
    thread = the_thread()
    notes = list(thread.messages.filter(public=False).values_list("body", flat=True))
    assert any("Edited in Slack" in n and "the logs" in n for n in notes)
    assert any("Deleted in Slack" in n for n in notes)
    assert clocks(thread)["first_response"] == "pending"


def reaction(name: str, user: str, ts: float) -> dict:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": CHANNEL, "ts": f"{at(0):.6f}"},
        "item_user": "UCUST",
        "event_ts": f"{ts:.6f}",
    }


def test_the_check_mark_by_an_agent_resolves_the_thread(workspace, post_event):
    post_event(callback(message(at(0), "Help")))
    post_event(callback(reaction("white_check_mark", "UCUST", at(1))))  # a customer: no
    post_event(callback(reaction("eyes", "UAGENT", at(2))))  # another emoji: no
    assert the_thread().status == "open"
    post_event(callback(reaction("white_check_mark", "UAGENT", at(3))))
    assert the_thread().status == "resolved"


def test_a_workspace_member_found_by_email_is_an_agent(workspace, post_event, slack, other_agent):
    slack.users["USAM"] = {"name": "Sam", "email": "SAM@example.com"}
    post_event(callback(message(at(0), "Help")))
    post_event(callback(message(at(5), "Hi, Sam here", user="USAM", thread_ts=at(0))))
    assert SlackUser.objects.get(slack_user_id="USAM").agent == other_agent
    assert clocks(the_thread())["first_response"] == "achieved"


def test_messages_in_channels_that_are_not_connected_open_nothing(workspace, post_event):
    event = message(at(0), "Lunch?")
    event["channel"] = "C0RANDOM"
    post_event(callback(event))
    assert not Thread.objects.exists()
    assert SlackEvent.objects.get().status == "ignored"


def test_an_event_of_another_workspace_is_answered_200_and_not_kept(workspace, post_event):
    """Slack retries anything else, and disables the app's events when too many fail."""
    answer = post_event(callback(message(at(0), "Help"), team="T0OTHER"))
    assert answer.status_code == 200 and "X-Slack-No-Retry" not in answer
    assert not SlackEvent.objects.exists() and not Thread.objects.exists()


def test_a_customer_whose_email_is_another_accounts_contact_still_opens_the_channels_thread(
    workspace, post_event
):
    from accounts.models import Account
    from accounts.services import contact_upsert

    contact_upsert(email="carla@acme.example", account=Account.objects.create(name="Globex"))
    post_event(callback(message(at(0), "Help")))
    thread = the_thread()
    assert thread.account.name == "Acme" and thread.contact is None


def test_the_endpoint_answers_before_the_slow_mapping_runs(
    workspace, post_event, slack, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # the task waits for the cluster
    answer = post_event(callback(message(at(0), "Help")))
    assert answer.status_code == 200
    assert slack.calls == []  # users.info is the task's job, not the request's
    assert SlackEvent.objects.get().status == "received" and not Thread.objects.exists()


def test_an_event_whose_task_was_lost_is_mapped_by_the_next_minutes_sweep(workspace, client):
    """The cluster was down when the event's task was queued: the every-minute run maps it."""
    import json
    import time

    from slackapp import tasks
    from slackapp.models import SlackEvent
    from tests.slackapp.conftest import EVENTS_URL, callback, message, sign
    from threads.models import Thread

    body = json.dumps(callback(message(time.time(), "Export is broken"))).encode()
    now = int(time.time())
    headers = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now)}
    # The on-commit task never runs here (the test's transaction is not committed): lost.
    response = client.post(EVENTS_URL, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert SlackEvent.objects.get().status == SlackEvent.Status.RECEIVED
    assert not Thread.objects.filter(channel="slack").exists()
    tasks.send_due()  # too soon: a slow task may still be on its way
    assert not Thread.objects.filter(channel="slack").exists()
    SlackEvent.objects.update(received_at=SlackEvent.objects.get().received_at.replace(year=2025))
    tasks.send_due()
    assert Thread.objects.filter(channel="slack").count() == 1
    assert SlackEvent.objects.get().status == SlackEvent.Status.DONE
