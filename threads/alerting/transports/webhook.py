"""Outgoing webhooks: "sla.status_transitioned" for a customer's clock,
"team_clock.status_transitioned" for a team's own clock (with its `team` and an `event` such as
"team_clock.breaching"), "sla.objective" for an objective's alert (its `event` and `objective`
named at the top), signed as Standard Webhooks."""

import base64
import json
import secrets
from dataclasses import replace
from datetime import UTC, datetime

from django.utils import timezone
from standardwebhooks import Webhook

from policies.models import AlertChannel
from threads.alerting.transports.base import (
    Alert,
    PermanentError,
    Result,
    TransientError,
    Transport,
    header,
    post,
    retry_after_seconds,
)
from threads.models import Delivery

TIMEOUT = 10  # seconds
EVENT_TYPE = "sla.status_transitioned"
TEAM_CLOCK_TYPE = "team_clock.status_transitioned"
TEAM_CLOCK_EVENT = "team_clock.{kind}"  # team_clock.warning, team_clock.breaching, …
OBJECTIVE_TYPE = "sla.objective"
OPERATOR_TYPE = "sla.operator"  # event "operator.incident" or "operator.recovered"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def objective_payload(alert: Alert) -> dict:
    """An objective's alert: which event ("objective_at_risk", …) about which objective."""
    named = {"id": alert.objective["id"], "name": alert.objective["name"]}
    return {
        "type": OBJECTIVE_TYPE,
        "timestamp": _iso(alert.issued_at),
        "event": alert.event_kind,
        "objective": named,
        "data": {
            "event_id": alert.event_id,
            "event": alert.event_kind,
            "objective": {
                **named,
                "metric": alert.objective["metric"],
                "target_percent": alert.objective["target_percent"],
                "period": alert.objective["period"],
            },
            "title": alert.title,
            "previous_status": alert.previous_state,
            "status": alert.current_state,
            "at": _iso(alert.at),
            "details": alert.details,
            "link": alert.link,
        },
    }


def operator_payload(alert: Alert) -> dict:
    """An operator alert: SLA Ops itself is in trouble (or recovered), no thread involved."""
    return {
        "type": OPERATOR_TYPE,
        "timestamp": _iso(alert.issued_at),
        "event": alert.event_kind,
        "data": {
            "incident": alert.operator["incident"],
            "problem": alert.operator["problem"],
            "recovered": alert.operator["recovered"],
            "title": alert.title,
            "at": _iso(alert.at),
            "link": alert.link,
        },
    }


def payload(alert: Alert) -> dict:
    if alert.operator is not None:
        return operator_payload(alert)
    if alert.objective is not None:
        return objective_payload(alert)
    if alert.team is not None:
        return team_clock_payload(alert)
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


def team_clock_payload(alert: Alert) -> dict:
    """A team's own clock: the customer clock's body, typed apart, naming the team and the
    event, and without a policy (a team's clock has none)."""
    body = {**payload(replace(alert, team=None)), "type": TEAM_CLOCK_TYPE}
    data = {k: v for k, v in body["data"].items() if k != "policy"}
    body["data"] = {
        "event_id": data.pop("event_id"),
        "event": TEAM_CLOCK_EVENT.format(kind=alert.event_kind),
        "team": {"id": alert.team["id"], "name": alert.team["name"]},
        **data,
    }
    return body


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def ensure_secret(channel: AlertChannel) -> str:
    """The channel's signing secret, generated and saved on first use (a channel made without
    the admin, which generates and shows it once). Compare-and-set, so two workers racing agree
    on one secret. Call before sending (it writes to the database)."""
    if not channel.secret:
        fresh = new_secret()
        AlertChannel.objects.filter(pk=channel.pk, secret="").update(secret=fresh)
        channel.secret = AlertChannel.objects.values_list("secret", flat=True).get(pk=channel.pk)
    return channel.secret


def message_id(delivery: Delivery) -> str:
    # The delivery's UUID: the same on every retry (and on a repeat after a crash) so receivers
    # can de-duplicate, and unique across installations and database resets.
    return f"dlv_{delivery.uid.hex}"


def signed_request(delivery: Delivery, alert: Alert) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of the webhook, signed with the channel's secret."""
    body = json.dumps(payload(alert), separators=(",", ":"))
    msg_id = message_id(delivery)
    sent_at = datetime.fromtimestamp(int(timezone.now().timestamp()), tz=UTC)
    signature = Webhook(delivery.channel.secret).sign(msg_id, sent_at, body)
    return body.encode(), {
        "Content-Type": "application/json",
        "User-Agent": "SLA-Ops-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }


class WebhookTransport(Transport):
    def prepare(self, channel: AlertChannel) -> None:
        ensure_secret(channel)

    def send(self, delivery: Delivery, alert: Alert) -> Result:
        body, headers = signed_request(delivery, alert)
        # Redirects are not followed (a redirected POST would arrive as a bodyless GET, and a
        # redirect could point anywhere), and the body of the answer is never read: an error
        # shows only its status and reason.
        answer = post(
            delivery.channel.url, to="Endpoint", body=body, headers=headers, timeout=TIMEOUT
        )
        code = answer.status
        if 200 <= code < 300:
            return Result(code)
        said = f"Endpoint answered {answer.said}"
        if 300 <= code < 400:
            raise PermanentError(f"{said} (redirects are not followed)", code)
        if code == 410:
            raise PermanentError(said, code, disable_channel=True)
        if code in (408, 429) or code >= 500:
            wait = retry_after_seconds(header(answer.headers, "Retry-After"))
            raise TransientError(said, code, retry_after=wait)
        raise PermanentError(said, code)
