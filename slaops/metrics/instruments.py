"""What a process observes as it works: counters and histograms, named `slaops_*`.

In production these live in PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode:
each gunicorn worker or django-q2 worker writes its own file, the exposition sums them), so the
variable must be set before the process starts. Labels are few and bounded: a transport, an
outcome, a channel, a clock's metric, a URL's name; never a thread, a path or an address.
"""

import collections

from django.db import transaction
from prometheus_client import Counter, Histogram

EVALUATOR_TICK = Histogram(
    "slaops_evaluator_tick_seconds",
    "How long one evaluator tick took (finding and moving the due clocks).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
)
DELIVERIES = Counter(
    "slaops_deliveries",
    "Alert deliveries finished, by transport and outcome (sent, retry, dead: given up after "
    "trying, dropped: never sent, no longer true or no channel).",
    ["transport", "outcome"],
)
INBOUND_MESSAGES = Counter(
    "slaops_inbound_messages",
    "Customer messages stored (a new thread's first message included), by the thread's channel.",
    ["channel"],
)
MAIL_POLL_FAILURES = Counter(
    "slaops_mail_poll_failures",
    "IMAP mailbox polls that failed (the server, the login or the database).",
)
SLACK_EVENTS = Counter(
    "slaops_slack_events",
    "Slack events mapped, by outcome (done, waiting, ignored, failed).",
    ["outcome"],
)
WARNINGS = Counter(
    "slaops_warnings", "Warnings the evaluator raised (a clock due soon), by metric.", ["metric"]
)
BREACHES = Counter(
    "slaops_breaches", "Breaches the evaluator recorded (a clock past due), by metric.", ["metric"]
)
# The event kinds counted, each by its counter.
COUNTERS_OF_EVENTS = {"warning": WARNINGS, "breaching": BREACHES}
REQUEST_SECONDS = Histogram(
    "slaops_http_request_duration_seconds",
    "Time to answer an HTTP request, by the resolved URL name and the method.",
    ["view", "method"],
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_OUTCOMES = {"sent": "sent", "retrying": "retry", "dead": "dead", "dropped": "dropped"}


def delivery_finished(transport: str, status: str, *, attempted: bool) -> None:
    """One delivery's outcome written, named as its status (threads.Delivery.Status): a
    dropped one was never sent on purpose; a dead one never attempted was dropped too."""
    outcome = _OUTCOMES.get(status)
    if outcome == "dead" and not attempted:
        outcome = "dropped"
    if outcome:
        DELIVERIES.labels(transport=transport, outcome=outcome).inc()


def clock_events_recorded(events) -> None:
    """The warnings and breaches among events just committed (SlaEvent rows with their clock),
    counted first: one increment per metric, not per event (a tick may commit a thousand)."""
    counted = collections.Counter(
        (event.kind, _metric_of(event)) for event in events if event.kind in COUNTERS_OF_EVENTS
    )
    for (kind, metric), count in counted.items():
        COUNTERS_OF_EVENTS[kind].labels(metric=metric).inc(count)


def _metric_of(event) -> str:
    clock = event.clock
    return clock.metric if clock is not None else "none"


def request_answered(view: str, method: str, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUEST_SECONDS.labels(view=view, method=method).observe(seconds)


def inbound_message_stored(channel: str) -> None:
    """A customer's message stored: counted once its transaction commits (a rolled-back one,
    such as a repeat that lost a race, is not a message)."""
    transaction.on_commit(lambda: INBOUND_MESSAGES.labels(channel=channel).inc())
