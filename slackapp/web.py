"""Slack's Web API through slack_sdk's WebClient, behind the outbound gate.

WebClient makes its own urllib connections, so it cannot go through slaops/outbound.post. The
gate is applied to its base URL instead, before every call: SLACK_API_URL must be Slack's own
API host (or, for local use and tests, a host in SLA_HTTP_ALLOWED_HOSTS), and every address the
host resolves to must pass outbound.check_address. The base URL is a setting, not something a
manager types, so no one can point the bot token at another host.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slaops import outbound

SLACK_API_HOSTS = frozenset({"slack.com", "slack-gov.com"})
TIMEOUT = 10  # seconds
RETRY_AFTER = re.compile(r"[0-9]{1,6}")  # seconds, ASCII digits ("²".isdigit() is true)

# Slack's error codes after which trying again cannot help: the token or the channel is gone.
PERMANENT = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "msg_blocks_too_long",
        "restricted_action",
        "team_access_not_granted",
        "user_not_found",
    }
)


class SlackFailure(Exception):
    """A Web API call failed. `permanent`: do not retry; `retry_after`: Slack's 429 wait."""

    def __init__(
        self, message: str, *, permanent=False, retry_after: int | None = None, code: str = ""
    ):
        super().__init__(message)
        self.message = message
        self.code = code  # Slack's error code: "channel_not_found"
        self.permanent = permanent
        self.retry_after = retry_after


def check_api_url(url: str) -> None:
    outbound.check_url(url)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in SLACK_API_HOSTS and host not in outbound._http_allowed_hosts():
        raise outbound.DestinationNotAllowed(
            "destination not allowed: the Slack Web API is https://slack.com/api/"
        )
    outbound.checked_addresses(host, parts.port or (443 if parts.scheme == "https" else 80))


def _base_url() -> str:
    base_url = settings.SLACK_API_URL
    try:
        check_api_url(base_url)
    except outbound.DestinationNotAllowed as error:
        raise SlackFailure(str(error), permanent=True) from None
    except outbound.Unreachable as error:
        raise SlackFailure(f"Slack unreachable: {error}") from None
    return base_url


def client(app) -> WebClient:
    """The installation's client, with its token refreshed first when rotation says so."""
    from slackapp.tokens import bot_token

    base_url = _base_url()
    # No retry handlers: our outbox decides when to try again (and honours Retry-After).
    return WebClient(token=bot_token(app), base_url=base_url, timeout=TIMEOUT, retry_handlers=[])


def oauth_client() -> WebClient:
    """A client without a token, for oauth.v2.access (install, token refresh)."""
    return WebClient(base_url=_base_url(), timeout=TIMEOUT, retry_handlers=[])


def call(app, method: str, **arguments) -> dict:
    """One Web API call (`chat_postMessage`, `users_info`, …); its data, or SlackFailure."""
    api = client(app)
    try:
        response = getattr(api, method)(**arguments)
    except SlackApiError as error:
        answer = error.response
        code = answer.get("error", "") if isinstance(answer.data, dict) else ""
        if answer.status_code == 429:
            wait = answer.headers.get("Retry-After") or answer.headers.get("retry-after")
            raise SlackFailure(
                "Slack answered 429 (rate limited)",
                retry_after=int(wait) if RETRY_AFTER.fullmatch(str(wait or "")) else None,
            ) from None
        said = f"Slack answered {answer.status_code}" + (f": {code}" if code else "")
        raise SlackFailure(said, permanent=code in PERMANENT, code=code) from None
    except OSError as error:  # refused, reset, timed out, TLS
        raise SlackFailure(f"Slack unreachable: {error}") from None
    return response.data
