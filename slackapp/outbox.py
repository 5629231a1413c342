"""Agents' replies back into Slack: one outbox row per reply (SlackPost), posted with
chat.postMessage into the customer's Slack thread by a django-q2 task. A 429 waits Slack's
Retry-After; other transient failures back off; invalid_auth, channel_not_found and the like
stop the row and are shown on the Slack app in the admin."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from slackapp import web
from slackapp.models import SlackApp, SlackPost
from slaops.mrkdwn import NO_AUTOLINK, escape
from threads.models import Message

MAX_ATTEMPTS = 8
BACKOFF = [30, 60, 120, 300, 600, 1800, 3600]  # seconds after attempt n
LEASE = timedelta(seconds=60)  # a row claimed longer ago than this was interrupted


def reply_post(message: Message) -> SlackPost | None:
    """Queue an agent's public reply for its Slack thread; None when the thread is not from a
    connected Slack workspace or the message is not a public, human reply."""
    thread = message.thread
    if not thread.source.startswith("slack:") or ":" not in thread.external_id:
        return None
    if not message.public or message.automatic or message.author_kind != Message.Author.AGENT:
        return None
    app = SlackApp.objects.filter(team_id=thread.source.removeprefix("slack:")).first()
    if app is None:
        return None
    channel_id, thread_ts = thread.external_id.split(":", 1)
    post, created = SlackPost.objects.get_or_create(
        message=message, defaults={"app": app, "channel_id": channel_id, "thread_ts": thread_ts}
    )
    if created:
        transaction.on_commit(lambda: _enqueue(post.pk))
    return post


def _enqueue(pk: int) -> None:
    from django_q.tasks import async_task

    async_task("slackapp.tasks.send_post", pk, task_name=f"slack-post-{pk}", group="slack")


def _claim(pk: int) -> SlackPost | None:
    now = timezone.now()
    claimed = (
        SlackPost.objects.filter(pk=pk, next_attempt_at__lte=now)
        .filter(status=SlackPost.Status.PENDING)
        .update(status=SlackPost.Status.SENDING, next_attempt_at=now + LEASE)
    )
    if not claimed:
        claimed = SlackPost.objects.filter(
            pk=pk, status=SlackPost.Status.SENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return SlackPost.objects.select_related("app", "message__author_user").get(pk=pk)


def content(post: SlackPost) -> dict:
    """chat.postMessage's message: the agent's name in bold and their reply, both escaped
    (slaops/mrkdwn.py) so the reply reads as written and cannot mention the channel, ping a
    person or show a link under a false label. Blocks, if a reply ever gets them, take the same
    `escape` in every text object."""
    author = post.message.author_user
    name = (author.get_full_name() or author.username) if author else "Support"
    return {"text": f"*{escape(name)}*: {escape(post.message.body)}", "mrkdwn": True} | NO_AUTOLINK


def send(pk: int) -> str:
    """Post one due row; returns its status afterwards ('' when it was not due)."""
    post = _claim(pk)
    if post is None:
        return ""
    post.attempts += 1
    try:
        data = web.call(
            post.app,
            "chat_postMessage",
            channel=post.channel_id,
            thread_ts=post.thread_ts,
            **content(post),
        )
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
    post.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "slack_ts"])
    return post.status


def send_due() -> int:
    """Every row whose time has come (retries, interrupted sends); the `slack-send` schedule."""
    now = timezone.now()
    due = SlackPost.objects.filter(
        status__in=[SlackPost.Status.PENDING, SlackPost.Status.SENDING], next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:500]
    return sum(1 for pk in list(due) if send(pk))
