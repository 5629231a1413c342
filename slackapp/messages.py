"""One path for every Slack message, whether an event or the catch-up brought it.

Each message is claimed once by (workspace, channel, ts) in SlackMessage, so a message caught up
after an outage and its late event are one. A customer's top-level message in a connected
channel opens a thread; replies in its Slack thread are its messages, at their Slack time. The
author's organisation decides first: a member of another organisation is the customer, whatever
their e-mail address. Bots are automatic messages: our workspace's as "System", the customer
organisation's (Workflow posts included) as the customer's; a customer's Workflow form at the
top opens a thread when the connected channel says so. A reply seen before its thread's first
message is kept (pending) and recorded when that arrives. The caller has looked up the authors
(people.prepare) outside any transaction: nothing here calls Slack."""

import re
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from policies.vocabulary import Channel
from slackapp import connect, outbox
from slackapp.models import SlackApp, SlackChannel, SlackEvent, SlackMessage, SlackPost
from slackapp.people import USER_ID, slack_user
from slaops.errors import ThreadError
from threads import services
from threads.models import Thread

SUBJECT_LENGTH = 80
IGNORED_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose"}
TS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")  # Slack's "1700000000.123456"

RECORDED, PENDING, IGNORED = (
    SlackMessage.Status.RECORDED,
    SlackMessage.Status.PENDING,
    SlackMessage.Status.IGNORED,
)


def slack_time(ts: str) -> datetime:
    """A message's time from its ts; ValueError for anything else ("nan", "1e300", "²")."""
    if not isinstance(ts, str) or not TS.fullmatch(ts):
        raise ValueError(f"ts: not a Slack timestamp: {str(ts)[:40]!r}")
    return datetime.fromtimestamp(float(ts), tz=UTC)


def thread_for(app: SlackApp, channel_id: str, thread_ts: str) -> Thread | None:
    return Thread.objects.filter(source=app.source, external_id=f"{channel_id}:{thread_ts}").first()


def authors(body: dict) -> list[str]:
    """The people to look up before recording this message."""
    return [body["user"]] if isinstance(body.get("user"), str) and not connect.is_bot(body) else []


@transaction.atomic
def record(
    app: SlackApp, channel: SlackChannel, body: dict, *, shared: bool, via: str
) -> tuple[str, str]:
    """Record one message (a dict as Slack gives it); (status, note). A message already
    recorded or ignored is ("duplicate", note): nothing changes."""
    ts = body.get("ts")
    slack_time(ts)
    thread_ts = body.get("thread_ts") or ""
    if not isinstance(thread_ts, str):
        raise TypeError("thread_ts: not a string")
    seen, fresh = _claim(app, channel.channel_id, ts, thread_ts, via)
    top_level = not thread_ts or thread_ts == ts
    if not fresh and seen.status != PENDING:
        if top_level:  # replies that raced in while it was being recorded
            _settle_pending(app, channel, ts, opened=seen.status == RECORDED, shared=shared)
        return "duplicate", "already recorded"
    status, note = _map(app, channel, body, shared=shared)
    seen.status, seen.note = status, note[:300]
    seen.body = body if status == PENDING else {}
    seen.user_id = _writer(body)
    seen.save(update_fields=["status", "note", "body", "user_id"])
    if top_level:
        _settle_pending(app, channel, ts, opened=status == RECORDED, shared=shared)
    return status, note


def _writer(body: dict) -> str:
    """The Slack user id of a person's message (the thread page names them); "" for a bot."""
    user = body.get("user")
    if connect.is_bot(body) or not isinstance(user, str) or not USER_ID.fullmatch(user):
        return ""
    return user


VIA_BOT = "Slack (a bot or workflow)"


def via_slack(person) -> str:
    """What the history says a customer's message came through: "Slack from @anna"."""
    return f"Slack from @{person.name or person.slack_user_id}"[:200]


def _claim(app, channel_id: str, ts: str, thread_ts: str, via: str) -> tuple[SlackMessage, bool]:
    """This message's row, locked, and whether it is new."""
    try:
        with transaction.atomic():
            created = SlackMessage.objects.create(
                app=app,
                channel_id=channel_id,
                ts=ts,
                thread_ts=thread_ts if thread_ts != ts else "",
                status=PENDING,
                via=via,
            )
            return created, True
    except IntegrityError:
        seen = SlackMessage.objects.select_for_update().get(app=app, channel_id=channel_id, ts=ts)
        return seen, False


def _map(app, channel, body: dict, *, shared: bool) -> tuple[str, str]:
    subtype = body.get("subtype", "")
    if subtype in IGNORED_SUBTYPES:
        return IGNORED, subtype
    if _ours(app, body):
        return IGNORED, "our own post"
    thread_ts = body.get("thread_ts")
    if thread_ts and thread_ts != body["ts"]:
        return _reply(app, channel, body, shared=shared)
    return _opened(app, channel, body, shared=shared)


