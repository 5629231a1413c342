"""What Slack sends us, after its transport: the same handlers behind the HTTP URLs
(slackapp/views.py, which check Slack's signature and parse the body) and behind Socket Mode
(slackapp/socket_mode.py, where the app-level token's connection is the proof).

Each handler takes the app the request is for and the parsed payload and returns an `Answer`:
the HTTP layer turns it into a response, Socket Mode into the envelope's ack. Every handler is
quick (Slack wants an answer within 3 seconds): it checks the payload, stores or queues the
work (a django-q2 task) and answers; whatever asks Slack's Web API or changes a thread runs in
the task, outside the request."""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from slackapp.connect import delivered_to
from slackapp.installs import DjangoInstallationStore, addressed
from slackapp.models import SlackApp, SlackEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: dict | None = None  # a JSON answer (a slash command's ephemeral message), or none
    error: str = ""  # a refusal naming the field: a 4xx that Slack must not retry


NOT_INSTALLED = {
    "response_type": "ephemeral",
    "text": "SLA Ops is not installed in this workspace yet, or not approved.",
}


# Slack telling us an installation's bot token is gone (deploy/slack/manifest.yml subscribes).
LIFECYCLE = ("app_uninstalled", "tokens_revoked")


def refused(error: str, status: int = 400) -> Answer:
    return Answer(status=status, error=error)


def events_api(app: SlackApp, payload: dict, *, repeat: bool = False) -> Answer:
    """An Events API callback: stored once (unique by event_id) and mapped by a task."""
    if payload.get("type") != "event_callback":
        return Answer()  # app_rate_limited and the like: nothing to record
    event_id = payload.get("event_id")
    if not isinstance(event_id, str) or not event_id or not isinstance(payload.get("event"), dict):
        return refused("event_id and event are required")
    app = addressed(app, payload)
    if not delivered_to(app, payload):
        return Answer()  # another workspace's event: not ours to keep
    if payload["event"].get("type") in LIFECYCLE:
        _token_gone(app, payload["event"])
        return Answer()
    stored = _stored(app, payload, repeat=repeat)
    if stored is not None:
        name = f"slack-event-{stored.pk}"
        transaction.on_commit(lambda: _enqueue("slackapp.tasks.handle_event", stored.pk, name=name))
    return Answer()


def interaction(app: SlackApp, payload: dict) -> Answer:
    """A click on a triage message's button or priority menu (slackapp/triage.py)."""
    from slackapp import triage

    try:
        action = triage.read_action(payload)
    except ValueError as error:
        return refused(str(error))
    if action is None:
        return Answer()  # the link button, or an interaction that is not ours: nothing to do
    app = addressed(app, teams_named("interactive", payload))
    if app.pk is None:
        return Answer()  # signed by the app for a workspace not installed or not approved
    _enqueue("slackapp.tasks.interact", app.pk, action)
    return Answer()


def slash_command(app: SlackApp, form: dict) -> Answer:
    """/sla: answered at once when that is cheap, else through its response_url."""
    from slackapp import command

    try:
        asked = command.read(form)
    except ValueError as error:
        return refused(str(error))
    app = addressed(
        app, {"team_id": form.get("team_id"), "enterprise_id": form.get("enterprise_id")}
    )
    if app.pk is None:
        return Answer(body=NOT_INSTALLED)
    now = command.answer_now(app, asked)
    if now is not None:
        return Answer(body=now)
    _enqueue("slackapp.tasks.slash_command", app.pk, asked)
    return Answer()


def _stored(app: SlackApp, payload: dict, repeat: bool) -> SlackEvent | None:
    """The new event row, or None for one already received (a retry or a duplicate)."""
    event = payload["event"]
    item, message = event.get("item"), event.get("message")
    item = item if isinstance(item, dict) else {}
    message = message if isinstance(message, dict) else {}
    try:
        with transaction.atomic():
            return SlackEvent.objects.create(
                app=app,
                event_id=payload["event_id"],
                kind=str(event.get("type", ""))[:40],
                channel_id=str(event.get("channel") or item.get("channel") or "")[:20],
                ts=str(event.get("ts") or item.get("ts") or "")[:20],
                thread_ts=str(event.get("thread_ts") or message.get("thread_ts") or "")[:20],
                payload=payload,
            )
    except IntegrityError:
        if repeat:
            SlackEvent.objects.filter(event_id=payload["event_id"]).update(repeats=F("repeats") + 1)
        return None


def _enqueue(task: str, *args, name: str | None = None) -> None:
    from django_q.tasks import async_task

    named = {"task_name": name} if name else {}
    async_task(task, *args, group="slack", **named)


def teams_named(kind: str, payload: dict) -> dict:
    """The workspace and org a payload is for, in an event's terms (`team_id`, `enterprise_id`,
    `context_team_id`) so connect.delivered_to can read any kind: an event names them itself, a
    slash command's form flat, a click in its `team`, `enterprise` and `user` objects."""
    if kind == "events_api":
        return payload
    if kind == "slash_commands":
        return {"team_id": payload.get("team_id"), "enterprise_id": payload.get("enterprise_id")}

    def part(key: str, field: str = "id"):
        named = payload.get(key)
        return named.get(field) if isinstance(named, dict) else None

    return {
        "team_id": part("team"),
        "enterprise_id": part("enterprise"),
        "context_team_id": part("user", "team_id"),
    }


def _token_gone(app: SlackApp, event: dict) -> None:
    """The app was uninstalled, or its bot token revoked: the installation keeps its records
    (threads point at it) but loses its token and is disabled, so nothing is posted with a dead
    token; the admin says why, and installing again brings it back."""
    if app.pk is None:
        return
    if event.get("type") == "tokens_revoked":
        tokens = event.get("tokens")
        if not (isinstance(tokens, dict) and tokens.get("bot")):
            return  # user tokens only: the app asks for none
    DjangoInstallationStore().delete_bot(
        enterprise_id=app.enterprise_id or None, team_id=app.team_id or None
    )
    said = "uninstalled from Slack" if event.get("type") == "app_uninstalled" else "token revoked"
    SlackApp.objects.filter(pk=app.pk).update(
        last_error=f"{said}: install again (Add to Slack) to use this workspace",
        last_error_at=timezone.now(),
    )
