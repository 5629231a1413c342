"""Sends the outbox: takes due deliveries page by page and sends them side by side outside any
transaction, recording every attempt and retrying transient failures with backoff until they are
a day old. A run goes on while deliveries are due, until its time is used or the cluster stops.

Each destination (a channel; the mail server for e-mail) has at most
SLA_DELIVERY_PER_DESTINATION sends in flight, so one slow endpoint never holds up the others.
Claims and outcomes are compare-and-set (threads.alerting.claims), so any number of workers send
each delivery once.
"""

import logging
import random
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from policies.models import AlertChannel
from slaops.ids import parse_id
from slaops.metrics.instruments import delivery_finished
from slaops.stopping import stopping
from threads.alerting.alert import Alert, alert_for, sample_alert
from threads.alerting.attempt import Outcome, attempt, attempt_in_worker
from threads.alerting.claims import claim, due, reclaim_expired
from threads.alerting.transports import transport_for
from threads.alerting.transports.base import Transport
from threads.models import ClockState, Delivery, DeliveryAttempt, EventKind

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
PAGE = 200  # deliveries read (and their alerts prepared) at a time
QUEUED_PER_DESTINATION = 50  # read ahead for one destination; the rest waits in the database


def send_budget() -> timedelta:
    """Sends start only this long into a run (SLA_DELIVERY_RUN_SECONDS, well inside the task
    timeout: the last sends started still finish and are recorded)."""
    return timedelta(seconds=settings.SLA_DELIVERY_RUN_SECONDS)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    dropped: int = 0  # never sent on purpose (unsendable)
    # Not ours to finish: another worker claimed it first, or took it over after our claim ran
    # out.
    skipped: int = 0
    # The run ended (time used, cluster stopping) with deliveries still due.
    more: bool = False

    def count(self, status: str | None) -> None:
        name = {
            Delivery.Status.SENT: "sent",
            Delivery.Status.RETRYING: "retrying",
            Delivery.Status.DEAD: "dead",
            Delivery.Status.DROPPED: "dropped",
        }.get(status, "skipped")
        setattr(self, name, getattr(self, name) + 1)

    def add(self, other: "DeliveryReport") -> None:
        for name in ("sent", "retrying", "dead", "dropped", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.more = other.more


@dataclass
class Item:
    """A delivery read and prepared: what to send, or why it cannot be."""

    delivery: Delivery
    transport: Transport | None = None
    alert: Alert | None = None
    problem: Outcome | None = None
    first_try: datetime | None = None


def destination(delivery: Delivery) -> str:
    """What a slow answer holds up: the channel, or for e-mail the one mail server."""
    return "email" if delivery.kind == Delivery.Kind.EMAIL else f"channel:{delivery.channel_id}"


def deliver_due(*, now: datetime | None = None, budget: timedelta | None = None) -> DeliveryReport:
    """Send the deliveries whose time has come, until none is due or `budget` is used (then
    `more` says whether some are still due). Call outside a transaction."""
    report = DeliveryReport()
    clock = (lambda: now) if now else timezone.now
    stop_starting = time.monotonic() + (send_budget() if budget is None else budget).total_seconds()
    reclaim_expired(now=clock())
    queues: dict[str, deque[Item]] = {}
    in_flight: Counter[str] = Counter()
    futures: dict = {}
    threads, per_destination = settings.SLA_DELIVERY_THREADS, settings.SLA_DELIVERY_PER_DESTINATION
    exhausted = False

    def room(key: str) -> bool:
        queue = queues[key]
        grouped = queue and queue[0].transport is not None and queue[0].transport.group_limit > 1
        return in_flight[key] < (1 if grouped else per_destination)

    def startable() -> list[str]:
        return [k for k, q in queues.items() if q and room(k)]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            may_start = time.monotonic() < stop_starting and not stopping()
            if may_start and not startable() and not exhausted:
                exhausted = _read_page(queues, clock()) == 0
            # Round robin over the destinations with room, one send each per turn.
            while may_start and len(futures) < threads and (keys := startable()):
                for key in keys:
                    if len(futures) >= threads or not queues[key] or not room(key):
                        continue
                    claimed = []
                    for item in _next_send(queues[key]):
                        until = claim(item.delivery, now=clock())
                        if until is None:
                            report.skipped += 1
                        elif item.problem is not None:
                            report.count(
                                _record(item.delivery, until, item.problem, now, attempted=False)
                            )
                        else:
                            claimed.append((item, until))
                    if claimed:
                        first = claimed[0][0]
                        group = [item.alert for item, _ in claimed] if len(claimed) > 1 else None
                        args = (first.transport, first.delivery, first.alert, group)
                        futures[pool.submit(attempt_in_worker, *args)] = (key, claimed)
                        in_flight[key] += 1
            if not futures:
                if not may_start or (exhausted and not startable()):
                    break
                continue
            done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
            for future in done:
                key, claimed = futures.pop(future)
                in_flight[key] -= 1
                outcome = future.result()
                # A grouped message's outcome is each of its alerts' own: sent once, or retried
                # together (and grouped again).
                for item, until in claimed:
                    status = _record(item.delivery, until, outcome, now, first_try=item.first_try)
                    report.count(status)
                if outcome.ok and outcome.remember and len(claimed) == 1:
                    claimed[0][0].transport.remember(claimed[0][0].delivery, outcome.remember)
            exhausted = False  # a destination may have room again: read once more
    report.more = any(queues.values()) or (not exhausted and due(clock()).exists())
    return report


def _next_send(queue: deque[Item]) -> list[Item]:
    """What the next send to a destination carries: one delivery, or for a transport that groups
    (Slack) every sendable one waiting, up to its group_limit. Problems go one by one."""
    first = queue.popleft()
    taken = [first]
    limit = first.transport.group_limit if first.problem is None and first.transport else 1
    while len(taken) < limit and queue and queue[0].problem is None:
        taken.append(queue.popleft())
    return taken


def _read_page(queues: dict[str, deque[Item]], now: datetime) -> int:
    """Read the next due deliveries into the destinations' queues (leaving out destinations
    that already have enough waiting); how many were added."""
    queued = [item.delivery.pk for queue in queues.values() for item in queue]
    rows = due(now).exclude(pk__in=queued)
    full = [key for key, queue in queues.items() if len(queue) >= QUEUED_PER_DESTINATION]
    if "email" in full:
        rows = rows.exclude(kind=Delivery.Kind.EMAIL)
    full_channels = [pk for key in full if (pk := parse_id(key[8:]))]  # "channel:<id>"
    if full_channels:
        rows = rows.exclude(channel_id__in=full_channels)
    page = list(
        rows.select_related(
            "channel",
            "user__agent_profile",
            "event__thread__account",
            "event__clock__policy",
            "event__clock__team",
            "event__clock__calendar",
            "objective_event__objective",
        ).order_by("next_attempt_at", "id")[:PAGE]
    )
    first_tries = dict(
        DeliveryAttempt.objects.filter(delivery_id__in=[d.pk for d in page])
        .values("delivery_id")
        .annotate(first=Min("at"))
        .values_list("delivery_id", "first")
    )
    for delivery in page:
        item = _prepare(delivery, now)
        item.first_try = first_tries.get(delivery.pk)
        queues.setdefault(destination(delivery), deque()).append(item)
    return len(page)


def _prepare(delivery: Delivery, now: datetime) -> Item:
    """Everything the message needs, read here: worker threads only use the network."""
    problem = unsendable(delivery)
    if problem:
        return Item(delivery, problem=Outcome(ok=False, permanent=True, error=problem))
    transport = transport_for(delivery.kind)
    try:
        if delivery.channel_id:
            transport.prepare(delivery.channel)  # cheap once done: each row has its own copy
        return Item(delivery, transport, alert_for(delivery, now=now))
    except Exception as error:  # a bug must not stop the rest of the run
        log.exception("Preparing delivery %s failed", delivery.pk)
        return Item(delivery, problem=Outcome(ok=False, error=f"{type(error).__name__}: {error}"))


def unsendable(delivery: Delivery) -> str:
    """Why a claimed delivery must not be sent at all (empty: send it)."""
    if transport_for(delivery.kind) is None:
        return f"Nothing sends {delivery.get_kind_display()} deliveries."
    channel = delivery.channel
    if channel is None and (delivery.kind != Delivery.Kind.EMAIL or delivery.user_id is None):
        return "The alert channel was deleted."
    if channel is not None and not channel.enabled:
        return f"Channel “{channel.name}” is disabled: {channel.disabled_reason or 'by a manager'}"
    if delivery.event_id is None:
        return ""  # an objective's event: nothing about it goes stale
    clock = delivery.event.clock
    if (
        delivery.event.kind == EventKind.WARNING
        and clock is not None
        and clock.state != ClockState.IMMINENT_BREACH
    ):
        # Held for quiet hours or late, the "due soon" no longer holds: never send it.
        return f"Dropped: no longer true, the clock is {clock.get_state_display().lower()} now."
    return ""


def backoff(attempt: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s doubling, at most an hour, ±20 % jitter so
    deliveries that failed together do not retry together."""
    delay = min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_CAP)
    return min(delay * random.uniform(0.8, 1.2), BACKOFF_CAP)


def _record(
    delivery: Delivery,
    claimed_until: datetime,
    outcome: Outcome,
    now: datetime | None,
    *,
    first_try: datetime | None = None,
    attempted: bool = True,
) -> str | None:
    """Write the outcome if the delivery is still ours; the new status, or None if it was not."""
    at = now or timezone.now()
    next_attempt_at = None
    if outcome.ok:
        status = Delivery.Status.SENT
    elif not attempted and outcome.permanent:
        status = Delivery.Status.DROPPED  # unsendable: not sent on purpose
    elif outcome.permanent:
        status = Delivery.Status.DEAD
    else:
        # Counted from the first attempt, so an alert held over a long weekend still gets a day.
        give_up_at = max(delivery.created_at, first_try or at) + GIVE_UP_AFTER
        if at >= give_up_at:
            status = Delivery.Status.DEAD
        else:
            status = Delivery.Status.RETRYING
            wait = (
                timedelta(seconds=outcome.retry_after)
                if outcome.retry_after is not None
                else backoff(delivery.attempts + 1)
            )
            next_attempt_at = at + wait
    changes = {
        "status": status,
        "claimed_until": None,
        "last_error": outcome.error,
        "response_code": outcome.response_code,
    }
    if attempted:
        changes["attempts"] = F("attempts") + 1
    if outcome.ok:
        changes["sent_at"] = at
    if next_attempt_at is not None:
        changes["next_attempt_at"] = next_attempt_at
    with transaction.atomic():
        changed = Delivery.objects.filter(
            pk=delivery.pk, status=Delivery.Status.SENDING, claimed_until=claimed_until
        ).update(**changes)
        if attempted:
            # The log keeps what happened even if another worker took the delivery over.
            DeliveryAttempt.objects.create(
                delivery=delivery,
                at=at,
                ok=outcome.ok,
                permanent=outcome.permanent,
                response_code=outcome.response_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                next_attempt_at=next_attempt_at,
                may_be_repeat=delivery.interrupted,
            )
        if outcome.disable_channel and delivery.channel_id:
            channel_disable(delivery.channel, reason=outcome.error, at=at)
    if changed != 1:
        return None
    delivery_finished(delivery.kind, status, attempted=attempted)
    return status


def channel_disable(channel: AlertChannel, *, reason: str, at: datetime | None = None) -> bool:
    """Stop alerting a channel that is gone; the admin shows why and can enable it again."""
    changed = AlertChannel.objects.filter(pk=channel.pk, enabled=True).update(
        enabled=False, disabled_reason=reason[:300], disabled_at=at or timezone.now()
    )
    return changed == 1


def channel_enable(channel: AlertChannel) -> None:
    AlertChannel.objects.filter(pk=channel.pk).update(
        enabled=True, disabled_reason="", disabled_at=None
    )


@dataclass
class TestResult:
    recipient: str
    ok: bool
    message: str
    # The same error on a real alert would disable the channel (a test never does: it is
    # how a manager checks a fix, and a refused test must not stop the real alerts).
    would_disable: bool = False


def send_test_alert(*, channel: AlertChannel) -> list[TestResult]:
    """Send a sample alert to a channel now (even a disabled one, to check a fix)."""
    transport = transport_for(channel.kind)
    transport.prepare(channel)
    results = []
    for recipient in transport.recipients(channel):
        delivery = Delivery(kind=channel.kind, channel=channel, recipient=recipient)
        outcome = attempt(transport, delivery, sample_alert())
        code = f" ({outcome.response_code})" if outcome.response_code else ""
        message = f"accepted{code}" if outcome.ok else outcome.error
        results.append(TestResult(recipient, outcome.ok, message, outcome.disable_channel))
    return results


def deliveries_retry_now(*, ids, now: datetime | None = None) -> int:
    """A manager's "Retry now": dead and retrying deliveries go back to the front of the queue."""
    return Delivery.objects.filter(
        pk__in=list(ids), status__in=[Delivery.Status.DEAD, Delivery.Status.RETRYING]
    ).update(
        status=Delivery.Status.PENDING, next_attempt_at=now or timezone.now(), claimed_until=None
    )