def _ours(app: SlackApp, body: dict) -> bool:
    """Our replies come back as events (and in the history): they are recorded already."""
    if app.bot_user_id and body.get("user") == app.bot_user_id:
        return True
    # Posted under an agent's name, our post may come as a bot_message without `user`, and
    # before its row knows its ts: the delivery id in its metadata names the row.
    named = outbox.delivery_named(body)
    if named is not None and SlackPost.objects.filter(app=app, pk=named).exists():
        return True
    return SlackPost.objects.filter(app=app, slack_ts=body.get("ts", "")).exists()


def _text(body: dict) -> str:
    text = body.get("text") or ""
    if not isinstance(text, str):
        raise TypeError("text: not a string")
    return text


def _opened(app, channel, body: dict, *, shared: bool) -> tuple[str, str]:
    contact, via = {}, VIA_BOT
    if connect.is_bot(body):
        if not connect.customers_bot(app, body, shared=shared):
            return IGNORED, "our bot's top-level message opens no thread"
        if not channel.workflow_opens_threads:
            return IGNORED, "a customer's bot opens no thread in this channel"
    else:
        person = slack_user(app, body.get("user"))
        external = connect.from_another_organisation(app, body, person.team_id)
        if person.agent_id is not None and not external:
            return IGNORED, "an agent's top-level message opens no thread"
        contact = {"contact_email": person.email, "contact_name": person.name or None}
        via = via_slack(person)
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
        via=via,
    )
    if not contact.get("contact_email"):
        contact = {}
    try:
        created = services.thread_create(**opening, **contact)
    except ThreadError as error:
        if error.field != "account" or not contact:
            raise
        # Their e-mail is another account's contact: the channel says whose question it is.
        created = services.thread_create(**opening)
    return RECORDED, f"thread #{created.thread.pk}"


def _reply(app, channel, body: dict, *, shared: bool) -> tuple[str, str]:
    thread = thread_for(app, channel.channel_id, body["thread_ts"])
    if thread is None:
        parent = SlackMessage.objects.filter(
            app=app, channel_id=channel.channel_id, ts=body["thread_ts"]
        ).first()
        if parent is not None and parent.status == IGNORED:
            return IGNORED, "a reply in a Slack thread that is not tracked"
        return PENDING, "kept until its thread's first message arrives"
    at, text, ts = slack_time(body["ts"]), _text(body), body["ts"]
    said = dict(thread=thread, body=text, created_at=at, external_id=ts)
    if connect.is_bot(body):
        if connect.customers_bot(app, body, shared=shared):
            services.message_receive(**said, automatic=True, via=VIA_BOT)
            return RECORDED, f"the customer's bot on #{thread.pk}"
        services.agent_reply(**said, automatic=True, via=VIA_BOT)
        return RECORDED, f"automatic message on #{thread.pk}"
    person = slack_user(app, body.get("user"))
    if person.agent_id is not None and not connect.from_another_organisation(
        app, body, person.team_id
    ):
        services.agent_reply(**said, author=person.agent, via="Slack")  # the agent is named
        return RECORDED, f"agent reply on #{thread.pk}"
    services.message_receive(**said, via=via_slack(person))
    return RECORDED, f"customer message on #{thread.pk}"


def _settle_pending(app, channel, parent_ts: str, *, opened: bool, shared: bool) -> None:
    """The replies that came before this first message: recorded now if it opened a thread,
    ignored if it opens none (an agent's announcement, a channel join)."""
    waiting = SlackMessage.objects.select_for_update().filter(
        app=app, channel_id=channel.channel_id, thread_ts=parent_ts, status=PENDING
    )
    for seen in waiting.order_by("ts"):
        if opened:
            try:
                with transaction.atomic():
                    status, note = _reply(app, channel, seen.body, shared=shared)
            except (ThreadError, ValueError, KeyError, TypeError, AttributeError) as error:
                status, note = IGNORED, f"failed: {type(error).__name__}: {error}"
        else:
            status, note = IGNORED, "a reply in a Slack thread that is not tracked"
        seen.status, seen.note, seen.body = status, note[:300], {}
        seen.save(update_fields=["status", "note", "body"])
        SlackEvent.objects.filter(
            app=app, channel_id=channel.channel_id, ts=seen.ts, status=SlackEvent.Status.WAITING
        ).update(
            status=SlackEvent.Status.DONE if status == RECORDED else SlackEvent.Status.IGNORED,
            note=note[:300],
        )
