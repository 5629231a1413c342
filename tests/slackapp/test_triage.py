"""SLA alerts where the team works: one triage-channel message per thread, updated as its clock
moves from due soon to breaching to answered, and a direct message to the linked assignee."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from policies.models import AlertChannel, NotificationRule, SlaPolicy, WarningThreshold
from slackapp.models import SlackTriageMessage
from tests.slackapp.conftest import callback, message
from threads import services
from threads.alerting.delivery import deliver_due, send_test_alert
from threads.evaluator import evaluate
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def triage(workspace):
    channel = AlertChannel.objects.create(
        name="Slack triage", kind="slack_app", addresses="C0TRIAGE"
    )
    policy = SlaPolicy.objects.get()
    WarningThreshold.objects.create(policy=policy, kind="minutes_before", value=15)
    rule = NotificationRule.objects.create(
        policy=policy, events=["warning", "breaching", "breached", "achieved"], in_app=False
    )
    rule.channels.set([channel])
    return channel


def tick(minutes: float):
    with time_machine.travel(MONDAY + timedelta(minutes=minutes), tick=False):
        evaluate()
        return deliver_due()


def test_one_triage_message_per_thread_is_updated_as_the_clock_moves(
    triage, slack, post_event, agent
):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Exports fail")))
    thread = Thread.objects.get()
    with time_machine.travel(MONDAY + timedelta(minutes=2), tick=False):
        services.thread_update(thread=thread, assignee=agent)

    tick(46)  # 15 minutes before the first response is due
    triage_posts = [c for c in slack.to("chat.postMessage") if c.args["channel"] == "C0TRIAGE"]
    assert len(triage_posts) == 1 and "due in 15 minutes" in triage_posts[0].args["text"]
    kept = SlackTriageMessage.objects.get(thread=thread)

    tick(61)  # due: breaching
    (update,) = slack.to("chat.update")
    assert update.args["ts"] == kept.ts and update.args["channel"] == "C0TRIAGE"
    assert "breaching" in update.args["text"]

    with time_machine.travel(MONDAY + timedelta(minutes=70), tick=False):
        post_event(
            callback(
                message(
                    (MONDAY + timedelta(minutes=70)).timestamp(),
                    "Fixed",
                    user="UAGENT",
                    thread_ts=MONDAY.timestamp(),
                )
            )
        )
    tick(71)
    assert len(slack.to("chat.update")) == 2
    assert "breached" in slack.to("chat.update")[-1].args["text"]
    triage_posts = [c for c in slack.to("chat.postMessage") if c.args["channel"] == "C0TRIAGE"]
    assert len(triage_posts) == 1  # one message per thread, all along

    direct = [c for c in slack.to("chat.postMessage") if c.args["channel"] == "UAGENT"]
    assert len(direct) == 3  # due soon, breaching, breached: to the assignee's Slack DM


def test_a_deleted_triage_message_is_posted_again(triage, slack, post_event):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Exports fail")))
    tick(46)
    slack.fail("chat.update", "message_not_found")
    tick(61)
    triage_posts = [c for c in slack.to("chat.postMessage") if c.args["channel"] == "C0TRIAGE"]
    assert len(triage_posts) == 2 and "breaching" in triage_posts[1].args["text"]
    kept = SlackTriageMessage.objects.get()
    assert kept.ts == "1900000000.000002"


def test_a_refused_token_stops_the_triage_channel_and_says_why(triage, slack, post_event):
    slack.fail("chat.postMessage", "invalid_auth")
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Exports fail")))
    tick(46)
    triage.refresh_from_db()
    assert not triage.enabled and "invalid_auth" in triage.disabled_reason


def test_a_triage_channel_needs_a_slack_channel_id():
    from django.core.exceptions import ValidationError

    for addresses in ("", "#support", "C0A, C0B"):
        with pytest.raises(ValidationError, match="channel id"):
            AlertChannel(name="Triage", kind="slack_app", addresses=addresses).full_clean()


def test_the_test_alert_posts_to_the_triage_channel(triage, slack):
    results = send_test_alert(channel=triage)
    assert all(result.ok for result in results)
    (call,) = slack.to("chat.postMessage")
    assert call.args["channel"] == "C0TRIAGE" and "Test alert" in call.args["text"]


def test_a_triage_message_and_the_assignees_dm_escape_the_subject(triage, slack, post_event, agent):
    attack = "<!channel> see <https://evil.example|docs> <@U123>"
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), attack)))
    thread = Thread.objects.get()
    with time_machine.travel(MONDAY + timedelta(minutes=2), tick=False):
        services.thread_update(thread=thread, assignee=agent)

    tick(46)
    posts = slack.to("chat.postMessage")
    assert {call.args["channel"] for call in posts} == {"C0TRIAGE", "UAGENT"}
    for call in posts:
        sent = str(call.args)
        assert "&lt;!channel&gt; see &lt;https://evil.example|docs&gt; &lt;@U123&gt;" in sent
        for control in ("<!channel>", "<https://evil", "<@U123>"):
            assert control not in sent
        assert call.args["parse"] == "none" and call.args["link_names"] is False
