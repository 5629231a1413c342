"""Slack events into threads. A message event goes through the one path for Slack messages
(slackapp/messages.py), which the catch-up shares; edits and deletions are recorded as automatic
internal notes (they move no clock), and the resolve reaction by an agent resolves the thread.

An event is mapped by a django-q2 task: its authors are looked up first (users.info), outside any
transaction, and only then is the event row locked and the thread changed, so a slow Slack
never holds a thread's lock."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from policies.vocabulary import ThreadStatus
from slackapp import connect, messages, people
from slackapp.messages import slack_time
from slackapp.models import SlackApp, SlackChannel, SlackEvent
from slackapp.people import slack_user
from slaops.errors import ThreadError
from slaops.metrics.instruments import SLACK_EVENTS
from threads import services
from threads.models import Message

SWEEP_AFTER = timedelta(minutes=2)
MAPPED_KINDS = ("message", "reaction_added")  # the event types mapped (the manifest's events)
MAPPING_ERRORS = (ThreadError, ValueError, KeyError, TypeError, AttributeError)


def sweep(now=None) -> int:
    """Map the events still unmapped a while after they came: their task was lost (a cluster
    down or restarted when it was queued). handle() is idempotent, so a slow task is harmless."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    stuck = list(
        SlackEvent.objects.filter(status=SlackEvent.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in stuck:
        handle(pk)
    return len(stuck)


def handle(pk: int) -> None:
    event = SlackEvent.objects.select_related("app").filter(pk=pk).first()
    if event is None or event.status != SlackEvent.Status.RECEIVED:
        return
    people.prepare(event.app, _people_in(event.payload))  # Slack is asked here, unlocked
    with transaction.atomic():
        event = SlackEvent.objects.select_for_update().select_related("app").get(pk=pk)
        if event.status != SlackEvent.Status.RECEIVED:
            return
        try:
            with transaction.atomic():
                status, note = _map(event)
        except MAPPING_ERRORS as error:
            status, note = SlackEvent.Status.FAILED, f"{type(error).__name__}: {error}"
        event.status, event.note = status, note[:300]
        event.save(update_fields=["status", "note"])
    SLACK_EVENTS.labels(outcome=status).inc()  # committed


def _people_in(payload: dict) -> list[str]:
    body = payload.get("event")
    if not isinstance(body, dict):
        return []
    if body.get("type") == "reaction_added":
        return [body["user"]] if isinstance(body.get("user"), str) else []
    return messages.authors(body)


OUTCOMES = {
    messages.RECORDED: SlackEvent.Status.DONE,
    "duplicate": SlackEvent.Status.DONE,
    messages.PENDING: SlackEvent.Status.WAITING,
    messages.IGNORED: SlackEvent.Status.IGNORED,
}


def _map(event: SlackEvent) -> tuple[str, str]:
    app, body = event.app, event.payload["event"]
    channel = SlackChannel.objects.filter(app=app, channel_id=event.channel_id).first()
    if channel is None:
        return SlackEvent.Status.IGNORED, "not a connected channel"
    shared = event.payload.get("is_ext_shared_channel") is True
    if shared != channel.externally_shared:
        SlackChannel.objects.filter(pk=channel.pk).update(externally_shared=shared)
    if event.kind == "reaction_added":
        return _reaction(app, body)
    if event.kind not in MAPPED_KINDS:
        return SlackEvent.Status.IGNORED, f"{event.kind} events are not mapped"
    subtype = body.get("subtype", "")
    if subtype == "message_changed":
        return _edited(app, body)
    if subtype == "message_deleted":
        return _deleted(app, body)
    status, note = messages.record(app, channel, body, shared=shared, via="event")
    return OUTCOMES[status], note


def _message_in(app: SlackApp, channel_id: str, ts: str) -> Message | None:
    return (
        Message.objects.filter(
            thread__source=app.source,
            thread__external_id__startswith=f"{channel_id}:",
            external_id=ts,
        )
        .select_related("thread")
        .first()
    )


def _note(message: Message, text: str) -> None:
    # An automatic internal note: in the history, and never a reply to any clock.
    services.agent_reply(
        thread=message.thread, body=text, public=False, automatic=True, via="Slack"
    )


def _edited(app: SlackApp, body: dict) -> tuple[str, str]:
    new = body.get("message") or {}
    if new.get("text") == (body.get("previous_message") or {}).get("text"):
        return SlackEvent.Status.IGNORED, "unfurl or metadata change"
    message = _message_in(app, body["channel"], new.get("ts", ""))
    if message is None:
        return SlackEvent.Status.IGNORED, "edit of a message we do not track"
    _note(message, f"Edited in Slack (message {message.pk}); it now reads:\n{new.get('text', '')}")
    return SlackEvent.Status.DONE, f"edit recorded on #{message.thread_id}"


def _deleted(app: SlackApp, body: dict) -> tuple[str, str]:
    message = _message_in(app, body["channel"], body.get("deleted_ts", ""))
    if message is None:
        return SlackEvent.Status.IGNORED, "deletion of a message we do not track"
    _note(message, f"Deleted in Slack (message {message.pk}).")
    return SlackEvent.Status.DONE, f"deletion recorded on #{message.thread_id}"


def _reaction(app: SlackApp, body: dict) -> tuple[str, str]:
    if body.get("reaction") != app.resolve_reaction:
        return SlackEvent.Status.IGNORED, f"reaction {body.get('reaction')}"
    item = body.get("item") or {}
    message = _message_in(app, item.get("channel", ""), item.get("ts", ""))
    if message is None:
        return SlackEvent.Status.IGNORED, "reaction on a message we do not track"
    person = slack_user(app, body["user"])
    if person.agent_id is None or connect.from_another_organisation(app, {}, person.team_id):
        return SlackEvent.Status.IGNORED, "the resolve reaction by someone who is not an agent"
    if message.thread.status in (ThreadStatus.RESOLVED, ThreadStatus.CLOSED):
        return SlackEvent.Status.IGNORED, "already resolved"
    services.thread_set_status(
        thread=message.thread,
        status=ThreadStatus.RESOLVED,
        actor=person.agent,
        reason=f":{app.resolve_reaction}: in Slack",
        at=slack_time(body["event_ts"]) if body.get("event_ts") else None,
        via="Slack",
    )
    return SlackEvent.Status.DONE, f"resolved #{message.thread_id}"
