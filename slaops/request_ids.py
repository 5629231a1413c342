"""Request ids: every request gets one, and every log record written while it is served (and
while the tasks it queued run) carries it, with the thread id where one is known.

An `X-Request-ID` from the client (or the proxy in front) is kept only if it is 1-64 characters
of [A-Za-z0-9._-]: anything else could forge log lines or carry data, and is replaced by a fresh
id. The id goes back as the `X-Request-ID` header and as `request_id` in the API's errors
(slaops/api_errors.py). Tasks queued through django-q2 carry it in their task package.
"""

import contextlib
import contextvars
import logging
import re
import uuid

from slaops.ids import parse_id

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
thread_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("thread_id", default=None)


def accepted(value: str | None) -> str | None:
    """The client's id if it keeps to the rule, else None."""
    return value if value and _VALID.fullmatch(value) else None


def current() -> str | None:
    return request_id.get()


@contextlib.contextmanager
def about_thread(pk: int):
    """Log records written inside name this thread."""
    token = thread_id.set(pk)
    try:
        yield
    finally:
        thread_id.reset(token)


class RequestIds:
    """Middleware (second, after the probes): the request's id for its logs and its answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = accepted(request.META.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        request.request_id = rid
        # Kept until the request is finished (`forget`), not reset on the way out: Django logs
        # a 4xx or 5xx after every middleware has returned, and that record needs the id too.
        request_id.set(rid)
        thread_id.set(None)
        response = self.get_response(request)
        response[HEADER] = rid
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A thread's pages and API name it in their address: `thread_id`, or `pk` of a view
        named "thread…" (a clock's views name their thread `thread_id`)."""
        match = request.resolver_match
        url_name = (match.url_name or "") if match else ""
        raw = view_kwargs.get("thread_id")
        if raw is None and url_name.startswith("thread"):
            raw = view_kwargs.get("pk")
        pk = parse_id(str(raw)) if raw is not None else None
        if pk is not None:
            thread_id.set(pk)


def forget(**kwargs) -> None:
    """request_finished: the worker's next log lines belong to no request."""
    request_id.set(None)
    thread_id.set(None)


class LogContext(logging.Filter):
    """Adds `request_id` and `thread_id` to every record (None outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.thread_id = thread_id.get()
        return True


# ------------------------------------------------------------- django-q2 tasks (connected in apps)

_in_task: list[contextvars.Token] = []


def task_enqueued(sender, task, **kwargs) -> None:
    rid = request_id.get()
    if rid:
        task["request_id"] = rid


def task_starting(sender, task, **kwargs) -> None:
    _in_task.append(request_id.set(accepted(task.get("request_id"))))


def task_finished(sender, task, **kwargs) -> None:
    if _in_task:
        request_id.reset(_in_task.pop())
