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

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from slackapp.connect import delivered_to
from slackapp.installs import addressed
from slackapp.models import SlackApp, SlackCredentials, SlackEvent

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


def _stored(app: SlackApp, payload: dict, repeat: bool) -> SlackEvent | None:
    """The new event row, or None for one already received (a retry or a duplicate)."""
    event = payload["event"]
    item, message = event.get("item"), event.get("message")
    item = item if isinstance(item, dict) else {}
    message = message if isinstance(message, dict) else {}
    try:
        with transaction.atomic():
            return SlackEvent.objects.create(
                app=app,
                event_id=payload["event_id"],
                kind=str(event.get("type", ""))[:40],
                channel_id=str(event.get("channel") or item.get("channel") or "")[:20],
                ts=str(event.get("ts") or item.get("ts") or "")[:20],
                thread_ts=str(event.get("thread_ts") or message.get("thread_ts") or "")[:20],
                payload=payload,
            )
    except IntegrityError:
        if repeat:
            SlackEvent.objects.filter(event_id=payload["event_id"]).update(repeats=F("repeats") + 1)
        return None


@csrf_exempt
@require_POST
def events(request):
    if len(request.body) > MAX_BODY:
        return _refused("request too large", 413)
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not TIMESTAMP.fullmatch(timestamp):
        return _refused("X-Slack-Request-Timestamp: missing or not Unix seconds")
    if not SIGNATURE.fullmatch(signature):
        return _refused("X-Slack-Signature: missing or not v0= and 64 hex digits")
    try:
        return _signed_request(request, timestamp, signature)
    except DatabaseError as error:
        # No X-Slack-No-Retry: Slack retries, by when the database may be back.
        log.warning("Slack event not stored, the database is unavailable: %s", error)
        return JsonResponse({"error": "database unavailable, please retry"}, status=503)


def _signed_request(request, timestamp: str, signature: str):
    app = _signed_by(request.body, timestamp, signature)
    if app is None:
        return _refused("invalid or stale signature (X-Slack-Signature, X-Slack-Request-Timestamp)")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _refused("body: not UTF-8", 400)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return _refused("body: not JSON", 400)
    if not isinstance(payload, dict):
        return _refused("body: not a JSON object", 400)
    kind = payload.get("type")
    if kind == "url_verification":
        return JsonResponse({"challenge": str(payload.get("challenge", ""))})
    if kind != "event_callback":
        return HttpResponse(status=200)  # app_rate_limited and the like: nothing to record
    event_id = payload.get("event_id")
    if not isinstance(event_id, str) or not event_id or not isinstance(payload.get("event"), dict):
        return _refused("event_id and event are required", 400)
    app = addressed(app, payload)
    if not delivered_to(app, payload):
        return HttpResponse(status=200)  # another workspace's event: not ours to keep
    stored = _stored(app, payload, repeat="X-Slack-Retry-Num" in request.headers)
    if stored is not None:
        transaction.on_commit(lambda: _enqueue(stored.pk))
    return HttpResponse(status=200)


def _enqueue(pk: int) -> None:
    from django_q.tasks import async_task

    async_task("slackapp.tasks.handle_event", pk, task_name=f"slack-event-{pk}", group="slack")
