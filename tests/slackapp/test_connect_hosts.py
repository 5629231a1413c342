"""Slack Connect as Slack delivers it: in a channel the customer hosts, the outer `team_id` is the
customer's workspace and only `authorizations` (and `context_team_id`) name ours; the author's
organisation (`user_team`) says customer or agent before any e-mail address does; and a
customer's Workflow form posting at the top of the channel opens a thread when the channel says
so. Payload shapes follow Slack's Events API documentation (event wrapper with authorizations,
is_ext_shared_channel, and message events with team / user_team / source_team)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slackapp.models import SlackChannel, SlackEvent, SlackUser
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


def hosted_by_customer(event: dict, **wrapper) -> dict:
    """The wrapper Slack sends for a channel the customer's workspace hosts."""
    payload = callback(event, team=CUSTOMER_TEAM)
    payload |= {
        "context_team_id": CUSTOMER_TEAM,
        "context_enterprise_id": None,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": True,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMENVU1RPTUVSIn0",
    }
    return payload | wrapper


def theirs(event: dict) -> dict:
    """A message written by a member of the customer's organisation."""
    return event | {"team": CUSTOMER_TEAM, "user_team": CUSTOMER_TEAM, "source_team": CUSTOMER_TEAM}


def ours(event: dict) -> dict:
    return event | {"team": TEAM, "user_team": TEAM, "source_team": CUSTOMER_TEAM}


def the_thread() -> Thread:
    return Thread.objects.get(source=f"slack:{TEAM}", external_id=f"{CHANNEL}:{at(0):.6f}")


@pytest.fixture
def customer_org(slack):
    slack.users["UEXT"] = {
        "name": "Erin External",
        "email": "erin@acme.example",
        "team": CUSTOMER_TEAM,
    }


def test_a_question_in_a_channel_the_customer_hosts_opens_a_thread(
    workspace, post_event, customer_org
):
    answer = post_event(hosted_by_customer(theirs(message(at(0), "Exports fail", user="UEXT"))))
    assert answer.status_code == 200
    thread = the_thread()
    assert thread.account.name == "Acme" and thread.created_at == MONDAY
    assert thread.contact.email == "erin@acme.example"


def test_the_customers_member_is_looked_up_with_users_info_for_their_own_team(
    workspace, post_event, slack, customer_org
):
    post_event(hosted_by_customer(theirs(message(at(0), "Exports fail", user="UEXT"))))
    (asked,) = slack.to("users.info")
    assert asked.args["user"] == "UEXT"
    person = SlackUser.objects.get(slack_user_id="UEXT")
    assert person.team_id == CUSTOMER_TEAM and person.name == "Erin External"
    assert person.agent is None


def test_context_team_id_alone_names_our_workspace(workspace, post_event):
    payload = callback(message(at(0), "Exports fail"), team=CUSTOMER_TEAM)
    payload["context_team_id"] = TEAM
    post_event(payload)
    assert the_thread().subject == "Exports fail"


def test_our_agent_answering_in_the_customers_channel_stops_the_clock(
    workspace, post_event, customer_org
):
    post_event(hosted_by_customer(theirs(message(at(0), "Exports fail", user="UEXT"))))
    reply = ours(message(at(7), "Looking now", user="UAGENT", thread_ts=at(0)))
    post_event(hosted_by_customer(reply))
    said = the_thread().messages.get(external_id=f"{at(7):.6f}")
    assert said.author_kind == Message.Author.AGENT
    first = the_thread().clocks.get(metric="first_response")
    assert first.state == "achieved" and first.stopped_at == MONDAY + timedelta(minutes=7)


def test_a_customer_linked_to_an_agent_by_mistake_still_writes_as_the_customer(
    workspace, post_event, agent, customer_org
):
    """The organisation decides before any link or e-mail: someone of theirs is never ours."""
    SlackUser.objects.create(
        app=workspace, slack_user_id="UEXT", agent=agent, team_id=CUSTOMER_TEAM
    )
    post_event(hosted_by_customer(theirs(message(at(0), "Exports fail", user="UEXT"))))
    post_event(
        hosted_by_customer(theirs(message(at(3), "Any news?", user="UEXT", thread_ts=at(0))))
    )
    thread = the_thread()
    assert set(thread.messages.values_list("author_kind", flat=True)) == {"customer"}
    assert thread.clocks.get(metric="first_response").state == "pending"


def workflow(minutes: float, text: str, **more) -> dict:
    """A Workflow Builder form posting in the channel (a bot message of the customer's team)."""
    event = message(at(minutes), text, user="", bot_id="B0WORKFLOW", **more)
    del event["user"]
    event["subtype"] = "bot_message"
    event["bot_profile"] = {"id": "B0WORKFLOW", "name": "Report a bug", "team_id": CUSTOMER_TEAM}
    return theirs(event)


def test_a_customers_workflow_form_opens_a_thread_where_the_channel_says_so(workspace, post_event):
    SlackChannel.objects.update(workflow_opens_threads=True)
    post_event(hosted_by_customer(workflow(0, "Bug report: exports fail\nSeverity: high")))
    thread = the_thread()
    assert thread.subject == "Bug report: exports fail" and thread.contact is None
    assert thread.clocks.get(metric="first_response").state == "pending"


def test_a_customers_workflow_form_opens_nothing_by_default(workspace, post_event):
    post_event(hosted_by_customer(workflow(0, "Bug report: exports fail")))
    assert not Thread.objects.exists()
    assert SlackEvent.objects.get().status == "ignored"


def test_our_own_bot_at_the_top_never_opens_a_thread(workspace, post_event):
    SlackChannel.objects.update(workflow_opens_threads=True)
    event = message(at(0), "Status page: all green", user="", bot_id="B0OURS")
    del event["user"]
    event["bot_profile"] = {"id": "B0OURS", "name": "Status", "team_id": TEAM}
    post_event(hosted_by_customer(event | {"team": TEAM}))
    assert not Thread.objects.exists()


def test_a_workflow_post_inside_a_thread_is_the_customers_automatic_message(
    workspace, post_event, customer_org
):
    post_event(hosted_by_customer(theirs(message(at(0), "Exports fail", user="UEXT"))))
    post_event(hosted_by_customer(workflow(4, "Form: logs attached", thread_ts=at(0))))
    said = the_thread().messages.get(external_id=f"{at(4):.6f}")
    assert said.author_kind == Message.Author.CUSTOMER and said.automatic
    assert the_thread().clocks.get(metric="first_response").state == "pending"
