"""Nothing lost: what Slack's events did not bring (our site down longer than Slack's retries, a
reply delivered before its question) is read back from the Web API and recorded once, at its own
Slack time, through the same path as events."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slackapp import catchup
from slackapp.models import SlackApp, SlackChannel, SlackEvent, SlackMessage
from tests.slackapp.conftest import CHANNEL, TEAM, callback, message
from threads.models import Message, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(minutes: float) -> float:
    return (MONDAY + timedelta(minutes=minutes)).timestamp()


def travel(minutes: float):
    return time_machine.travel(MONDAY + timedelta(minutes=minutes), tick=False)


@pytest.fixture
def channel(workspace, slack):
    SlackChannel.objects.update(connected_at=MONDAY - timedelta(hours=1))
    slack.users["UCUST2"] = {"name": "Bo Buyer", "email": "bo@acme.example"}
    return SlackChannel.objects.get()


def thread_at(minutes: float) -> Thread:
    return Thread.objects.get(source=f"slack:{TEAM}", external_id=f"{CHANNEL}:{at(minutes):.6f}")


def written(slack, event: dict) -> dict:
    """A message written in Slack: in the channel's history whether or not its event comes."""
    slack.say(CHANNEL, event)
    return event


def said(thread: Thread) -> list[tuple[str, datetime]]:
    return list(thread.messages.order_by("created_at").values_list("author_kind", "created_at"))


def test_a_ten_minute_outage_is_caught_up_with_nothing_doubled(channel, slack, post_event):
    with travel(1):
        post_event(callback(written(slack, message(at(0), "Exports fail"))))
    with travel(6):
        post_event(
            callback(written(slack, message(at(5), "Looking", user="UAGENT", thread_ts=at(0))))
        )
    # 10:10 to 10:20 our site is down; Slack gives up retrying these events.
    written(slack, message(at(11), "Still failing", thread_ts=at(0)))
    lost_question = written(slack, message(at(12), "Invoices are wrong", user="UCUST2"))
    written(slack, message(at(15), "On it", user="UAGENT", thread_ts=at(12)))
    # Back up: the next event arrives before the catch-up runs, and must not hide the gap.
    with travel(21):
        post_event(callback(written(slack, message(at(21), "Hello?", thread_ts=at(0)))))

    with travel(22):
        catchup.catch_up()

    exports, invoices = thread_at(0), thread_at(12)
    assert [kind for kind, _ in said(exports)] == ["customer", "agent", "customer", "customer"]
    assert [when for _, when in said(exports)][2] == MONDAY + timedelta(minutes=11)
    next_response = exports.clocks.get(metric="next_response")
    assert next_response.started_at == MONDAY + timedelta(minutes=11)  # its own Slack time
    assert invoices.contact.email == "bo@acme.example"
    first = invoices.clocks.get(metric="first_response")
    assert first.state == "achieved" and first.stopped_at == MONDAY + timedelta(minutes=15)

    with travel(27):
        catchup.catch_up()  # the next run finds nothing new
        post_event(callback(lost_question), retry=3)  # and a very late retry changes nothing
    assert Message.objects.count() == 6 and Thread.objects.count() == 2
    assert SlackEvent.objects.get(ts=f"{at(12):.6f}").note == "already recorded"


def test_a_question_redelivered_after_its_replies_gets_them_in_order(channel, post_event):
    with travel(6):
        post_event(callback(message(at(3), "More detail: since 9am", thread_ts=at(0))))
        post_event(callback(message(at(5), "Looking now", user="UAGENT", thread_ts=at(0))))
    assert not Thread.objects.exists()
    assert set(SlackEvent.objects.values_list("status", flat=True)) == {"waiting"}

    question = callback(message(at(0), "Exports fail"))
    with travel(7):
        post_event(question, retry=1)

    thread = thread_at(0)
    assert [kind for kind, _ in said(thread)] == ["customer", "customer", "agent"]
    first = thread.clocks.get(metric="first_response")
    assert first.state == "achieved" and first.stopped_at == MONDAY + timedelta(minutes=5)
    assert set(SlackEvent.objects.values_list("status", flat=True)) == {"done"}


def test_a_reply_whose_question_the_history_will_not_bring_fetches_it_with_its_replies(
    channel, slack, post_event
):
    """The question was asked a minute before the channel was connected; the answer after."""
    SlackChannel.objects.update(connected_at=MONDAY + timedelta(minutes=1))
    written(slack, message(at(0), "Exports fail"))
    with travel(4):
        post_event(callback(written(slack, message(at(3), "Since 9am", thread_ts=at(0)))))
    with travel(4.5):
        catchup.catch_up()  # too soon: the question's own event may be on its way
    assert not Thread.objects.exists()

    with travel(6):
        catchup.catch_up()
    assert [kind for kind, _ in said(thread_at(0))] == ["customer", "customer"]
    assert any(call.args.get("ts") == f"{at(0):.6f}" for call in slack.to("conversations.replies"))


