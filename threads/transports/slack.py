"""Slack alerts through an incoming webhook: a Block Kit message with a plain-text fallback."""

from slack_sdk.errors import SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

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

TIMEOUT = 5  # seconds
# Slack's answers that mean the webhook itself is gone (revoked, channel deleted, app removed).
CHANNEL_GONE = {
    "invalid_token",
    "no_service",
    "channel_not_found",
    "no_team",
    "channel_is_archived",
}
INLINE_WAIT = 1  # seconds: wait for a Retry-After this short; reschedule anything longer


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Slack's own 429 handler, limited to short waits so one channel never holds a worker:
    a longer Retry-After goes back to the delivery as the time of the next attempt."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = retry_after_seconds(header(response.headers, "Retry-After"))
        return wait is not None and wait <= INLINE_WAIT


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(alert: Alert) -> dict:
    """The Block Kit payload; `text` is what notifications and old clients show."""
    thread = f"#{alert.thread_id} {alert.subject}" if alert.thread_id else alert.subject
    fields = [
        ("Thread", f"<{alert.link}|{_escape(thread)}>"),
        ("Metric", _escape(alert.metric_label or "—")),
        ("State", _escape(alert.current_state_label or alert.event_label)),
        ("Due", _escape(alert.due_text)),
        ("Time left", _escape(alert.time_left_text)),
        ("Account", _escape(alert.account or "—")),
    ]
    return {
        "text": f"{alert.title} (due {alert.due_text}) {alert.link}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150]}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the thread"},
                        "url": alert.link,
                    }
                ],
            },
        ],
    }


class SlackTransport(Transport):
    def send(self, delivery: Delivery, alert: Alert) -> Result:
        client = WebhookClient(
            delivery.channel.url,
            timeout=TIMEOUT,
            retry_handlers=[ShortRateLimitRetry(max_retry_count=1)],
        )
        try:
            response = client.send_dict(message(alert))
        except SlackRequestError as error:  # not an http(s) URL
            raise PermanentError(str(error), disable_channel=True) from error
        except OSError as error:  # refused, reset, DNS, timeout (URLError is an OSError)
            raise TransientError(f"Slack unreachable: {error}") from error
        code, body = response.status_code, (response.body or "").strip()
        if 200 <= code < 300:
            return Result(code)
        said = f"Slack answered {code} {body[:200]}".strip()
        if code == 429:
            wait = retry_after_seconds(header(response.headers, "Retry-After"))
            raise TransientError(said, code, retry_after=wait)
        if code in (404, 410) or body in CHANNEL_GONE:
            raise PermanentError(said, code, disable_channel=True)
        if 400 <= code < 500:
            raise PermanentError(said, code)
        raise TransientError(said, code)
