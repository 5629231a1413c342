"""Agents' replies back into Slack: one outbox row per reply (SlackPost), posted with
chat.postMessage into the customer's Slack thread by a django-q2 task. A 429 waits Slack's
Retry-After; other transient failures back off; invalid_auth, channel_not_found and the like
stop the row and are shown on the Slack app in the admin.

Every post carries the row's delivery id in its message metadata. An attempt whose outcome we
never heard (a timeout, a worker that died mid-call) may have posted: before trying again, the
Slack thread is read (conversations.replies) for a message with that id, so a reply is never
posted twice."""

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from slackapp import web
from slackapp.models import SlackApp, SlackPost
from slackapp.reply_message import reply_content
from threads.models import Message

MAX_ATTEMPTS = 8
BACKOFF = [30, 60, 120, 300, 600, 1800, 3600]  # seconds after attempt n
LEASE = timedelta(seconds=60)  # a row claimed longer ago than this was interrupted


METADATA_EVENT = "slaops_reply"  # the metadata event type of our posts
DELIVERY = re.compile(r"reply-[0-9]{1,18}")  # delivery_id's shape


def app_of(thread) -> SlackApp | None:
    """The connected workspace a thread came from."""
    if not thread.source.startswith("slack:"):
        return None
    named = thread.source.removeprefix("slack:")
    return (
        SlackApp.objects.filter(team_id=named).first()
        or SlackApp.objects.filter(team_id="", enterprise_id=named).first()
    )


def reply_post(message: Message) -> SlackPost | None:
    """Queue an agent's public reply for its Slack thread; None when the thread is not from a
    connected Slack workspace or the message is not a public, human reply. Called through the
    reply channel registry (slackapp/replies.py) by threads.services.agent_reply(send=True)."""
    thread = message.thread
    if ":" not in thread.external_id:
        return None
    if not message.public or message.automatic or message.author_kind != Message.Author.AGENT:
        return None
    app = app_of(thread)
    if app is None:
        return None
    channel_id, thread_ts = thread.external_id.split(":", 1)
    post, created = SlackPost.objects.get_or_create(
        message=message, defaults={"app": app, "channel_id": channel_id, "thread_ts": thread_ts}
    )
    if created:
        transaction.on_commit(lambda: _enqueue(post.pk))
    return post


def retry_now(*, message: Message) -> bool:
    """Post a failed reply again at once (it first looks for an earlier post of it); False when
    it has not failed."""
    now = timezone.now()
    post = SlackPost.objects.filter(message=message, status=SlackPost.Status.FAILED).first()
    if post is None:
        return False
    changed = SlackPost.objects.filter(pk=post.pk, status=SlackPost.Status.FAILED).update(
        status=SlackPost.Status.PENDING, next_attempt_at=now, state_at=now, last_error=""
    )
    if changed:
        transaction.on_commit(lambda: _enqueue(post.pk))
    return bool(changed)


def delivery_id(post: SlackPost) -> str:
    return f"reply-{post.pk}"


def permalink(post: SlackPost) -> str:
    """A link to the posted reply in its Slack thread (Slack sends the reader to their
    workspace)."""
    ts = post.slack_ts.replace(".", "")
    return (
        f"https://slack.com/archives/{post.channel_id}/p{ts}"
        f"?thread_ts={post.thread_ts}&cid={post.channel_id}"
    )


def _enqueue(pk: int) -> None:
    from django_q.tasks import async_task

    async_task("slackapp.tasks.send_post", pk, task_name=f"slack-post-{pk}", group="slack")


def _claim(pk: int) -> SlackPost | None:
    now = timezone.now()
    claimed = (
        SlackPost.objects.filter(pk=pk, next_attempt_at__lte=now)
        .filter(status=SlackPost.Status.PENDING)
        .update(status=SlackPost.Status.SENDING, next_attempt_at=now + LEASE, state_at=now)
    )
    if not claimed:
        claimed = SlackPost.objects.filter(
            pk=pk, status=SlackPost.Status.SENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return SlackPost.objects.select_related("app", "message__author_user__agent_profile").get(pk=pk)


def content(post: SlackPost) -> dict:
    """chat.postMessage's message: the agent's reply under their name and picture, as Block Kit
    sections (slackapp/reply_message.py)."""
    return reply_content(post.message)


def send(pk: int) -> str:
    """Post one due row; returns its status afterwards ('' when it was not due)."""
    post = _claim(pk)
    if post is None:
        return ""
    tried = post.attempts > 0
    post.attempts += 1
    try:
        # Tried before without an answer we can trust: it may be in the thread already.
        found = _posted_before(post) if tried else ""
        data = {"ts": found} if found else _post(post)
    except web.SlackFailure as failure:
        post.last_error = failure.message[:300]
        if failure.permanent or post.attempts >= MAX_ATTEMPTS:
            post.status = SlackPost.Status.FAILED
            SlackApp.objects.filter(pk=post.app_id).update(
                last_error=f"Reply {post.pk}: {failure.message}"[:300],
                last_error_at=timezone.now(),
            )
        else:
            wait = failure.retry_after
            if wait is None:
                wait = BACKOFF[min(post.attempts, len(BACKOFF)) - 1]
            post.status = SlackPost.Status.PENDING
            post.next_attempt_at = timezone.now() + timedelta(seconds=wait)
    else:
        post.status = SlackPost.Status.SENT
        post.slack_ts = str(data.get("ts", ""))[:20]
        post.last_error = ""
    post.state_at = timezone.now()
    post.save(
        update_fields=[
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "slack_ts",
            "state_at",
        ]
    )
    return post.status


def _post(post: SlackPost) -> dict:
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"delivery": delivery_id(post)}}
    return web.call(
        post.app,
        "chat_postMessage",
        channel=post.channel_id,
        thread_ts=post.thread_ts,
        metadata=metadata,
        **content(post),
    )


def _posted_before(post: SlackPost) -> str:
    """The ts of this reply if an earlier attempt posted it (found by its delivery id in the
    metadata of the Slack thread's replies since the row was made), else ""."""
    try:
        data = web.call(
            post.app,
            "conversations_replies",
            channel=post.channel_id,
            ts=post.thread_ts,
            oldest=f"{post.created_at.timestamp() - 60:.6f}",
            include_all_metadata=True,
            limit=200,
        )
    except web.SlackFailure as failure:
        if failure.code == "thread_not_found":
            return ""  # no such Slack thread: nothing can have been posted in it
        raise
    for found in data.get("messages") or []:
        if delivery_named(found) == post.pk:
            return str(found.get("ts", ""))
    return ""


def delivery_named(body: dict) -> int | None:
    """The SlackPost id a Slack message's metadata names as its delivery (our posts carry it),
    else None."""
    metadata = body.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT:
        return None
    payload = metadata.get("event_payload")
    delivery = payload.get("delivery") if isinstance(payload, dict) else None
    if isinstance(delivery, str) and DELIVERY.fullmatch(delivery):
        return int(delivery.removeprefix("reply-"))
    return None


def send_due() -> int:
    """Every row whose time has come (retries, interrupted sends); the `slack-send` schedule."""
    now = timezone.now()
    due = SlackPost.objects.filter(
        status__in=[SlackPost.Status.PENDING, SlackPost.Status.SENDING], next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:500]
    return sum(1 for pk in list(due) if send(pk))
