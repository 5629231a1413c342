"""`/sla`: what breaches next for my team, answered only to the person who typed it
(ephemeral). The next running clocks by due time among the threads of the agent's teams (all
they may see when they are in no team), through the breach queue's own query and scope
(threads/pages/queue.py), each with its thread, clock, time left and link.

Never in a channel shared with another organisation (Slack Connect): thread titles of other
customers must not be shown there, not even to our own agent. A channel is known to be shared
by its connected channel's flag, else by conversations.info (kept for a while).

Answered within Slack's 3 seconds when that needs no Web API call (the person is known, the
channel's sharing too): one indexed query. Otherwise a task asks Slack and answers through the
command's response_url."""

import re

from django.core.cache import cache
from django.utils import timezone

from slackapp import acting, respond, web
from slackapp.models import SlackApp, SlackChannel, SlackUser
from slaops.formatting import format_time_left
from slaops.mrkdwn import escape, link
from threads.alerting.alert import thread_url
from threads.pages.clock_names import clock_name
from threads.pages.queue import QueueFilters, queue_clocks, queue_row
from threads.selectors import team_ids

SHOWN, MOST = 5, 20  # clocks shown, and the most `/sla 20` may ask for
TITLE = 100  # characters of a subject shown
SHARED_FOR = 10 * 60  # seconds conversations.info's answer is kept
SLACK_ID = re.compile(r"[A-Z0-9]{1,20}")
USAGE = "Use /sla, or /sla 10 for the next 10 clocks (at most 20)."
SHARED = (
    "/sla does not answer in a channel shared with another organisation: it would show other "
    "customers' threads. Ask in a direct message with the app or in an internal channel."
)
UNKNOWN_CHANNEL = (
    "/sla cannot tell whether this channel is shared with another organisation, so it does not "
    "answer here. Ask in a direct message with the app or in a channel the app is in."
)


def read(form: dict) -> dict:
    """The command's fields we use; ValueError naming a field that is not what Slack sends."""
    asked = {}
    for field in ("user_id", "channel_id"):
        value = form.get(field)
        if not isinstance(value, str) or not SLACK_ID.fullmatch(value):
            raise ValueError(f"{field}: not a Slack id")
        asked[field] = value
    text = form.get("text", "")
    asked["text"] = text if isinstance(text, str) else ""
    asked["response_url"] = respond.check(form.get("response_url"))
    return asked


def answer_now(app: SlackApp, asked: dict) -> dict | None:
    """The ephemeral answer when no Web API call is needed for it, else None (a task answers)."""
    shared = _shared_as_known(app, asked["channel_id"])
    if shared:
        return respond.ephemeral(SHARED)
    person = SlackUser.objects.filter(app=app, slack_user_id=asked["user_id"]).first()
    known = person is not None and (person.agent_id is not None or person.looked_up_at)
    if shared is None or not known:
        return None
    return _answer(app, asked)


def slash_command(app_pk: int, asked: dict) -> str:
    """The task: ask Slack what is not known yet, then answer through the response_url."""
    app = SlackApp.objects.filter(pk=app_pk, enabled=True).first()
    if app is None:
        return "no enabled Slack app"
    shared = _shared_as_known(app, asked["channel_id"])
    if shared is None:
        shared = _ask_whether_shared(app, asked["channel_id"])
    if shared is None:
        message = respond.ephemeral(UNKNOWN_CHANNEL)
    elif shared:
        message = respond.ephemeral(SHARED)
    else:
        message = _answer(app, asked)
    respond.post(asked["response_url"], message)
    return message["text"][:80]


def _answer(app: SlackApp, asked: dict) -> dict:
    agent = acting.agent_for(app, asked["user_id"])
    if agent is None:
        return respond.ephemeral(respond.NOT_AN_AGENT)
    if not agent.has_perm("threads.view_thread"):
        return respond.ephemeral(respond.NOT_ALLOWED)
    words = asked["text"].strip()
    if words and (not words.isascii() or not words.isdigit() or not 1 <= int(words) <= MOST):
        return respond.ephemeral(USAGE)
    return next_breaches(agent, int(words) if words else SHOWN)


def next_breaches(agent, count: int = SHOWN) -> dict:
    """The ephemeral message listing the next `count` clocks to breach for the agent."""
    now = timezone.now()
    teams = team_ids(agent)
    scope = QueueFilters(scope="teams" if teams else "")
    clocks = queue_clocks(user=agent, filters=scope).select_related(
        "thread", "team", "calendar", "policy"
    )[:count]
    whose = "your teams" if teams else "the threads you can see"
    lines = []
    for clock in clocks:
        row = queue_row(clock, now)
        title = f"#{clock.thread.pk} {clock.thread.subject[:TITLE]}"
        lines.append(
            f"• {link(thread_url(clock.thread), title)} · {escape(clock_name(clock))} · "
            f"{escape(format_time_left(row.left))}"
        )
    if not lines:
        text = f"Nothing is running for {whose}: no clock will breach."
        return {"response_type": "ephemeral", "text": escape(text)}
    head = f"*Next to breach for {escape(whose)}*"
    # A section a line: each far under Block Kit's 3,000 characters, at most 21 of 50 blocks.
    return {
        "response_type": "ephemeral",
        "text": "\n".join([head, *lines]),
        "blocks": [_section(head), *(_section(line) for line in lines)],
    }


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _cache_key(app: SlackApp, channel_id: str) -> str:
    return f"slack:shared:{app.pk}:{channel_id}"


def _shared_as_known(app: SlackApp, channel_id: str) -> bool | None:
    """Whether the channel is shared with another organisation as we know it; None: unknown."""
    flag = (
        SlackChannel.objects.filter(app=app, channel_id=channel_id)
        .values_list("externally_shared", flat=True)
        .first()
    )
    if flag is not None:
        return flag
    return cache.get(_cache_key(app, channel_id))


def _ask_whether_shared(app: SlackApp, channel_id: str) -> bool | None:
    """conversations.info, outside any transaction; the answer is kept for SHARED_FOR."""
    try:
        data = web.call(app, "conversations_info", channel=channel_id)
    except web.SlackFailure:
        return None
    channel = data.get("channel") or {}
    shared = bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))
    cache.set(_cache_key(app, channel_id), shared, SHARED_FOR)
    return shared
