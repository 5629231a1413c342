"""Every Slack Web API call runs outside a database transaction, so a slow Slack never holds a
thread's lock or a request's answer: mapping an event (users.info), a button click and /sla
(users.info, conversations.info), a triage alert, a reply and the catch-up."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction

from policies.models import AlertChannel, NotificationRule, SlaPolicy, WarningThreshold
from slackapp import catchup, web
from slackapp.triage import ASSIGN
from tests.slackapp.conftest import COMMANDS_URL, INTERACTIVITY_URL, TEAM, callback, message
from threads import services
from threads.alerting.delivery import deliver_due
from threads.evaluator import evaluate
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def watched(monkeypatch):
    """(method, whether a transaction of ours was open) for every Web API call."""
    seen = []
    real = web.call

    def call(app, method, **arguments):
        ours = [a for a in connection.atomic_blocks if not getattr(a, "_from_testcase", False)]
        seen.append((method, bool(ours)))
        return real(app, method, **arguments)

    monkeypatch.setattr(web, "call", call)
    return seen


def test_no_web_api_call_is_made_inside_a_transaction(
    workspace, slack, post_event, post_form, agent, watched, django_capture_on_commit_callbacks
):
    channel = AlertChannel.objects.create(name="Triage", kind="slack_app", addresses="C0TRIAGE")
    policy = SlaPolicy.objects.get()
    WarningThreshold.objects.create(policy=policy, kind="minutes_before", value=15)
    NotificationRule.objects.create(policy=policy, events=["warning"], in_app=False).channels.set(
        [channel]
    )
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(callback(message(MONDAY.timestamp(), "Exports fail")))  # users.info
    thread = Thread.objects.get()
    with time_machine.travel(MONDAY + timedelta(minutes=46), tick=False):
        evaluate()
        deliver_due()  # the triage message
        slack.users["UNEW"] = {"name": "Blake", "email": "blake@acme.example"}
        click = {
            "type": "block_actions",
            "user": {"id": "UNEW", "team_id": TEAM},
            "response_url": slack.response_url(),
            "actions": [{"action_id": ASSIGN, "block_id": f"sla_triage:{thread.pk}"}],
        }
        post_form(INTERACTIVITY_URL, {"payload": json.dumps(click)})
        command = {
            "user_id": "UAGENT",
            "channel_id": "C0ELSE",
            "response_url": click["response_url"],
        }
        post_form(COMMANDS_URL, command)
        with django_capture_on_commit_callbacks(execute=True):
            services.agent_reply(thread=thread, author=agent, body="On it", send=True)
    with time_machine.travel(MONDAY + timedelta(minutes=50), tick=False):
        catchup.catch_up()
    methods = {method for method, _ in watched}
    assert {
        "users_info",
        "chat_postMessage",
        "conversations_info",
        "conversations_history",
        "conversations_replies",
    } <= methods
    assert [method for method, inside in watched if inside] == []
    with transaction.atomic():  # and the watch would have seen one
        web.call(workspace, "auth_test")
    assert watched[-1] == ("auth_test", True)
