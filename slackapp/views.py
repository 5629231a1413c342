"""/integrations/slack/events/: Slack's Events API request URL.

Public, but only a request signed with a Slack app's signing secret (HMAC-SHA256 over
v0:timestamp:body, as Slack documents it, timestamp within 5 minutes) is read.
Its headers are checked before use (the timestamp ASCII digits, the signature v0= and 64 hex
digits) and the signature is checked on the raw bytes, before the body is decoded (as UTF-8,
errors refused): malformed input is a JSON 4xx naming what is wrong, never a 500.

What Slack is told (it retries anything but a 2xx, and disables an app's events when 5 % of
deliveries fail within an hour):
- 200 for every signed event we keep or do not want: another workspace's (ours is named by
  `authorizations[].team_id` or `context_team_id`, since in a Slack Connect channel the outer
  `team_id` is the channel's host, possibly the customer), a retry, a kind we do not map.
- 401 with `X-Slack-No-Retry: 1` for a missing, malformed, stale or wrong signature: retrying
  cannot fix it. A signed request we cannot read (not UTF-8, not JSON, no event_id) is a 400
  with the same header.
- 503 without it when our database cannot be reached: Slack's retries (for about 5 minutes)
  bring the event again, and the catch-up (slackapp/catchup.py) reads whatever is older.
The answer comes within Slack's 3 seconds because the view only stores the event (unique by
event_id, so Slack's retries and duplicates are no-ops) and queues its mapping as a django-q2
task: mapping may ask Slack who a user is (users.info), which can be slow.
"""

import hashlib
import hmac
import json
import logging
import re
import time
from functools import wraps

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from slackapp import handlers
from slackapp.models import SlackApp, SlackCredentials

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_AGE = 5 * 60  # seconds a signed request stays valid (replays after that are refused)
# Unix seconds in ASCII digits: "²".isdigit() is true and int("²") fails, and a 5,000-digit
# number is more than int() will read.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")  # hmac.compare_digest refuses non-ASCII text


def _refused(why: str, status: int = 401) -> JsonResponse:
    """A refusal Slack must not retry: the same request would be refused again."""
    answer = JsonResponse({"error": why}, status=status)
    answer["X-Slack-No-Retry"] = "1"
    return answer


def _signed_by(body: bytes, timestamp: str, signature: str) -> SlackApp | None:
    """The enabled installation whose signing secret (its own, or the app's) signed these
    bytes, if the timestamp is recent; an unsaved SlackApp when the app's secret signed them and
    no installation is enabled yet (Slack checks the request URL before any install). Which
    installation an event of the app's is for: installs.addressed, once the body is read.
    The bytes as received: slack_sdk's verifier decodes them first, which fails on non-UTF-8."""
    if abs(time.time() - int(timestamp)) > MAX_AGE:
        return None
    signed = b"v0:" + timestamp.encode("ascii") + b":" + body
    shared = SlackCredentials.load().signing_secret

    def matches(secret: str) -> bool:
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", signature)

    for app in SlackApp.objects.filter(enabled=True).order_by("pk"):
        if (app.signing_secret or shared) and matches(app.signing_secret or shared):
            return app
    return SlackApp() if shared and matches(shared) else None


def verified(request) -> tuple[SlackApp | None, JsonResponse | None]:
    """(the app whose signing secret signed this request, None) or (None, the refusal): the
    size, the headers and the signature on the raw bytes, for every Slack URL (events,
    interactivity, slash commands)."""
    if len(request.body) > MAX_BODY:
        return None, _refused("request too large", 413)
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not TIMESTAMP.fullmatch(timestamp):
        return None, _refused("X-Slack-Request-Timestamp: missing or not Unix seconds")
    if not SIGNATURE.fullmatch(signature):
        return None, _refused("X-Slack-Signature: missing or not v0= and 64 hex digits")
    app = _signed_by(request.body, timestamp, signature)
    if app is None:
        return None, _refused(
            "invalid or stale signature (X-Slack-Signature, X-Slack-Request-Timestamp)"
        )
    return app, None


def text_of(request) -> str | JsonResponse:
    """The signed body as text, or the refusal of one that is not UTF-8."""
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _refused("body: not UTF-8", 400)


def answered(answer: handlers.Answer) -> HttpResponse:
    """A shared handler's answer as an HTTP response (Socket Mode acks it instead)."""
    if answer.error:
        return _refused(answer.error, answer.status)
    if answer.body is None:
        return HttpResponse(status=answer.status)
    return JsonResponse(answer.body, status=answer.status)


def signed_view(view):
    """A Slack URL: signed requests only; our database down is a 503 Slack retries."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapper(request):
        try:
            app, refusal = verified(request)
            return refusal or view(request, app)
        except DatabaseError as error:
            # No X-Slack-No-Retry: Slack retries, by when the database may be back.
            log.warning("Slack request not handled, the database is unavailable: %s", error)
            return JsonResponse({"error": "database unavailable, please retry"}, status=503)

    return wrapper


@signed_view
def events(request, app: SlackApp):
    body = text_of(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return _refused("body: not JSON", 400)
    if not isinstance(payload, dict):
        return _refused("body: not a JSON object", 400)
    if payload.get("type") == "url_verification":
        return JsonResponse({"challenge": str(payload.get("challenge", ""))})
    repeat = "X-Slack-Retry-Num" in request.headers
    return answered(handlers.events_api(app, payload, repeat=repeat))


@signed_view
def interactivity(request, app: SlackApp):
    """A click on a triage message: `payload`, a JSON object in a form field."""
    body = text_of(request)
    if isinstance(body, JsonResponse):
        return body
    raw = QueryDict(body).get("payload")
    if raw is None:
        return _refused("payload: missing", 400)
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        return _refused("payload: not JSON", 400)
    if not isinstance(payload, dict):
        return _refused("payload: not a JSON object", 400)
    return answered(handlers.interaction(app, payload))


@signed_view
def commands(request, app: SlackApp):
    """A slash command (/sla): its fields, form-encoded."""
    body = text_of(request)
    if isinstance(body, JsonResponse):
        return body
    return answered(handlers.slash_command(app, QueryDict(body).dict()))
