"""The triage message's controls: "Assign to me", "Set priority" (a menu of priorities),
"Resolve" and "Open in SLA Ops" (a link to the thread page), under a line saying who has the
thread, its priority and its status. Slack sends a click to the interactivity URL
(slackapp/handlers.py → `read_action`); the work is done by a task (slackapp/triage_actions.py).

The thread a control acts on is named by its actions block (`block_id` "sla_triage:<id>"), which
we wrote; who may act is decided by the person who clicked, never by the message."""

import re

from policies.vocabulary import Priority, ThreadStatus
from slaops.mrkdwn import NO_AUTOLINK, escape
from threads.alerting.alert import Alert
from threads.alerting.transports.slack import message as block_kit

ASSIGN, PRIORITY, RESOLVE, OPEN = "sla_assign_me", "sla_set_priority", "sla_resolve", "sla_open"
BLOCK = re.compile(r"sla_triage:([0-9]{1,18})")
SLACK_ID = re.compile(r"[A-Z0-9]{1,20}")
DONE = (ThreadStatus.RESOLVED, ThreadStatus.CLOSED)


def _text(words: str) -> dict:
    return {"type": "plain_text", "text": words}


def controls(thread_id: int, link: str, priority: str, status: str) -> dict:
    """The actions block of a thread's triage message."""
    options = [{"text": _text(str(label)), "value": value} for value, label in Priority.choices]
    menu = {
        "type": "static_select",
        "action_id": PRIORITY,
        "placeholder": _text("Set priority"),
        "options": options,
    }
    chosen = [option for option in options if option["value"] == priority]
    if chosen:
        menu["initial_option"] = chosen[0]
    elements = [{"type": "button", "action_id": ASSIGN, "text": _text("Assign to me")}, menu]
    if status not in DONE:
        elements.append(
            {
                "type": "button",
                "action_id": RESOLVE,
                "text": _text("Resolve"),
                "style": "primary",
                "confirm": {
                    "title": _text("Resolve the thread?"),
                    "text": _text("Its clocks stop as they are now."),
                    "confirm": _text("Resolve"),
                    "deny": _text("Cancel"),
                },
            }
        )
    elements.append(
        {"type": "button", "action_id": OPEN, "text": _text("Open in SLA Ops"), "url": link}
    )
    return {"type": "actions", "block_id": f"sla_triage:{thread_id}", "elements": elements}


def person_name(user) -> str:
    """How the status line names an assignee ("" for none)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def status_line(*, assignee: str, priority_label: str, status: str) -> dict:
    """Who has the thread, its priority and status (names escaped: they are not ours)."""
    label = ThreadStatus(status).label if status in ThreadStatus.values else status
    who = f"Assigned to *{escape(assignee)}*" if assignee else "Unassigned"
    text = f"{who} · Priority *{escape(str(priority_label))}* · {escape(str(label))}"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def triage_content(alert: Alert, *, assignee: str) -> dict:
    """The alert's Block Kit message with the triage controls in place of its link button."""
    content = block_kit(alert)
    blocks = [block for block in content["blocks"] if block["type"] != "actions"]
    blocks.append(
        status_line(assignee=assignee, priority_label=alert.priority_label, status=alert.status)
    )
    blocks.append(controls(alert.thread_id, alert.link, alert.priority, alert.status))
    return content | {"blocks": blocks} | NO_AUTOLINK


def read_action(payload: dict) -> dict | None:
    """What a click asks for: {"action", "thread", "priority", "user", "user_team",
    "response_url", "channel", "message_ts"}; None for a click with nothing to do (the link
    button, another app's interaction); ValueError naming the field for a payload that is not
    what Slack sends."""
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise ValueError("payload.actions: a list of actions is required")
    action = actions[0]
    kind = action.get("action_id")
    if kind not in (ASSIGN, PRIORITY, RESOLVE):
        return None  # "Open in SLA Ops" is a link: Slack opens it and tells us too
    found = BLOCK.fullmatch(str(action.get("block_id", "")))
    if found is None:
        raise ValueError("payload.actions[0].block_id: not a triage message's (sla_triage:<id>)")
    user = payload.get("user")
    if not isinstance(user, dict) or not SLACK_ID.fullmatch(str(user.get("id", ""))):
        raise ValueError("payload.user.id: not a Slack user id")
    priority = ""
    if kind == PRIORITY:
        selected = action.get("selected_option")
        priority = selected.get("value") if isinstance(selected, dict) else None
        if priority not in Priority.values:
            raise ValueError(f"payload.actions[0].selected_option.value: one of {Priority.values}")
    container = payload.get("container") if isinstance(payload.get("container"), dict) else {}
    team = user.get("team_id")
    return {
        "action": kind,
        "thread": int(found.group(1)),
        "priority": priority,
        "user": user["id"],
        "user_team": team if isinstance(team, str) and SLACK_ID.fullmatch(team) else "",
        "response_url": _response_url(payload.get("response_url")),
        "channel": str(container.get("channel_id") or "")[:20],
        "message_ts": str(container.get("message_ts") or "")[:20],
    }


def _response_url(url) -> str:
    from slackapp import respond

    try:
        return respond.check(url)
    except ValueError as error:
        raise ValueError(f"payload.{error}") from None
