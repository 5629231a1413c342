"""Socket Mode: every envelope goes to the same handler as its HTTP URL and is acked (a slash
command's ack carries its answer); an envelope is not acked while our database is down, so
Slack sends it again; `manage.py slack_socket` says what is missing before it connects, and
over a real WebSocket (a local stand-in for Slack's, trio-websocket) it acks what it receives."""

import json
import queue
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from slack_sdk.socket_mode.request import SocketModeRequest

from slackapp import socket_mode
from slackapp.models import SlackApp, SlackEvent
from slackapp.triage import ASSIGN
from tests.slackapp.conftest import CHANNEL, TEAM, callback, message
from threads.models import Thread

pytestmark = [pytest.mark.both]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class Recorder:
    """What a SocketModeClient's listener is given: records the acks."""

    def __init__(self):
        self.acks = []

    def send_socket_mode_response(self, response):
        self.acks.append(response.to_dict())


def envelope(kind: str, payload, *, retry: int = 0) -> SocketModeRequest:
    return SocketModeRequest(
        type=kind, envelope_id=f"env-{kind}", payload=payload, retry_attempt=retry
    )


@pytest.mark.django_db
def test_an_event_envelope_is_stored_mapped_and_acked_once_however_often_it_comes(
    workspace, django_capture_on_commit_callbacks
):
    client = Recorder()
    event = callback(message(MONDAY.timestamp(), "Exports fail"))
    with (
        time_machine.travel(MONDAY + timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        socket_mode.on_request(client, envelope("events_api", event))
        socket_mode.on_request(client, envelope("events_api", event, retry=1))
    assert Thread.objects.get().subject == "Exports fail"
    assert SlackEvent.objects.get().repeats == 1
    assert client.acks == [{"envelope_id": "env-events_api"}] * 2


@pytest.mark.django_db
def test_a_button_click_envelope_acts_as_the_http_one_does(
    workspace, slack, agent, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(MONDAY + timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        socket_mode.dispatch("events_api", callback(message(MONDAY.timestamp(), "Help")))
    thread = Thread.objects.get()
    click = {
        "type": "block_actions",
        "user": {"id": "UAGENT", "team_id": TEAM},
        "team": {"id": TEAM},
        "container": {"channel_id": "C0TRIAGE", "message_ts": "1.2"},
        "response_url": slack.response_url(),
        "actions": [{"action_id": ASSIGN, "block_id": f"sla_triage:{thread.pk}"}],
    }
    client = Recorder()
    socket_mode.on_request(client, envelope("interactive", click))
    thread.refresh_from_db()
    assert thread.assignee == agent
    assert slack.responses[0][1]["replace_original"] is True
    assert client.acks == [{"envelope_id": "env-interactive"}]


@pytest.mark.django_db
def test_a_slash_command_envelope_is_acked_with_its_answer(workspace, slack):
    command = {
        "command": "/sla",
        "text": "",
        "user_id": "UAGENT",
        "channel_id": CHANNEL,
        "team_id": TEAM,
        "response_url": slack.response_url(),
    }
    client = Recorder()
    socket_mode.on_request(client, envelope("slash_commands", command))
    (ack,) = client.acks
    assert ack["envelope_id"] == "env-slash_commands"
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "no clock will breach" in ack["payload"]["text"]


@pytest.mark.django_db
def test_envelopes_for_another_workspace_or_of_no_use_are_acked_and_dropped(workspace):
    client = Recorder()
    socket_mode.on_request(client, envelope("events_api", callback({"type": "x"}, team="T0FOO")))
    socket_mode.on_request(client, envelope("slash_commands", {"team_id": "T0FOO"}))
    socket_mode.on_request(client, envelope("app_home_opened", {}))
    assert len(client.acks) == 3 and not SlackEvent.objects.exists()
    assert socket_mode.dispatch("interactive", ["not", "an", "object"]).error == (
        "payload: not a JSON object"
    )


@pytest.mark.django_db
def test_a_bad_slash_command_is_acked_without_an_answer(workspace):
    client = Recorder()
    socket_mode.on_request(client, envelope("slash_commands", {"team_id": TEAM, "user_id": "x"}))
    assert client.acks == [{"envelope_id": "env-slash_commands"}]


@pytest.mark.django_db
def test_an_envelope_is_not_acked_while_the_database_is_down(workspace, monkeypatch):
    def down(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(socket_mode.handlers, "events_api", down)
    client = Recorder()
    socket_mode.on_request(client, envelope("events_api", callback({"type": "message"})))
    assert client.acks == []  # Slack sends it again


@pytest.mark.parametrize(
    ("token", "args", "said"),
    [
        ("", [], "SLACK_APP_TOKEN is not set"),
        ("xoxb-a-bot-token-not-an-app-token", [], "not an app-level token"),
        ("xapp-1-A0123-456-abcdef", ["--seconds", "0"], "--seconds"),
    ],
    ids=["no token", "a bot token", "no time"],
)
@pytest.mark.django_db
def test_slack_socket_says_what_is_missing_before_it_connects(
    workspace, settings, token, args, said
):
    settings.SLACK_APP_TOKEN = token
    with pytest.raises(CommandError, match=said):
        call_command("slack_socket", *args)


@pytest.mark.django_db
def test_slack_socket_needs_an_enabled_app(db, settings):
    settings.SLACK_APP_TOKEN = "xapp-1-A0123-456-abcdef"
    with pytest.raises(CommandError, match="No enabled Slack app"):
        call_command("slack_socket")


@pytest.mark.django_db
def test_slack_socket_refuses_a_slack_answer_pointing_elsewhere(workspace, slack, settings):
    settings.SLACK_APP_TOKEN = "xapp-1-A0123-456-abcdef"
    slack.socket_url = "wss://evil.example/link"
    with pytest.raises(CommandError, match="not Slack's"):
        call_command("slack_socket", "--seconds", "0.01")
    (opened,) = slack.to("apps.connections.open")
    assert opened.token == "xapp-1-A0123-456-abcdef"


@pytest.mark.django_db
def test_slack_socket_says_when_slack_refuses_the_token(workspace, slack, settings):
    settings.SLACK_APP_TOKEN = "xapp-1-A0123-456-abcdef"
    slack.fail("apps.connections.open", "invalid_auth")
    with pytest.raises(CommandError, match="invalid_auth"):
        call_command("slack_socket", "--seconds", "0.01")


@contextmanager
def stand_in(envelopes: list[dict]):
    """A local WebSocket server speaking as Slack's Socket Mode: hello, then the envelopes;
    yields (its ws:// URL, a queue of what the client sends back)."""
    import trio
    from trio_websocket import ConnectionClosed, serve_websocket

    received: queue.Queue = queue.Queue()
    ready = threading.Event()
    state = {}

    async def handler(request):
        socket = await request.accept()
        await socket.send_message(json.dumps({"type": "hello", "num_connections": 1}))
        for sent in envelopes:
            await socket.send_message(json.dumps(sent))
        try:
            while True:
                received.put(json.loads(await socket.get_message()))
        except ConnectionClosed:
            pass

    async def main():
        async with trio.open_nursery() as nursery:
            server = await nursery.start(
                partial(serve_websocket, handler, "127.0.0.1", 0, ssl_context=None)
            )
            state["url"] = f"ws://127.0.0.1:{server.port}/link"
            state["token"] = trio.lowlevel.current_trio_token()
            state["scope"] = nursery.cancel_scope
            ready.set()

    runner = threading.Thread(target=trio.run, args=(main,), daemon=True)
    runner.start()
    assert ready.wait(5)
    try:
        yield state["url"], received
    finally:
        trio.from_thread.run_sync(state["scope"].cancel, trio_token=state["token"])
        runner.join(5)


@pytest.mark.django_db(transaction=True)
def test_over_a_websocket_each_envelope_is_acked(workspace, slack):
    pytest.importorskip("trio_websocket")
    command = {
        "command": "/sla",
        "user_id": "UAGENT",
        "channel_id": CHANNEL,
        "team_id": TEAM,
        "response_url": slack.response_url(),
    }
    sent = [
        {"type": "slash_commands", "envelope_id": "e-1", "payload": command},
        {"type": "events_api", "envelope_id": "e-2", "payload": callback({"type": "x"})},
    ]
    with stand_in(sent) as (url, received):
        slack.socket_url = url
        client = socket_mode.client("xapp-1-A0123-456-abcdef", auto_reconnect_enabled=False)
        try:
            client.connect()
            acks = [received.get(timeout=10) for _ in sent]
        finally:
            client.close()
    by_id = {ack["envelope_id"]: ack for ack in acks}
    assert set(by_id) == {"e-1", "e-2"}
    assert by_id["e-1"]["payload"]["response_type"] == "ephemeral"
    assert "payload" not in by_id["e-2"]
    assert SlackApp.objects.filter(enabled=True).exists()
