"""Request ids: taken from X-Request-ID only when harmless, returned, logged, carried to tasks."""

import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from slaops import request_ids
from slaops.settings_logging import _FORMATTERS


@pytest.mark.parametrize("given", ["abc", "a" * 64, "req-1.2_X", "0"])
def test_a_well_formed_request_id_is_kept_and_returned(client, given):
    response = client.get("/login/", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given", ["", "a" * 65, "has space", "new\nline", "semi;colon", "ünïcode", "a/b", "x" * 500]
)
def test_any_other_request_id_is_replaced_by_a_fresh_one(client, given):
    response = client.get("/login/", headers={"X-Request-ID": given})
    made = response["X-Request-ID"]
    assert made != given and len(made) == 32 and made.isalnum()


def test_each_request_without_one_gets_its_own(client):
    assert client.get("/login/")["X-Request-ID"] != client.get("/login/")["X-Request-ID"]


@pytest.mark.django_db
def test_api_errors_carry_the_request_id(client, agent):
    client.force_login(agent)
    response = client.get("/api/v1/threads/999999/", headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 404
    assert response.json()["request_id"] == "trace-42" == response["X-Request-ID"]
    # The middleware's own refusals too (an address the API does not know).
    response = client.get("/api/v1/nothing-here/", headers={"X-Request-ID": "trace-43"})
    assert response.json()["request_id"] == "trace-43"


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(request_ids.LogContext())
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.mark.django_db
def test_djangos_own_log_of_a_refused_request_names_the_request(client):
    kept = _Kept()
    logger = logging.getLogger("django.request")
    logger.addHandler(kept)
    try:
        client.get("/api/v1/threads/", headers={"X-Request-ID": "trace-44"})  # 401
    finally:
        logger.removeHandler(kept)
    assert [r.request_id for r in kept.records] == ["trace-44"]
    assert request_ids.current() is None  # forgotten once the request finished


def test_the_thread_id_is_known_from_a_threads_address():
    class Match:
        url_name = "thread"

    class Request:
        resolver_match = Match()

    middleware = request_ids.RequestIds(lambda request: None)
    token = request_ids.thread_id.set(None)
    try:
        middleware.process_view(Request(), None, (), {"pk": "17"})
        assert request_ids.thread_id.get() == 17
        Match.url_name = "notification-read"  # a notification's pk is not a thread
        request_ids.thread_id.set(None)
        middleware.process_view(Request(), None, (), {"pk": "17"})
        assert request_ids.thread_id.get() is None
        middleware.process_view(Request(), None, (), {"thread_id": "²"})
        assert request_ids.thread_id.get() is None
    finally:
        request_ids.thread_id.reset(token)


def test_a_task_queued_by_a_request_logs_under_the_same_id():
    task = {"func": "threads.tasks.deliver"}
    token = request_ids.request_id.set("trace-7")
    request_ids.task_enqueued("django_q", task=task)
    request_ids.request_id.reset(token)
    assert task["request_id"] == "trace-7"
    # In the worker:
    request_ids.task_starting("django_q", task=task)
    assert request_ids.current() == "trace-7"
    request_ids.task_finished("django_q", task=task)
    assert request_ids.current() is None


def test_a_forged_id_in_a_task_package_is_not_believed():
    request_ids.task_starting("django_q", task={"request_id": "evil\nline"})
    assert request_ids.current() is None
    request_ids.task_finished("django_q", task={})


def _json_line(record: logging.LogRecord) -> dict:
    options = {k: v for k, v in _FORMATTERS["json"].items() if k != "()"}
    request_ids.LogContext().filter(record)
    return json.loads(JsonFormatter(**options).format(record))


def test_json_logs_name_the_request_and_the_thread():
    record = logging.LogRecord("threads.evaluator", logging.ERROR, __file__, 1, "failed", (), None)
    token = request_ids.request_id.set("trace-9")
    try:
        with request_ids.about_thread(12):
            line = _json_line(record)
    finally:
        request_ids.request_id.reset(token)
    assert line["message"] == "failed" and line["level"] == "ERROR"
    assert line["logger"] == "threads.evaluator" and line["time"].endswith("+00:00")
    assert (line["request_id"], line["thread_id"]) == ("trace-9", 12)


def test_json_logs_leave_out_djangos_request_object():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found", (), None
    )
    record.request = "<WSGIRequest: GET '/x?token=s3cret'>"
    record.status_code = 404
    line = _json_line(record)
    assert "request" not in line and "s3cret" not in json.dumps(line)
    assert line["status_code"] == 404


def test_json_logs_outside_a_request_say_so():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "tick %s", ("1",), None)
    line = _json_line(record)
    assert line["message"] == "tick 1"
    assert line["request_id"] is None and line["thread_id"] is None
