"""Slack events into threads: a customer's top-level message in a connected channel opens a
thread, replies in its Slack thread are its messages, bot messages are automatic (our
workspace's bots as system messages, a Slack Connect customer organisation's bots as the
customer's), edits and deletions are recorded as automatic internal notes (they move no clock),
and the resolve reaction by an agent resolves it. Slack's `ts` is each message's time."""

import re
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from policies.vocabulary import Channel, ThreadStatus
from slackapp.models import SlackApp, SlackChannel, SlackEvent, SlackPost
from slackapp.people import slack_user
from slaops.errors import ThreadError
from threads import services
from threads.models import Message, Thread

SUBJECT_LENGTH = 80
IGNORED_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose"}


TS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")  # Slack's "1700000000.123456"


def slack_time(ts: str) -> datetime:
    """A message's time from its ts; ValueError for anything else ("nan", "1e300", "²")."""
    if not isinstance(ts, str) or not TS.fullmatch(ts):
        raise ValueError(f"ts: not a Slack timestamp: {str(ts)[:40]!r}")
    return datetime.fromtimestamp(float(ts), tz=UTC)


def thread_for(app: SlackApp, channel_id: str, thread_ts: str) -> Thread | None:
    return Thread.objects.filter(source=app.source, external_id=f"{channel_id}:{thread_ts}").first()


SWEEP_AFTER = timedelta(minutes=2)


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
    with transaction.atomic():
        event = SlackEvent.objects.select_for_update().select_related("app").get(pk=pk)
        if event.status not in (SlackEvent.Status.RECEIVED, SlackEvent.Status.WAITING):
            return
        try:
            status, note = _map(event)
        except (ThreadError, ValueError, KeyError, TypeError, AttributeError) as error:
            status, note = SlackEvent.Status.FAILED, f"{type(error).__name__}: {error}"[:300]
        event.status, event.note = status, note[:300]
        event.save(update_fields=["status", "note"])
    if status == SlackEvent.Status.DONE and event.kind == "message" and not event.thread_ts:
        # Replies that came before their thread was opened.
        for waiting in SlackEvent.objects.filter(
            app=event.app,
            channel_id=event.channel_id,
            thread_ts=event.ts,
            status=SlackEvent.Status.WAITING,
        ).values_list("pk", flat=True):
            handle(waiting)


def _map(event: SlackEvent) -> tuple[str, str]:
    app, body = event.app, event.payload["event"]
    channel = SlackChannel.objects.filter(app=app, channel_id=event.channel_id).first()
    if channel is None:
        return SlackEvent.Status.IGNORED, "not a connected channel"
    if event.kind == "reaction_added":
        return _reaction(app, body)
    if event.kind != "message":
        return SlackEvent.Status.IGNORED, f"{event.kind} events are not mapped"
    subtype = body.get("subtype", "")
    if subtype == "message_changed":
        return _edited(app, body)
    if subtype == "message_deleted":
        return _deleted(app, body)
    if subtype in IGNORED_SUBTYPES:
        return SlackEvent.Status.IGNORED, subtype
    if _ours(app, body):
        return SlackEvent.Status.IGNORED, "our own post"
    thread_ts = body.get("thread_ts")
    if thread_ts and thread_ts != body["ts"]:
        return _reply(event, channel, body)
    return _opened(app, channel, body)


def _ours(app: SlackApp, body: dict) -> bool:
    """Our replies come back as events: they are recorded already."""
    if app.bot_user_id and body.get("user") == app.bot_user_id:
        return True
    return SlackPost.objects.filter(app=app, slack_ts=body.get("ts", "")).exists()


def _text(body: dict) -> str:
    text = body.get("text") or ""
    if not isinstance(text, str):
        raise TypeError("text: not a string")
    return text


def _is_bot(body: dict) -> bool:
    return bool(body.get("bot_id")) or body.get("subtype") == "bot_message"


def _author_teams(body: dict) -> set[str]:
    """The workspaces a message names for its author. In a Slack Connect channel a bot carries
    its own team (`bot_profile.team_id`) and the message its author's (`user_team`,
    `source_team`, `team`)."""
    profile = body.get("bot_profile")
    named = [
        profile.get("team_id") if isinstance(profile, dict) else None,
        body.get("user_team"),
        body.get("source_team"),
        body.get("team"),
    ]
    return {team for team in named if isinstance(team, str) and team}