def test_a_reply_in_a_slack_thread_that_opens_none_is_dropped_when_its_parent_comes(
    channel, post_event
):
    with travel(6):
        post_event(callback(message(at(3), "Thanks!", thread_ts=at(0))))
        post_event(callback(message(at(0), "Release notes are out", user="UAGENT")))
    assert not Thread.objects.exists()
    assert SlackMessage.objects.get(ts=f"{at(3):.6f}").status == "ignored"


def test_a_reply_left_waiting_by_a_race_with_its_question_is_recorded_by_the_catch_up(
    channel, slack, post_event
):
    with travel(1):
        post_event(callback(written(slack, message(at(0), "Exports fail"))))
    reply = written(slack, message(at(2), "Since 9am", thread_ts=at(0)))
    # Its task read "no thread yet" just before the question's transaction committed.
    SlackMessage.objects.create(
        app=channel.app,
        channel_id=CHANNEL,
        ts=reply["ts"],
        thread_ts=reply["thread_ts"],
        status="pending",
        body=reply,
        seen_at=MONDAY + timedelta(minutes=2),
    )
    with travel(5):
        catchup.catch_up()
    assert [kind for kind, _ in said(thread_at(0))] == ["customer", "customer"]
    assert SlackMessage.objects.get(ts=reply["ts"]).status == "recorded"


def test_slacks_429_is_waited_out_before_reading_again(channel, slack):
    written(slack, message(at(12), "Invoices are wrong", user="UCUST2"))
    slack.fail("conversations.history", "429:30")
    with travel(20):
        report = catchup.catch_up()[TEAM]
    assert report.waiting_until and not Thread.objects.exists()
    assert SlackApp.objects.get().catch_up_not_before == MONDAY + timedelta(minutes=20, seconds=30)

    calls = len(slack.calls)
    with travel(20.25):
        catchup.catch_up()
    assert len(slack.calls) == calls  # Slack asked us to wait: not one call

    with travel(21):
        catchup.catch_up()
    assert thread_at(12).created_at == MONDAY + timedelta(minutes=12)


def test_the_catch_up_runs_at_a_clusters_start_as_well_as_every_few_minutes():
    from django_q.models import Schedule

    from slaops.schedules import ensure_schedules

    ensure_schedules()
    Schedule.objects.filter(name="slack-catch-up").update(next_run=MONDAY)
    with travel(60):
        ensure_schedules()  # what a cluster does when it starts
    assert Schedule.objects.get(name="slack-catch-up").next_run == MONDAY + timedelta(minutes=60)


def resolved_thread(slack, post_event, agent, minutes: float) -> Thread:
    """A question answered by the agent and resolved, `minutes` after Monday 10:00."""
    from threads import services

    with travel(minutes + 1):
        post_event(callback(written(slack, message(at(minutes), "Exports fail"))))
    thread = thread_at(minutes)
    with travel(minutes + 3):
        services.agent_reply(thread=thread, body="Fixed", author=agent, send=False)
        services.thread_resolve(thread=thread, actor=agent)
    return thread


@pytest.mark.parametrize("brought_by", ["event", "catch-up"])
def test_a_customer_writing_again_in_a_resolved_slack_thread_reopens_it_however_it_arrives(
    channel, slack, post_event, agent, brought_by
):
    thread = resolved_thread(slack, post_event, agent, 0)
    again = written(slack, message(at(60), "It fails again", thread_ts=at(0)))
    with travel(61):
        if brought_by == "event":
            post_event(callback(again))
        catchup.catch_up()  # lost during an outage: the catch-up reads it back

    thread.refresh_from_db()
    assert thread.status == "open"
    assert said(thread)[-1] == ("customer", MONDAY + timedelta(minutes=60))
    waiting = thread.clocks.get(metric="next_response")  # counts from its own Slack time
    assert waiting.is_running and waiting.started_at == MONDAY + timedelta(minutes=60)
    with travel(70):
        catchup.catch_up()
    assert thread.messages.count() == 3  # read once, whoever brought it


def test_threads_resolved_more_than_a_week_ago_are_no_longer_read(
    channel, slack, post_event, agent
):
    resolved_thread(slack, post_event, agent, 0)
    with travel(8 * 24 * 60):
        catchup.catch_up()
    assert not [c for c in slack.to("conversations.replies") if c.args["ts"] == f"{at(0):.6f}"]


def test_a_run_out_of_calls_leaves_the_threads_it_did_not_reach_first_in_line_for_the_next(
    channel, slack, post_event, monkeypatch
):
    for minute in range(5):
        with travel(minute + 1):
            post_event(callback(written(slack, message(at(minute), f"Question {minute}"))))
    monkeypatch.setattr(catchup, "MAX_CALLS", 4)  # the history, then three threads a run

    def threads_read(minutes: float) -> set[str]:
        before = len(slack.to("conversations.replies"))
        with travel(minutes):
            catchup.catch_up()
        return {c.args["ts"] for c in slack.to("conversations.replies")[before:]}

    first, second = threads_read(10), threads_read(15)
    everyone = {f"{at(minute):.6f}" for minute in range(5)}
    assert len(first) == 3 and everyone - first <= second  # the two left over go first
    assert first | second == everyone
