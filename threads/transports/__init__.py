"""One transport per delivery kind (e-mail, Slack, webhook), each in its own small module."""

from threads.models import Delivery
from threads.transports.base import (
    Alert,
    PermanentError,
    Result,
    TransientError,
    Transport,
    alert_for,
    thread_url,
)
from threads.transports.email import EmailTransport
from threads.transports.slack import SlackTransport
from threads.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, Transport] = {
    Delivery.Kind.EMAIL: EmailTransport(),
    Delivery.Kind.SLACK: SlackTransport(),
    Delivery.Kind.WEBHOOK: WebhookTransport(),
}


def transport_for(kind: str) -> Transport | None:
    return TRANSPORTS.get(kind)


__all__ = [
    "TRANSPORTS",
    "Alert",
    "PermanentError",
    "Result",
    "Transport",
    "TransientError",
    "alert_for",
    "thread_url",
    "transport_for",
]
