"""The triage message's buttons: Slack's signature proves Slack sent the click, the clicker's
agent (role, team scope, active) decides what happens, the thread changes through the same
services as the pages, and the answer comes back through the click's response_url."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group

from accounts.models import AgentProfile, Team
from accounts.roles import AGENTS
from policies.models import AlertChannel, NotificationRule, SlaPolicy, WarningThreshold
from slackapp.models import SlackTriageMessage, SlackUser
from slackapp.triage import ASSIGN, OPEN, PRIORITY, RESOLVE
from tests.slackapp.conftest import INTERACTIVITY_URL, TEAM, callback, message, sign
from threads import services
from threads.alerting.delivery import deliver_due
from threads.evaluator import evaluate
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def thread(workspace, post_event):
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Exports fail <!channel>")))
    return Thread.objects.get()


def click(slack, thread_id, action_id, *, user="UAGENT", value=None, ts="1900000000.000001"):
    action = {"action_id": action_id, "block_id": f"sla_triage:{thread_id}", "type": "button"}
    if value is not None:
        action |= {"type": "static_select", "selected_option": {"value": value}}
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": TEAM},
        "team": {"id": TEAM, "domain": "acme"},
        "container": {"type": "message", "channel_id": "C0TRIAGE", "message_ts": ts},
        "response_url": slack.response_url(),
        "actions": [action],
    }


def send(post_form, payload):
    return post_form(INTERACTIVITY_URL, {"payload": json.dumps(payload)})


def test_assign_to_me_assigns_the_clicker_and_replaces_the_message(thread, slack, post_form, agent):
    answer = send(post_form, click(slack, thread.pk, ASSIGN))
    assert answer.status_code == 200 and answer.content == b""
    thread.refresh_from_db()
    assert thread.assignee == agent
    ((path, reply),) = slack.responses
    assert path == "/actions/r1" and reply["replace_original"] is True
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "Assigned to *alex*" in shown
    assert "<!channel>" not in json.dumps(reply)  # the subject stays escaped


def test_set_priority_sets_it_and_the_menu_shows_it(thread, slack, post_form):
    send(post_form, click(slack, thread.pk, PRIORITY, value="urgent"))
    thread.refresh_from_db()
    assert thread.priority == "urgent"
    ((_, reply),) = slack.responses
    (actions,) = [block for block in reply["blocks"] if block["type"] == "actions"]
    (menu,) = [e for e in actions["elements"] if e["type"] == "static_select"]
    assert menu["initial_option"]["value"] == "urgent"


def test_resolve_resolves_and_the_button_goes(thread, slack, post_form, agent):
    send(post_form, click(slack, thread.pk, RESOLVE))
    thread.refresh_from_db()
    assert thread.status == "resolved"
    ((_, reply),) = slack.responses
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "Resolved" in shown and RESOLVE not in shown and "Open in SLA Ops" in shown
    assert f"/threads/{thread.pk}/" in shown


def test_an_agent_out_of_the_threads_team_is_refused_and_nothing_changes(
    thread, slack, post_form, agent
):
    AgentProfile.objects.create(user=agent, only_my_teams=True)
    billing = Team.objects.create(name="Billing")
    Team.objects.create(name="Tier 2").members.add(agent)
    services.thread_update(thread=thread.pk, team=billing)
    for action, value in ((ASSIGN, None), (PRIORITY, "low"), (RESOLVE, None)):
        send(post_form, click(slack, thread.pk, action, value=value))
    thread.refresh_from_db()
    assert thread.assignee is None and thread.priority == "normal" and thread.status == "open"
    assert len(slack.responses) == 3
    for _, reply in slack.responses:
        assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
        assert reply["text"] == "You are not allowed to do that in SLA Ops."


def test_a_slack_user_who_is_not_an_agent_is_told_so(thread, slack, post_form):
    send(post_form, click(slack, thread.pk, RESOLVE, user="UCUST"))
    thread.refresh_from_db()
    assert thread.status == "open"
    ((_, reply),) = slack.responses
    assert reply["text"] == "You are not an agent in SLA Ops." and reply["response_type"] == (
        "ephemeral"
    )
    assert slack.to("users.info")  # asked Slack who they are (outside the request's answer)


def test_a_colleague_found_by_e_mail_may_click(thread, slack, post_form, other_agent):
    slack.users["UNEW"] = {"name": "Blake", "email": other_agent.email}
    send(post_form, click(slack, thread.pk, ASSIGN, user="UNEW"))
    thread.refresh_from_db()
    assert thread.assignee == other_agent
    assert SlackUser.objects.get(slack_user_id="UNEW").agent == other_agent


def test_a_deactivated_agent_is_not_an_agent(thread, slack, post_form, agent):
    agent.is_active = False
    agent.save()
    send(post_form, click(slack, thread.pk, ASSIGN))
    thread.refresh_from_db()
    assert thread.assignee is None
    assert slack.responses[0][1]["text"] == "You are not an agent in SLA Ops."


def test_an_agent_taken_out_of_their_role_is_not_an_agent(thread, slack, post_form, agent):
    agent.groups.remove(Group.objects.get(name=AGENTS))
    send(post_form, click(slack, thread.pk, RESOLVE))
    thread.refresh_from_db()
    assert thread.status == "open"
    assert slack.responses[0][1]["text"] == "You are not an agent in SLA Ops."


def test_the_link_button_needs_no_answer(thread, slack, post_form):
    answer = send(post_form, click(slack, thread.pk, OPEN))
    assert answer.status_code == 200 and not slack.responses


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({}, "X-Slack-Request-Timestamp"),
        ({"timestamp": "now"}, "X-Slack-Signature"),
        ({"secret": "another-apps-secret"}, "invalid or stale signature"),
        ({"stale": True}, "invalid or stale signature"),
    ],
    ids=["missing", "missing signature", "wrong secret", "stale"],
)
def test_a_bad_signature_is_a_401_slack_must_not_retry_and_nothing_changes(
    thread, slack, client, headers, said
):
    body = f"payload={json.dumps(click(slack, thread.pk, RESOLVE))}".encode()
    sent = {}
    if headers:
        stamp = int(time.time()) - (600 if headers.get("stale") else 0)
        sent["X-Slack-Request-Timestamp"] = str(stamp)
        if "secret" in headers or "stale" in headers:
            sent["X-Slack-Signature"] = sign(body, stamp, headers.get("secret", "x" * 32))
    answer = client.post(
        INTERACTIVITY_URL,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=sent,
    )
    assert answer.status_code == 401 and said in answer.json()["error"]
    assert answer["X-Slack-No-Retry"] == "1"
    thread.refresh_from_db()
    assert thread.status == "open" and not slack.responses


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({}, "payload: missing"),
        ({"payload": "{not json"}, "payload: not JSON"),
        ({"payload": "[1, 2]"}, "payload: not a JSON object"),
        (
            {"payload": json.dumps({"type": "block_actions", "actions": []})},
            "payload.actions",
        ),
    ],
    ids=["no payload", "not json", "not an object", "no actions"],
)
def test_a_signed_payload_that_is_not_slacks_is_a_400_naming_the_field(
    workspace, post_form, fields, named
):
    answer = post_form(INTERACTIVITY_URL, fields)
    assert answer.status_code == 400 and answer.json()["error"].startswith(named)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda p: p["actions"][0].update(block_id="someone-elses"), "payload.actions[0].block_id"),
        (lambda p: p.update(user={"id": "<@U1>"}), "payload.user.id"),
        (lambda p: p.update(response_url="https://evil.example/x"), "payload.response_url"),
        (lambda p: p.pop("response_url"), "payload.response_url"),
        (
            lambda p: p["actions"][0].update(selected_option={"value": "panic"}),
            "payload.actions[0].selected_option.value",
        ),
    ],
    ids=["block", "user", "response_url elsewhere", "no response_url", "priority"],
)
def test_a_click_with_a_field_we_cannot_use_is_a_400_naming_it(
    thread, slack, post_form, change, named
):
    payload = click(slack, thread.pk, PRIORITY, value="high")
    change(payload)
    answer = send(post_form, payload)
    assert answer.status_code == 400 and answer.json()["error"].startswith(named)
    thread.refresh_from_db()
    assert thread.priority == "normal" and not slack.responses


def test_the_triage_message_has_the_buttons_and_a_click_keeps_its_alert(
    workspace, slack, post_event, post_form, agent
):
    channel = AlertChannel.objects.create(name="Triage", kind="slack_app", addresses="C0TRIAGE")
    policy = SlaPolicy.objects.get()
    WarningThreshold.objects.create(policy=policy, kind="minutes_before", value=15)
    rule = NotificationRule.objects.create(policy=policy, events=["warning"], in_app=False)
    rule.channels.set([channel])
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Exports fail")))
    with time_machine.travel(MONDAY + timedelta(minutes=46), tick=False):
        evaluate()
        deliver_due()
    (posted,) = slack.to("chat.postMessage")
    blocks = posted.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    (actions,) = [block for block in blocks if block["type"] == "actions"]
    thread = Thread.objects.get()
    assert actions["block_id"] == f"sla_triage:{thread.pk}"
    assert [e.get("action_id") for e in actions["elements"]] == [ASSIGN, PRIORITY, RESOLVE, OPEN]
    assert actions["elements"][-1]["url"].endswith(f"/{thread.pk}/")
    assert "Unassigned · Priority *Normal* · Open" in json.dumps(blocks, ensure_ascii=False)

    kept = SlackTriageMessage.objects.get()
    with time_machine.travel(MONDAY + timedelta(minutes=50), tick=False):
        send(post_form, click(slack, thread.pk, ASSIGN, ts=kept.ts))
    ((_, reply),) = slack.responses
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "First response due in 15 minutes" in shown  # the alert, as it reads now
    assert "Assigned to *alex* · Priority *Normal* · Open" in shown
