"""Answers through a `response_url`: the URL Slack gives with a button click or a slash command
for answering it later (up to 5 times in 30 minutes). It goes through the outbound gate like an
incoming webhook: https://hooks.slack.com/ only (or, for local use and tests, a host in
SLA_HTTP_ALLOWED_HOSTS), its addresses checked, no redirects followed."""

import json
import logging

from slaops import outbound
from slaops.mrkdwn import escape

log = logging.getLogger(__name__)
TIMEOUT = 5  # seconds
NOT_AN_AGENT = "You are not an agent in SLA Ops."
NOT_ALLOWED = "You are not allowed to do that in SLA Ops."


def check(url) -> str:
    """The response_url if it may be posted to (no network), else ValueError naming it."""
    if not isinstance(url, str) or not url:
        raise ValueError("response_url: missing")
    try:
        outbound.check_url(url, slack=True)
    except outbound.DestinationNotAllowed:
        raise ValueError("response_url: not a Slack address (https://hooks.slack.com/…)") from None
    return url


def ephemeral(text: str) -> dict:
    """A message only the person who clicked or typed sees; `text` is ours (escaped here)."""
    return {"response_type": "ephemeral", "replace_original": False, "text": escape(text)}


def post(url: str, message: dict) -> bool:
    """Post `message` to the response_url; whether Slack took it (a failure is logged: the
    person sees nothing happen and can try again)."""
    body = json.dumps(message).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "SLA-Ops/1"}
    try:
        answer = outbound.post(url, body=body, headers=headers, timeout=TIMEOUT, slack=True)
    except (outbound.DestinationNotAllowed, outbound.Unreachable) as error:
        log.warning("Slack response_url not answered: %s", error)
        return False
    if not 200 <= answer.status < 300:
        log.warning("Slack response_url answered %s", answer.said)
        return False
    return True
