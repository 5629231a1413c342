"""Deliveries in a manager's words: who a delivery went to (a channel's name, a person's display
name, never "channel:3") and what went wrong ("Could not connect to hooks.slack.com: connection
refused" rather than a raw socket error, which stays available as the detail)."""

import re
from urllib.parse import urlsplit

from slaops.outbound import refusal_words

# The raw error's telltale, and the plain words for it; {host} is the destination's host.
PLAIN_ERRORS: list[tuple[str, str]] = [
    (r"errno 111|connection refused", "Could not connect to {host}: connection refused"),
    (
        r"cannot resolve|name or service not known|nodename nor servname|errno -2|errno -3",
        "Could not find {host}: the name does not resolve (check the URL)",
    ),
    (r"connection timed out|connecttimeout", "Could not connect to {host}: no answer in time"),
    (r"no answer in time|read timed out|readtimeout", "{host} did not answer in time"),
    (r"errno 101|network is unreachable", "Could not reach {host}: no network route"),
    (r"errno 104|connection reset", "{host} closed the connection"),
    (r"tls failed|ssl|certificate", "Could not connect securely to {host} (TLS certificate)"),
    (
        r"answered 404|answered 410|no_service|channel_not_found|invalid_token",
        "{host} says this webhook no longer exists: paste a new URL and enable the channel again",
    ),
    (r"answered 401|answered 403|invalid_auth|not_authed", "{host} refused the credentials"),
    (r"answered 429|rate.?limit", "{host} asked us to slow down (too many alerts at once)"),
    (r"answered (?P<code>5\d\d)", "{host} had a problem on its side (it answered {code})"),
]


def plain_error(raw: str, *, url: str = "") -> str:
    """The words a manager reads for a delivery error; `raw` unchanged if none fit."""
    text = " ".join((raw or "").split())
    if not text:
        return ""
    host = urlsplit(url).hostname if url else None
    if not host:
        found = re.search(r"host=['\"]?([\w.-]+)|resolve ([\w.-]+)", text)
        host = next((g for g in found.groups() if g), None) if found else None
    lowered = text.lower()
    if lowered.startswith("destination not allowed:"):
        # Why, in full: an inside address names the setting that would allow it.
        return "Not sent. " + refusal_words(text)
    for pattern, words in PLAIN_ERRORS:
        found = re.search(pattern, lowered)
        if found:
            return words.format(host=host or "the receiving end", **found.groupdict())
    return text


def person_name(user) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


def recipient_name(delivery) -> str:
    """Whom a delivery is for, by name. Reads delivery.channel and, for a Slack app's direct
    message or a person's delivery, the user and the thread's assignee: select them related."""
    channel = delivery.channel
    label = channel.name if channel else "a deleted channel"
    recipient = delivery.recipient or ""
    if delivery.user_id:
        return (
            f"{person_name(delivery.user)} ({recipient})"
            if recipient
            else person_name(delivery.user)
        )
    if not recipient.startswith("channel:"):
        return f"{recipient} ({label})" if channel else recipient
    part = recipient.split(":")[2] if recipient.count(":") >= 2 else ""
    if part == "triage":
        return f"{label} (triage channel)"
    if part == "assignee":
        thread = delivery.event.thread if delivery.event_id else None
        who = person_name(thread.assignee) if thread and thread.assignee_id else "the assignee"
        return f"{who} (Slack direct message, {label})"
    return label


def destination_url(delivery) -> str:
    """Where a delivery goes, to name its host in errors: the channel's URL, PagerDuty's
    default, Slack's API for the Slack app, the mail server for e-mail."""
    from django.conf import settings

    from policies.alert_kinds import pagerduty_url

    channel = delivery.channel
    if delivery.kind == "email":
        return f"smtp://{settings.EMAIL_HOST}"
    if delivery.kind == "slack_app":
        return "https://slack.com/api"
    if channel is None:
        return ""
    return pagerduty_url(channel) if channel.kind == "pagerduty" else channel.url
