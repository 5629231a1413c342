"""One transport per delivery kind (e-mail, Slack, webhook), each in its own small module."""

from threads.alerting.transports.base import Transport
from threads.alerting.transports.email import EmailTransport
from threads.alerting.transports.slack import SlackTransport
from threads.alerting.transports.webhook import WebhookTransport
from threads.models import Delivery

TRANSPORTS: dict[str, Transport] = {
    Delivery.Kind.EMAIL: EmailTransport(),
    Delivery.Kind.SLACK: SlackTransport(),
    Delivery.Kind.WEBHOOK: WebhookTransport(),
}


def transport_for(kind: str) -> Transport | None:
    return TRANSPORTS.get(kind)
