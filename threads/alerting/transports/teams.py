"""Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
received"): one Adaptive Card per alert, as a message with one attachment.

Office 365 connector URLs are refused when the channel is saved (alert_kinds.teams_url_is_valid):
Microsoft retired them. Everything we did not write ourselves (the subject inside the title, the
account) lands in TextRuns, which Teams shows as plain text: no Markdown, so a subject can neither
format itself nor show a link under a false label, and "{{" is broken so that it cannot become a
DATE()/TIME() function. Our own labels (metric, state, due time) go in a FactSet.
"""

import json
import re

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
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"  # what Teams renders on every client, mobile included
ZERO_WIDTH_SPACE = "\u200b"


def plain(text: str) -> str:
    """Foreign text for a TextRun (no Markdown there): only the {{…}} functions to break."""
    return (text or "").replace("{{", "{" + ZERO_WIDTH_SPACE + "{")


def text_run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": plain(text), **style}


def facts(alert: Alert) -> list[dict]:
    """Our own labels beside the title: a clock's state and due time, an objective's figures."""
    if alert.objective is not None:
        figures = alert.details.get("figures") or {}
        compliance = figures.get("compliance_percent")
        return [
            {"title": "Objective", "value": plain(alert.subject)},
            {"title": "Metric", "value": alert.metric_label or "—"},
            {"title": "Status", "value": alert.current_state_label},
            {"title": "Target", "value": f"{alert.objective['target_percent']} %"},
            {"title": "Compliance", "value": "—" if compliance is None else f"{compliance} %"},
            {"title": "Budget left", "value": str(figures.get("budget_left", "—"))},
        ]
    if alert.operator is not None:
        return [
            {"title": "Problem", "value": plain(alert.subject)},
            {"title": "State", "value": alert.event_label},
        ]
    team = [{"title": "Team", "value": plain(alert.team["name"])}] if alert.team else []
    return [
        *team,
        {"title": "Metric", "value": alert.metric_label or "—"},
        {"title": "State", "value": alert.current_state_label or alert.event_label},
        {"title": "Due", "value": alert.due_text},
        {"title": "Time left", "value": alert.time_left_text},
        {"title": "Priority", "value": alert.priority_label},
    ]


def card(alert: Alert) -> dict:
    breaching = alert.current_state in ("breaching", "breached", "below_target")
    body = [
        {
            "type": "RichTextBlock",
            "inlines": [
                text_run(
                    alert.title,
                    weight="Bolder",
                    size="Medium",
                    color="Attention" if breaching else "Default",
                )
            ],
        },
        {"type": "FactSet", "facts": facts(alert)},
    ]
    if alert.account:
        body.append(
            {
                "type": "RichTextBlock",
                "inlines": [text_run("Account: ", weight="Bolder"), text_run(alert.account)],
            }
        )
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "fallbackText": plain(alert.title),
        "body": body,
        "actions": [
            {
                "type": "Action.OpenUrl",
                "title": "Open the objective" if alert.objective else "Open the thread",
                "url": alert.link,
            }
        ],
    }


def message(alert: Alert) -> dict:
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card(alert)}],
    }


def error_code(answer) -> str:
    """The Workflows error code ("WorkflowTriggerIsNotEnabled"): a name that says what to fix;
    the message around it is never shown."""
    try:
        code = json.loads(answer.start).get("error", {}).get("code", "")
    except (ValueError, AttributeError):
        return ""
    return code if isinstance(code, str) and re.fullmatch(r"[A-Za-z]{1,80}", code) else ""


class TeamsTransport(Transport):
    def send(self, delivery: Delivery, alert: Alert) -> Result:
        answer = post(
            delivery.channel.url,
            to="Teams",
            body=json.dumps(message(alert)).encode(),
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "SLA-Ops/1"},
            timeout=TIMEOUT,
            read=512,
        )
        code = answer.status
        if 200 <= code < 300:  # Workflows answers 202 Accepted
            return Result(code)
        named = error_code(answer)
        said = f"Teams answered {answer.said}" + (f": {named}" if named else "")
        if code in (408, 429) or code >= 500:
            wait = retry_after_seconds(header(answer.headers, "Retry-After"))
            raise TransientError(said, code, retry_after=wait)
        if code in (404, 410):  # the flow was deleted or turned off
            raise PermanentError(said, code, disable_channel=True)
        if 300 <= code < 400:
            raise PermanentError(f"{said} (redirects are not followed)", code)
        raise PermanentError(said, code)
