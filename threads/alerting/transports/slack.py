"""Slack alerts through an incoming webhook: a Block Kit message with a plain-text fallback.

Everything we did not write ourselves (subjects, account names) is escaped as Slack asks
(slaops/mrkdwn.py, shared with the Slack app's replies), so a subject cannot mention @channel or
show a link under a false label; our own links still work."""

import json
import time

from slaops.mrkdwn import escape, escape_within, link
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

TIMEOUT = 5  # seconds
# Slack's answers that mean the webhook itself is gone (revoked, channel deleted, app removed).
CHANNEL_GONE = {
    "invalid_token",
    "no_service",
    "channel_not_found",
    "no_team",
    "channel_is_archived",
    "team_disabled",
}
# The error codes Slack's incoming webhooks answer with: shown by name, since they are Slack's
# vocabulary and say what to fix; any other answer body is never shown.
SLACK_ERRORS = CHANNEL_GONE | {
    "invalid_payload",
    "user_not_found",
    "action_prohibited",
    "posting_to_general_channel_denied",
    "too_many_attachments",
    "no_service_id",
    "invalid_blocks",
    "invalid_blocks_format",
    "no_text",
}
INLINE_WAIT = 1  # seconds: wait for a Retry-After this short; reschedule anything longer
HEADER_LIMIT = 150  # characters Slack allows in a header block


def message(alert: Alert) -> dict:
    """The Block Kit payload; `text` is what notifications and old clients show."""
    thread = f"#{alert.thread_id} {alert.subject}" if alert.thread_id else alert.subject
    if alert.objective is not None:
        figures = alert.details.get("figures") or {}
        fields = [
            ("Objective", link(alert.link, alert.subject)),
            ("Metric", escape(alert.metric_label or "—")),
            ("Status", escape(alert.current_state_label)),
            ("Target", escape(f"{alert.objective['target_percent']} %")),
            ("Compliance", escape(_percent(figures.get("compliance_percent")))),
            ("Budget left", escape(str(figures.get("budget_left", "—")))),
        ]
        text = f"{escape(alert.title)} {link(alert.link, 'open')}"
        button = "Open the objective"
    elif alert.operator is not None:
        fields = [("Problem", escape(alert.subject)), ("State", escape(alert.event_label))]
        text = f"{escape(alert.title)} {link(alert.link, 'open')}"
        button = "Open SLA Ops"
    else:
        fields = [
            ("Thread", link(alert.link, thread)),
            *([("Team", escape(alert.team["name"]))] if alert.team else []),
            ("Metric", escape(alert.metric_label or "—")),
            ("State", escape(alert.current_state_label or alert.event_label)),
            ("Due", escape(alert.due_text)),
            ("Time left", escape(alert.time_left_text)),
            ("Account", escape(alert.account or "—")),
        ]
        text = f"{escape(alert.title)} (due {escape(alert.due_text)}) {link(alert.link, 'open')}"
        button = "Open the thread"
    return {
        "text": text,
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": escape_within(alert.title, HEADER_LIMIT)},
            },
            {
                "type": "section",
                "fields": [
                    # verbatim: Slack keeps our markup and links but does not turn plain
                    # words of a subject into mentions or channel links.
                    {"type": "mrkdwn", "text": f"*{name}*\n{value}", "verbatim": True}
                    for name, value in fields
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": button},
                        "url": alert.link,
                    }
                ],
            },
        ],
    }


def _percent(value) -> str:
    return "—" if value is None else f"{value} %"


GROUP_LINES = 20  # alerts listed by name in a grouped message; the rest are counted


def group_message(alerts: list[Alert]) -> dict:
    """Several alerts due for one Slack channel at once, as one message: an incoming webhook
    takes about one message a second, so a burst of 500 sent one by one would reach the channel
    over minutes. The first GROUP_LINES are listed, each linking to its thread; "and N more"
    links to the breach queue."""
    from django.conf import settings
    from django.urls import reverse

    lines = [
        f"{link(alert.link, alert.title)}"
        + (f" (due {escape(alert.due_text)})" if alert.due_at and not alert.operator else "")
        for alert in alerts[:GROUP_LINES]
    ]
    more = len(alerts) - len(lines)
    title = f"{len(alerts)} SLA alerts"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        *(
            {"type": "section", "text": {"type": "mrkdwn", "text": line, "verbatim": True}}
            for line in lines
        ),
    ]
    if more:
        queue = settings.SITE_URL + reverse("queue")
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"and {more} more: {link(queue, 'open the queue')}"}
                ],
            }
        )
    text = f"{title}: " + "; ".join(escape(alert.title) for alert in alerts[:3])
    return {"text": text + (" …" if len(alerts) > 3 else ""), "blocks": blocks}


class SlackTransport(Transport):
    # Alerts due for one channel at once go as one message (group_message), one send at a time.
    group_limit = 50

    def send(self, delivery: Delivery, alert: Alert) -> Result:
        return self._post(delivery, message(alert))

    def send_group(self, delivery: Delivery, alerts: list[Alert]) -> Result:
        return self._post(delivery, group_message(alerts))

    def _post(self, delivery: Delivery, payload: dict) -> Result:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "SLA-Ops/1"}

        def attempt():
            return post(
                delivery.channel.url,
                to="Slack",
                slack=True,
                body=body,
                headers=headers,
                timeout=TIMEOUT,
                read=64,
            )

        answer = attempt()
        wait = retry_after_seconds(header(answer.headers, "Retry-After"))
        if answer.status == 429 and wait is not None and wait <= INLINE_WAIT:
            # A short rate limit is waited out here; a longer one goes back to the delivery.
            time.sleep(wait)
            answer = attempt()
            wait = retry_after_seconds(header(answer.headers, "Retry-After"))
        code = answer.status
        if 200 <= code < 300:
            return Result(code)
        error = answer.start.decode(errors="replace").strip()
        error = error if error in SLACK_ERRORS else ""
        said = f"Slack answered {answer.said}" + (f": {error}" if error else "")
        if code == 429:
            raise TransientError(said, code, retry_after=wait)
        if code in (404, 410) or error in CHANNEL_GONE:
            raise PermanentError(said, code, disable_channel=True)
        if 300 <= code < 400:
            raise PermanentError(f"{said} (redirects are not followed)", code)
        if 400 <= code < 500:
            raise PermanentError(said, code)
        raise TransientError(said, code)
