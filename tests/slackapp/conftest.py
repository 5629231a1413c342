"""A connected Slack workspace against the fake Slack Web API, and Slack's side of the Events
API: payloads signed with the signing secret exactly as Slack signs them."""

import hashlib
import hmac
import itertools
import json
import time

import pytest
from django_q.conf import Conf

from accounts.models import Account
from slackapp.models import SlackApp, SlackChannel, SlackUser
from tests.factories import policy
from tests.slackapp.fake_slack import fake_slack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0ACME"
CHANNEL = "C0CUSTOMER"
EVENTS_URL = "/integrations/slack/events/"
_ids = itertools.count(1)


@pytest.fixture
def slack(settings):
    with fake_slack() as fake:
        settings.SLACK_API_URL = fake.url
        yield fake


@pytest.fixture
def tasks_inline(monkeypatch):
    """django-q2 tasks run at once, in this process (as a cluster would, moments later)."""
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def workspace(db, slack, agent, tasks_inline):
    policy(
        "Slack customers",
        targets=(("first_response", "", 60), ("next_response", "", 30)),
    )
    app = SlackApp.objects.create(
        team_id=TEAM, bot_token="xoxb-test-token", signing_secret=SECRET, bot_user_id="UBOT"
    )
    account = Account.objects.create(name="Acme")
    SlackChannel.objects.create(app=app, channel_id=CHANNEL, name="acme-support", account=account)
    SlackUser.objects.create(app=app, slack_user_id="UAGENT", agent=agent, name="Alex")
    slack.users["UCUST"] = {"name": "Carla Customer", "email": "carla@acme.example"}
    return app


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def callback(event: dict, *, event_id: str | None = None, team: str = TEAM) -> dict:
    return {
        "token": "unused-verification-token",
        "team_id": team,
        "api_app_id": "A0SLAOPS",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
    }


def message(ts: float, text: str, *, user: str = "UCUST", thread_ts: float | None = None, **more):
    event = {
        "type": "message",
        "channel": CHANNEL,
        "user": user,
        "text": text,
        "ts": f"{ts:.6f}",
        "event_ts": f"{ts:.6f}",
        "channel_type": "channel",
        **more,
    }
    if thread_ts is not None:
        event["thread_ts"] = f"{thread_ts:.6f}"
    return event


@pytest.fixture
def post_event(client, django_capture_on_commit_callbacks):
    """POST a payload to the events URL, signed now (or as told), tasks run on commit."""

    def post(payload, *, timestamp=None, secret=SECRET, signature=None, retry=None):
        body = json.dumps(payload).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature or sign(body, timestamp, secret),
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                EVENTS_URL, data=body, content_type="application/json", headers=headers
            )

    return post


@pytest.fixture(autouse=True)
def people_looked_up_afresh():
    """users.info failures are remembered per process for a while (slackapp/people.py); a test
    must not inherit an earlier test's, whose workspace had the same primary key."""
    from slackapp import people

    people._failed.clear()
    yield
    people._failed.clear()


INTERACTIVITY_URL = "/integrations/slack/interactivity/"
COMMANDS_URL = "/integrations/slack/commands/"


@pytest.fixture
def post_form(client, django_capture_on_commit_callbacks):
    """POST form fields to a Slack URL as Slack does (urlencoded, signed now or as told)."""
    from urllib.parse import urlencode

    def post(url, fields: dict, *, timestamp=None, secret=SECRET, signature=None, raw=None):
        body = raw if raw is not None else urlencode(fields).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature or sign(body, timestamp, secret),
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                url, data=body, content_type="application/x-www-form-urlencoded", headers=headers
            )

    return post
