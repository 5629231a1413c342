"""/sla: "what breaches next for my team", only to the person who asked, never in a channel
shared with another organisation, and only for someone who is an agent in SLA Ops."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Team
from slackapp.models import SlackChannel
from tests.slackapp.conftest import CHANNEL, COMMANDS_URL, callback, message
from threads import services
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def threads(workspace, post_event, agent):
    """Three questions: two for the agent's team (one older, so due first), one for another."""
    tier2 = Team.objects.create(name="Tier 2")
    tier2.members.add(agent)
    billing = Team.objects.create(name="Billing")
    made = []
    for minute, subject, team in (
        (0, "Exports <b>fail</b> & <!channel>", tier2),
        (5, "Invoices missing", billing),
        (10, "Login slow", tier2),
    ):
        at = MONDAY + timedelta(minutes=minute)
        with time_machine.travel(at + timedelta(seconds=1), tick=False):
            post_event(callback(message(at.timestamp(), subject)))
            thread = Thread.objects.get(external_id=f"{CHANNEL}:{at.timestamp():.6f}")
            services.thread_update(thread=thread.pk, team=team)
        made.append(thread)
    return made


def sla(post_form, slack, *, user="UAGENT", channel=CHANNEL, text="", **fields):
    form = {
        "command": "/sla",
        "text": text,
        "user_id": user,
        "channel_id": channel,
        "team_id": "T0ACME",
        "response_url": slack.response_url("cmd"),
    } | fields
    with time_machine.travel(MONDAY + timedelta(minutes=20), tick=False):
        return post_form(COMMANDS_URL, form)


def test_sla_lists_the_next_breaches_of_my_teams_at_once_and_only_to_me(threads, slack, post_form):
    asked_before = len(slack.calls)
    answer = sla(post_form, slack)
    assert answer.status_code == 200
    said = answer.json()
    assert said["response_type"] == "ephemeral"
    text = said["text"]
    exports, invoices, login = threads
    assert text.index(f"#{exports.pk} ") < text.index(f"#{login.pk} ")  # due first, first
    assert f"#{invoices.pk} " not in text  # another team's
    assert "Next to breach for your teams" in text
    assert "First response" in text and "40m left (business time)" in text
    assert f"/threads/{exports.pk}/|" in text  # a link to the thread page
    assert "&lt;b&gt;fail&lt;/b&gt; &amp; &lt;!channel&gt;" in text and "<!channel>" not in text
    assert len(slack.calls) == asked_before and not slack.responses  # no Web API call needed


def test_sla_with_a_number_shows_that_many_and_nonsense_gets_the_usage(threads, slack, post_form):
    one = sla(post_form, slack, text="1").json()["text"]
    assert one.count("•") == 1
    assert "Use /sla" in sla(post_form, slack, text="all of them").json()["text"]
    assert "Use /sla" in sla(post_form, slack, text="٣").json()["text"]


def test_sla_for_someone_without_a_team_lists_what_they_may_see(
    workspace, post_event, slack, post_form
):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Exports fail")))
    text = sla(post_form, slack).json()["text"]
    assert "Next to breach for the threads you can see" in text and "Exports fail" in text


def test_sla_in_a_channel_shared_with_another_organisation_is_refused(threads, slack, post_form):
    SlackChannel.objects.update(externally_shared=True)
    said = sla(post_form, slack).json()
    assert said["response_type"] == "ephemeral"
    assert "does not answer in a channel shared with another organisation" in said["text"]
    assert "Exports" not in said["text"]


def test_sla_in_a_slack_connect_channel_we_do_not_know_asks_slack_and_refuses(
    threads, slack, post_form
):
    slack.shared.add("C0SHARED")
    answer = sla(post_form, slack, channel="C0SHARED")
    assert answer.status_code == 200 and answer.content == b""  # answered through response_url
    ((path, said),) = slack.responses
    assert path == "/actions/cmd" and said["response_type"] == "ephemeral"
    assert "shared with another organisation" in said["text"] and "Exports" not in said["text"]


def test_sla_in_an_internal_channel_asks_slack_once(threads, slack, post_form):
    sla(post_form, slack, channel="C0INTERNAL")
    ((_, said),) = slack.responses
    assert "Next to breach for your teams" in said["text"]
    again = sla(post_form, slack, channel="C0INTERNAL")
    assert "Next to breach" in again.json()["text"]  # known now: answered at once
    assert len(slack.to("conversations.info")) == 1


def test_sla_where_the_app_cannot_see_the_channel_does_not_answer(threads, slack, post_form):
    sla(post_form, slack, channel="CGONE1")
    ((_, said),) = slack.responses
    assert "cannot tell whether this channel is shared" in said["text"]


def test_sla_by_someone_who_is_not_an_agent_says_so(threads, slack, post_form):
    slack.users["UVISITOR"] = {"name": "Val", "email": "val@acme.example"}
    sla(post_form, slack, user="UVISITOR")  # not known yet: Slack is asked who they are
    ((_, said),) = slack.responses
    assert said == {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": "You are not an agent in SLA Ops.",
    }
    known = sla(post_form, slack, user="UVISITOR")  # known now: answered at once
    assert known.json()["text"] == "You are not an agent in SLA Ops."
    assert [call.args["user"] for call in slack.to("users.info")].count("UVISITOR") == 1


def test_sla_by_a_deactivated_agent_says_not_an_agent(threads, slack, post_form, agent):
    agent.is_active = False
    agent.save()
    assert sla(post_form, slack).json()["text"] == "You are not an agent in SLA Ops."


def test_sla_with_a_bad_signature_is_a_401_slack_must_not_retry(threads, slack, post_form):
    with time_machine.travel(MONDAY + timedelta(minutes=20), tick=False):
        answer = post_form(COMMANDS_URL, {"user_id": "UAGENT"}, secret="not-the-secret")
    assert answer.status_code == 401 and answer["X-Slack-No-Retry"] == "1"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"user_id": ""}, "user_id"),
        ({"channel_id": "<#C1>"}, "channel_id"),
        ({"response_url": "https://evil.example/x"}, "response_url"),
    ],
)
def test_sla_with_a_field_we_cannot_use_is_a_400_naming_it(
    threads, slack, post_form, fields, named
):
    answer = sla(post_form, slack, **fields)
    assert answer.status_code == 400 and answer.json()["error"].startswith(named)