def _customers_bot(app: SlackApp, payload: dict, body: dict) -> bool:
    """A bot is ours only when every team the message names is our workspace: a customer
    organisation's bot in a shared channel must not read as our "System". A bot naming no team
    is ours in a channel only our workspace is in, the customer's in an externally shared one."""
    teams = _author_teams(body)
    if teams:
        return teams != {app.team_id}
    return payload.get("is_ext_shared_channel") is True


def _opened(app: SlackApp, channel: SlackChannel, body: dict) -> tuple[str, str]:
    if _is_bot(body):
        return SlackEvent.Status.IGNORED, "a bot's top-level message opens no thread"
    person = slack_user(app, body["user"])
    if person.agent_id is not None:
        return SlackEvent.Status.IGNORED, "an agent's top-level message opens no thread"
    text = _text(body)
    opening = dict(
        subject=(text.strip().splitlines() or [""])[0][:SUBJECT_LENGTH],
        first_message=text,
        account=channel.account,
        channel=Channel.SLACK,
        priority=channel.priority or "normal",
        team=channel.team,
        source=app.source,
        external_id=f"{channel.channel_id}:{body['ts']}",
        message_external_id=body["ts"],
        created_at=slack_time(body["ts"]),
        via="slack",
    )
    try:
        created = services.thread_create(
            **opening, contact_email=person.email, contact_name=person.name or None
        )
    except ThreadError as error:
        if error.field != "account" or not person.email:
            raise
        # Their e-mail is another account's contact: the channel says whose question it is.
        created = services.thread_create(**opening)
    return SlackEvent.Status.DONE, f"thread #{created.thread.pk}"


def _reply(event: SlackEvent, channel: SlackChannel, body: dict) -> tuple[str, str]:
    app = event.app
    thread = thread_for(app, channel.channel_id, body["thread_ts"])
    if thread is None:
        parent = SlackEvent.objects.select_for_update().filter(
            app=app, channel_id=channel.channel_id, ts=body["thread_ts"], kind="message"
        )
        if parent.filter(status=SlackEvent.Status.RECEIVED).first() is not None:
            return SlackEvent.Status.WAITING, "its thread's first message is not recorded yet"
        thread = thread_for(app, channel.channel_id, body["thread_ts"])
        if thread is None:
            return SlackEvent.Status.IGNORED, "a reply in a Slack thread that is not tracked"
    at, text, ts = slack_time(body["ts"]), _text(body), body["ts"]
    if _is_bot(body) and _customers_bot(app, event.payload, body):
        services.message_receive(
            thread=thread, body=text, automatic=True, created_at=at, external_id=ts, via="slack"
        )
        return SlackEvent.Status.DONE, f"the customer's bot on #{thread.pk}"
    if _is_bot(body):
        services.agent_reply(
            thread=thread, body=text, automatic=True, created_at=at, external_id=ts, via="slack"
        )
        return SlackEvent.Status.DONE, f"automatic message on #{thread.pk}"
    person = slack_user(app, body["user"])
    if person.agent_id is not None:
        services.agent_reply(
            thread=thread,
            author=person.agent,
            body=text,
            created_at=at,
            external_id=ts,
            via="slack",
        )
        return SlackEvent.Status.DONE, f"agent reply on #{thread.pk}"
    services.message_receive(thread=thread, body=text, created_at=at, external_id=ts, via="slack")
    return SlackEvent.Status.DONE, f"customer message on #{thread.pk}"


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
        thread=message.thread, body=text, public=False, automatic=True, via="slack"
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
    if person.agent_id is None:
        return SlackEvent.Status.IGNORED, "the resolve reaction by someone who is not an agent"
    if message.thread.status in (ThreadStatus.RESOLVED, ThreadStatus.CLOSED):
        return SlackEvent.Status.IGNORED, "already resolved"
    services.thread_set_status(
        thread=message.thread,
        status=ThreadStatus.RESOLVED,
        actor=person.agent,
        reason=f":{app.resolve_reaction}: in Slack",
        at=slack_time(body["event_ts"]) if body.get("event_ts") else None,
        via="slack",
    )
    return SlackEvent.Status.DONE, f"resolved #{message.thread_id}"
