"""The reply channels, declared once by dotted path in REPLY_CHANNELS (threads never imports a
channel app), and the reads and writes every caller goes through: which channel carries a
thread's replies, queueing a reply, its delivery state, trying a failed one again."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from threads.models import Message
from threads.replies.channel import FAILED, NotSendable, ReplyChannel, ReplyDelivery

# Asked in this order: the first channel that takes a thread carries its replies. A new channel
# is its app (a ReplyChannel subclass) and one line here; a deployment may replace the table with
# settings.SLA_REPLY_CHANNELS.
REPLY_CHANNELS = {
    "slack": "slackapp.replies.SlackReplies",
    "email": "mail.replies.EmailReplies",
}


@cache
def _channel(key: str, path: str) -> ReplyChannel:
    channel = import_string(path)()
    channel.key = key
    return channel


def channels() -> list[ReplyChannel]:
    """The registered channels, in the order they are asked."""
    table = getattr(settings, "SLA_REPLY_CHANNELS", REPLY_CHANNELS)
    return [_channel(key, path) for key, path in table.items()]


def channel_of(thread) -> ReplyChannel | None:
    """The channel that carries this thread's replies; None when none takes it."""
    return next((channel for channel in channels() if channel.takes(thread)), None)


def route(thread) -> str:
    """Where a public reply on this thread goes ("" when it goes nowhere)."""
    channel = channel_of(thread)
    if channel is None or channel.problem(thread):
        return ""
    return channel.route(thread)


def external_id_shown(thread) -> str:
    """The thread's external id where a person would use it (an integrator's ticket number),
    "" where a channel made it as its own key (a Message-ID: the thread number says more)."""
    if not thread.external_id or any(c.made_external_id(thread) for c in channels()):
        return ""
    return thread.external_id


def is_sendable(message: Message) -> bool:
    return message.public and not message.automatic and message.author_kind == Message.Author.AGENT


def queue(*, message: Message, author) -> ReplyChannel:
    """Queue a public agent reply through its thread's channel, in the caller's transaction;
    raises NotSendable naming why it cannot go out."""
    if not is_sendable(message):
        raise NotSendable("Only a public agent reply is sent; notes and automatic messages never.")
    thread = message.thread
    channel = channel_of(thread)
    if channel is None:
        raise NotSendable("No channel carries this thread's replies.")
    problem = channel.problem(thread)
    if problem:
        raise NotSendable(problem)
    channel.queue(message=message, author=author)
    return channel


def deliveries(messages: list[Message]) -> dict[int, ReplyDelivery]:
    """The delivery state of each reply among these messages, by message id (one query per
    channel)."""
    replies = [m for m in messages if m.public and m.author_kind != Message.Author.CUSTOMER]
    found: dict[int, ReplyDelivery] = {}
    if replies:
        for channel in channels():
            found |= channel.states(replies)
    return found


def delivery_of(message: Message) -> ReplyDelivery | None:
    return deliveries([message]).get(message.pk)


def retry(*, message: Message) -> ReplyDelivery:
    """Send a failed reply again; raises NotSendable naming why not (not a reply, not failed)."""
    delivery = delivery_of(message)
    if delivery is None:
        raise NotSendable(
            "This message was not sent to the customer, so there is nothing to retry."
        )
    if delivery.state != FAILED:
        raise NotSendable(f"This reply has not failed (it is {delivery.state}); nothing to retry.")
    channel = next(c for c in channels() if c.key == delivery.channel)
    if not channel.retry(message=message):
        raise NotSendable("This reply is already on its way again.")
    return delivery_of(message)


def show(messages: list[Message]) -> None:
    """Everything the channels show on the thread page's messages: `reply_delivery` on each,
    and what each channel adds (attachments)."""
    found = deliveries(messages)
    for message in messages:
        message.reply_delivery = found.get(message.pk)
    for channel in channels():
        channel.show(messages)
