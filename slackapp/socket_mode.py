"""Socket Mode: Slack's events, clicks and slash commands over a WebSocket the server opens
itself (`manage.py slack_socket`), for an install without a public URL. slack_sdk's built-in
client (no extra package) with the app-level token (SLACK_APP_TOKEN, xapp-…, scope
connections:write); each envelope goes to the same handlers as the HTTP URLs
(slackapp/handlers.py) and is acked with the handler's answer.

The connection is the proof that Slack sent an envelope (there is no signature to check), so
the app it is for is read from the payload: an enabled app of the workspace it names. Like the
Web API, the connection goes through the outbound gate: apps.connections.open on SLACK_API_URL,
and the WebSocket only to Slack's own hosts (or SLA_HTTP_ALLOWED_HOSTS, for local use and tests).
When our database is down an envelope is not acked, so Slack sends it again."""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from slackapp import handlers, web
from slackapp.connect import delivered_to
from slackapp.models import SlackApp
from slaops import outbound

log = logging.getLogger(__name__)
SOCKET_HOSTS = ("slack.com", "slack-gov.com")  # wss-primary.slack.com and the like


def app_for(kind: str, payload: dict) -> SlackApp | None:
    """The enabled installation (a workspace, or an org for an org-wide install) an envelope is
    for, else None."""
    named = handlers.teams_named(kind, payload)
    apps = SlackApp.objects.filter(enabled=True).order_by("pk")
    return next((app for app in apps if delivered_to(app, named)), None)


def dispatch(kind: str, payload, *, retry: int = 0) -> handlers.Answer:
    """One envelope's payload to its handler; the answer to ack it with."""
    if not isinstance(payload, dict):
        return handlers.refused("payload: not a JSON object")
    if kind not in ("events_api", "interactive", "slash_commands"):
        return handlers.Answer()  # nothing we handle: acked, so Slack does not send it again
    app = app_for(kind, payload)
    if app is None:
        return handlers.Answer()  # not a workspace of ours (or disabled): nothing to keep
    if kind == "events_api":
        return handlers.events_api(app, payload, repeat=retry > 0)
    if kind == "interactive":
        return handlers.interaction(app, payload)
    return handlers.slash_command(app, payload)


def _fresh_connection() -> None:
    """Drop this thread's database connection if it broke or aged out, as Django does around a
    request; never inside a transaction (one the caller holds, as a test does), which closing
    would end."""
    if not connection.in_atomic_block:
        close_old_connections()


def on_request(client, request: SocketModeRequest) -> None:
    """The client's listener: dispatch, then ack (with a slash command's immediate answer)."""
    _fresh_connection()  # a worker thread of the client's: no stale connection
    try:
        answer = dispatch(request.type, request.payload, retry=request.retry_attempt or 0)
    except DatabaseError as error:
        log.warning("Slack envelope not acked, the database is unavailable: %s", error)
        return  # Slack sends it again
    finally:
        _fresh_connection()
    if answer.error:
        log.warning("Slack %s envelope refused: %s", request.type, answer.error)
    body = answer.body if answer.status == 200 else None
    client.send_socket_mode_response(
        SocketModeResponse(envelope_id=request.envelope_id, payload=body)
    )


def check_socket_url(url: str) -> None:
    """Refuse a WebSocket URL that is not Slack's (outbound.DestinationNotAllowed)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = host in outbound._http_allowed_hosts()
    ours = any(host == name or host.endswith(f".{name}") for name in SOCKET_HOSTS)
    if parts.scheme != "wss" and not (parts.scheme == "ws" and allowed):
        raise outbound.DestinationNotAllowed("destination not allowed: Socket Mode uses wss://")
    if not ours and not allowed:
        raise outbound.DestinationNotAllowed(
            "destination not allowed: the Socket Mode URL is not Slack's"
        )
    outbound.checked_addresses(host, parts.port or (443 if parts.scheme == "wss" else 80))


class GatedSocketModeClient(SocketModeClient):
    """slack_sdk's built-in client; the WebSocket URL Slack hands out is checked first."""

    def issue_new_wss_url(self) -> str:
        url = super().issue_new_wss_url()
        check_socket_url(url)
        return url


def client(app_token: str, **options) -> GatedSocketModeClient:
    """A connected-on-demand client whose envelopes go to `on_request`."""
    web.check_api_url(settings.SLACK_API_URL)
    api = WebClient(base_url=settings.SLACK_API_URL, timeout=web.TIMEOUT, retry_handlers=[])
    socket = GatedSocketModeClient(app_token=app_token, web_client=api, **options)
    socket.socket_mode_request_listeners.append(on_request)
    return socket
