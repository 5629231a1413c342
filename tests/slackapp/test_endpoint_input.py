"""Whatever reaches the Slack events URL, the answer is a JSON 4xx naming what is wrong, never a
500: headers are checked before use, the body is decoded with errors refused, and a signed event
whose fields are nonsense is recorded as failed instead of crashing its task."""

import json
import time

import pytest

from slackapp.models import SlackEvent
from tests.slackapp.conftest import EVENTS_URL, callback, message, sign
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def send(client, body: bytes, *, timestamp=None, signature=None, content_type="application/json"):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"X-Slack-Request-Timestamp": timestamp}
    headers["X-Slack-Signature"] = signature if signature is not None else sign(body, timestamp)
    return client.post(EVENTS_URL, data=body, content_type=content_type, headers=headers)


def test_a_signed_body_that_is_not_utf8_is_a_400_naming_the_body(workspace, client):
    answer = send(client, b'{"type": "event_callback", "x": "\xff\xfe"}')
    assert answer.status_code == 400
    assert answer.json() == {"error": "body: not UTF-8"}


def test_an_unsigned_body_that_is_not_utf8_is_a_bad_signature_checked_on_the_raw_bytes(
    workspace, client
):
    answer = send(client, b"\xc3\x28", signature="v0=" + "0" * 64)
    assert answer.status_code == 401 and "signature" in answer.json()["error"]
    assert answer["X-Slack-No-Retry"] == "1"


@pytest.mark.parametrize(
    "timestamp",
    ["²", "١٧٠٠٠٠٠٠٠٠", "9" * 5000, "-1", " 1700000000", "1700000000.5", ""],
    ids=[
        "superscript two",
        "arabic-indic digits",
        "5000 digits",
        "negative",
        "leading space",
        "fraction",
        "empty",
    ],
)
def test_a_timestamp_header_that_is_not_ascii_unix_seconds_is_a_401_naming_it(
    workspace, client, timestamp
):
    body = json.dumps(callback(message(time.time(), "Help"))).encode()
    answer = send(client, body, timestamp=timestamp, signature="v0=" + "0" * 64)
    assert answer.status_code == 401
    assert "X-Slack-Request-Timestamp" in answer.json()["error"]
    assert not SlackEvent.objects.exists()


@pytest.mark.parametrize(
    "signature", ["v0=²" + "0" * 63, "v0=" + "Z" * 64, "sha256=abc", ""], ids=repr
)
def test_a_signature_header_of_the_wrong_shape_is_a_401_naming_it(workspace, client, signature):
    body = json.dumps(callback(message(time.time(), "Help"))).encode()
    answer = send(client, body, signature=signature)
    assert answer.status_code == 401 and "X-Slack-Signature" in answer.json()["error"]


def test_missing_headers_are_a_401(workspace, client):
    answer = client.post(EVENTS_URL, data=b"{}", content_type="application/json")
    assert answer.status_code == 401 and "X-Slack-Request-Timestamp" in answer.json()["error"]


def test_a_form_encoded_interactivity_payload_is_a_400_not_json(workspace, client):
    body = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
    answer = send(client, body, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400 and answer.json() == {"error": "body: not JSON"}


def test_json_nested_too_deep_is_a_400(workspace, client):
    body = b"[" * 200_000 + b"]" * 200_000
    answer = send(client, body)
    assert answer.status_code == 400 and "body" in answer.json()["error"]


@pytest.mark.parametrize(
    "field, value",
    [("ts", "nan"), ("ts", "1e300"), ("ts", "²"), ("text", {"not": "text"}), ("user", ["U1"])],
)
def test_a_signed_event_with_nonsense_fields_is_recorded_as_failed(
    workspace, post_event, field, value
):
    event = message(time.time(), "Help")
    event[field] = value
    answer = post_event(callback(event))
    assert answer.status_code == 200
    assert SlackEvent.objects.get().status == "failed"
    assert not Thread.objects.exists()


def test_a_reaction_whose_item_is_not_an_object_is_stored_and_ignored(workspace, post_event):
    event = {"type": "reaction_added", "user": "UCUST", "reaction": "eyes", "item": "C0CUSTOMER"}
    answer = post_event(callback(event))
    assert answer.status_code == 200
    assert SlackEvent.objects.get().status == "ignored"
