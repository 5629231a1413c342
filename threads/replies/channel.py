"""What a reply channel is: the class a channel app registers (registry.REPLY_CHANNELS), and
the delivery state every channel reports in the same words."""

from dataclasses import dataclass
from datetime import datetime

# The states of a reply on its way, the same for every channel.
QUEUED, SENDING, SENT, RETRYING, FAILED = "queued", "sending", "sent", "retrying", "failed"
STATES = (QUEUED, SENDING, SENT, RETRYING, FAILED)


class NotSendable(Exception):
    """This reply cannot go out through the channel; the message says why in plain words."""


@dataclass(frozen=True)
class ReplyDelivery:
    """How far one reply got: `at` is when it reached this state, `detail` says why (or where
    to) in plain words, `external_id` and `url` name it in the channel once sent."""

    state: str
    channel: str
    at: datetime | None
    next_attempt_at: datetime | None = None
    external_id: str = ""
    url: str = ""
    detail: str = ""

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "channel": self.channel,
            "at": self.at,
            "next_attempt_at": self.next_attempt_at if self.state == RETRYING else None,
            "external_id": self.external_id or None,
            "url": self.url or None,
            "detail": self.detail,
        }


class ReplyChannel:
    """A channel that carries agents' public replies. Subclasses live in their channel app;
    `key` is their line's name in registry.REPLY_CHANNELS (set by the registry)."""

    key = ""
    label = ""  # "E-mail", "Slack": how a person names the channel

    def takes(self, thread) -> bool:
        """Whether this thread's conversation lives in this channel (the first that takes a
        thread carries its replies)."""
        raise NotImplementedError

    def problem(self, thread) -> str:
        """Why replies on this thread cannot go out here ("" when they can)."""
        return ""

    def route(self, thread) -> str:
        """Where a reply goes, for the page: "e-mailed to ann@acme.com"."""
        raise NotImplementedError

    def queue(self, *, message, author) -> None:
        """Queue a public reply in the caller's transaction (an outbox row, sent once it
        commits and retried with backoff); raises NotSendable."""
        raise NotImplementedError

    def states(self, messages: list) -> dict[int, ReplyDelivery]:
        """The delivery of each of these messages that went out here, by message id; in a fixed
        number of queries."""
        raise NotImplementedError

    def retry(self, *, message) -> bool:
        """Send a failed reply again (queued, once the caller's transaction commits); False when
        it has not failed."""
        raise NotImplementedError

    def made_external_id(self, thread) -> bool:
        """Whether this channel opened the thread and its external id is this channel's own key
        (an e-mail's Message-ID, a Slack channel and timestamp): no number a person uses, so the
        lists show our thread number instead."""
        return False

    def show(self, messages: list) -> None:
        """Give the thread page's messages what this channel shows on them (attachments)."""
