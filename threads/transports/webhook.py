"""Outgoing webhooks: "sla.status_transitioned", signed as Standard Webhooks."""

import base64
import json
import secrets
import urllib.error
import urllib.request
from datetime import UTC, datetime

from django.utils import timezone
from standardwebhooks import Webhook

from policies.models import AlertChannel
from threads.models import Delivery
from threads.transports.base import (
    Alert,
    PermanentError,
    Result,
    TransientError,
    Transport,
    header,
    retry_after_seconds,
)

TIMEOUT = 10  # seconds
EVENT_TYPE = "sla.status_transitioned"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def payload(alert: Alert) -> dict:
    return {
        "type": "sla.test" if alert.is_test else EVENT_TYPE,
        # When the alert was issued: the same on every retry, like the webhook-id.
        "timestamp": _iso(alert.issued_at),
        "data": {
            "event_id": alert.event_id,
            "thread": {
                "id": alert.thread_id,
                "subject": alert.subject,
                "external_id": alert.external_id,
                "source": alert.source,
                "priority": alert.priority,
                "status": alert.status,
                "account": alert.account or None,
            },
            "metric": alert.metric,
            "previous_state": alert.previous_state,
            "current_state": alert.current_state,
            "due_at": _iso(alert.due_at),
            "policy": alert.policy,
            "at": _iso(alert.at),
            "details": alert.details,
        },
    }


def ensure_secret(channel: AlertChannel) -> str:
    """The channel's signing secret, generated and saved on first use. Compare-and-set, so two
    workers racing agree on one secret. Call before sending (it writes to the database)."""
    if not channel.secret:
        fresh = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        AlertChannel.objects.filter(pk=channel.pk, secret="").update(secret=fresh)
        channel.secret = AlertChannel.objects.values_list("secret", flat=True).get(pk=channel.pk)
    return channel.secret


def message_id(delivery: Delivery) -> str:
    # Stable across retries so receivers can de-duplicate.
    return f"dlv_{delivery.pk}" if delivery.pk else f"test_{int(timezone.now().timestamp())}"


def signed_request(delivery: Delivery, alert: Alert) -> urllib.request.Request:
    body = json.dumps(payload(alert), separators=(",", ":"))
    msg_id = message_id(delivery)
    sent_at = datetime.fromtimestamp(int(timezone.now().timestamp()), tz=UTC)
    signature = Webhook(delivery.channel.secret).sign(msg_id, sent_at, body)
    return urllib.request.Request(
        delivery.channel.url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SLA-Ops-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        },
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would repeat a redirected POST as a bodyless GET and call that a success.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class WebhookTransport(Transport):
    def send(self, delivery: Delivery, alert: Alert) -> Result:
        request = signed_request(delivery, alert)
        try:
            with _opener.open(request, timeout=TIMEOUT) as response:
                return Result(response.status)
        except urllib.error.HTTPError as error:
            code = error.code
            said = f"Endpoint answered {code} {error.read(200).decode(errors='replace')}".strip()
            if code == 410:
                raise PermanentError(said, code, disable_channel=True) from error
            if code in (408, 429) or code >= 500:
                wait = retry_after_seconds(header(error.headers, "Retry-After"))
                raise TransientError(said, code, retry_after=wait) from error
            raise PermanentError(said, code) from error
        except ValueError as error:  # an unusable URL
            raise PermanentError(f"Cannot post to {delivery.channel.url}: {error}") from error
        except OSError as error:  # refused, reset, DNS, timeout
            raise TransientError(f"Endpoint unreachable: {error}") from error
