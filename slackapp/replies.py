"""Slack as a reply channel (its line: threads.replies.registry.REPLY_CHANNELS): a reply on a
thread that came from a connected workspace is posted into the customer's Slack thread through
the outbox (slackapp/outbox.py), and its SlackPost row says how far it got."""

from slackapp import outbox
from slackapp.models import SlackMessage, SlackPost, SlackUser
from threads.replies.channel import (
    FAILED,
    QUEUED,
    RETRYING,
    SENDING,
    SENT,
    NotSendable,
    ReplyChannel,
    ReplyDelivery,
)

Status = SlackPost.Status


class SlackReplies(ReplyChannel):
    label = "Slack"

    def takes(self, thread) -> bool:
        return thread.source.startswith("slack:") and ":" in thread.external_id

    def made_external_id(self, thread) -> bool:
        return self.takes(thread)  # "C0123ABCD:1700000000.000100": channel and first message

    def problem(self, thread) -> str:
        if outbox.app_of(thread) is None:
            return "This thread's Slack workspace is no longer connected."
        return ""

    def route(self, thread) -> str:
        return "posted into the customer's Slack thread"

    def queue(self, *, message, author) -> None:
        if outbox.reply_post(message) is None:
            raise NotSendable("This reply cannot be posted into the customer's Slack thread.")

    def states(self, messages: list) -> dict[int, ReplyDelivery]:
        rows = SlackPost.objects.filter(message_id__in=[m.pk for m in messages])
        return {row.message_id: self.state_of(row) for row in rows}

    def state_of(self, row: SlackPost) -> ReplyDelivery:
        if row.status == Status.PENDING:
            state = RETRYING if row.last_error else QUEUED
        else:
            state = {Status.SENDING: SENDING, Status.SENT: SENT, Status.FAILED: FAILED}[row.status]
        detail = {
            QUEUED: "Waiting to be posted into the customer's Slack thread.",
            SENDING: "Being posted into the customer's Slack thread.",
            SENT: "Posted into the customer's Slack thread.",
        }.get(state, _in_words(row.last_error))
        return ReplyDelivery(
            state=state,
            channel=self.key,
            at=row.state_at,
            next_attempt_at=row.next_attempt_at,
            external_id=row.slack_ts if state == SENT else "",
            url=outbox.permalink(row) if state == SENT else "",
            detail=detail,
        )

    def retry(self, *, message) -> bool:
        return outbox.retry_now(message=message)

    def show(self, messages: list) -> None:
        """`slack_author` on the customers' messages that came from Slack: {"name", "id"} of
        the Slack user who wrote it (SlackUser: their display name, and their Slack id)."""
        wanted = {}
        for message in messages:
            thread = message.thread
            if message.author_kind == "customer" and message.external_id and self.takes(thread):
                channel_id = thread.external_id.split(":", 1)[0]
                wanted[(thread.source, channel_id, message.external_id)] = message
        if not wanted:
            return
        seen = SlackMessage.objects.filter(
            channel_id__in={channel for _, channel, _ in wanted},
            ts__in={ts for _, _, ts in wanted},
        ).exclude(user_id="")
        writers = {}
        for row in seen.select_related("app"):
            message = wanted.get((row.app.source, row.channel_id, row.ts))
            if message is not None:
                writers[message.pk] = (row.app_id, row.user_id)
        people = {
            (person.app_id, person.slack_user_id): person.name
            for person in SlackUser.objects.filter(
                slack_user_id__in={user for _, user in writers.values()}
            )
        }
        for message in messages:
            if message.pk in writers:
                app_id, user_id = writers[message.pk]
                message.slack_author = {"name": people.get((app_id, user_id), ""), "id": user_id}


# Slack's error codes a person can act on, in their words.
WORDS = {
    "channel_not_found": "Slack cannot find the customer's channel (deleted, or the app left it).",
    "not_in_channel": "The Slack app is not a member of the customer's channel; invite it.",
    "is_archived": "The customer's Slack channel is archived.",
    "invalid_auth": "Slack refused the app's token; reconnect the Slack app.",
    "token_revoked": "The Slack app's token was revoked; reconnect the Slack app.",
    "missing_scope": "The Slack app lacks a permission it needs; reinstall it.",
    "msg_too_long": "The reply is too long for Slack.",
    "msg_blocks_too_long": "The reply is too long for Slack.",
    "invalid_blocks": "Slack did not accept the reply's layout (Block Kit).",
}


def _in_words(error: str) -> str:
    for code, words in WORDS.items():
        if code in error:
            return words
    if "429" in error:
        return "Slack asked us to slow down (rate limited); trying again when it allows."
    if "unreachable" in error:
        return "Slack could not be reached; trying again."
    return error or "Slack did not take the reply."
