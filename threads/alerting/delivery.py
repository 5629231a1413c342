"""Sends the outbox: claims due deliveries, sends them concurrently outside any transaction and
records every attempt, retrying transient failures with backoff until they are a day old.

Claims and outcomes are compare-and-set, so any number of workers send each delivery once.
"""

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Min
from django.utils import timezone

from policies.models import AlertChannel
from threads.alerting.alert import Alert, alert_for, sample_alert
from threads.alerting.transports import transport_for
from threads.alerting.transports.base import PermanentError, TransientError, Transport
from threads.models import Delivery, DeliveryAttempt

log = logging.getLogger(__name__)


# How long a claim holds: far longer than a run (SEND_BUDGET + one slowest send). A worker that
# dies leaves its rows to be reclaimed after this (SLA_DELIVERY_LEASE_SECONDS).
def lease() -> timedelta:
    return timedelta(seconds=settings.SLA_DELIVERY_LEASE_SECONDS)


SEND_BUDGET = timedelta(seconds=30)  # sends start only this long into a run (task timeout 50 s)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
WORKERS = 8
DUE = [Delivery.Status.PENDING, Delivery.Status.RETRYING]


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    # Not ours to finish: another worker claimed it first or took it over after our lease ran
    # out, or the run's time to start sends was over (it is back in the queue).
    skipped: int = 0

    def count(self, status: str | None) -> None:
        name = {
            Delivery.Status.SENT: "sent",
            Delivery.Status.RETRYING: "retrying",
            Delivery.Status.DEAD: "dead",
        }.get(status, "skipped")
        setattr(self, name, getattr(self, name) + 1)


@dataclass
class Outcome:
    ok: bool
    permanent: bool = False
    response_code: int | None = None
    error: str = ""
    retry_after: int | None = None
    disable_channel: bool = False
    duration_ms: int = 0


def deliver_due(
    *, now: datetime | None = None, limit: int = 100, budget: timedelta = SEND_BUDGET
) -> DeliveryReport:
    """Send the deliveries whose time has come. Call outside a transaction.

    Sends start only within `budget` of the run; claimed deliveries not started by then go
    back to the queue, so a run of slow channels ends well inside the task timeout and the
    claim's lease."""
    report = DeliveryReport()
    run_at = now or timezone.now()
    stop_starting = time.monotonic() + budget.total_seconds()
    reclaim_expired(now=run_at)
    claims, lost = claim_due(now=run_at, limit=limit)
    report.skipped += lost
    if not claims:
        return report
    deliveries = list(
        Delivery.objects.filter(pk__in=claims)
        .select_related(
            "channel",
            "user__agent_profile",
            "event__thread__account",
            "event__clock__policy",
            "event__clock__calendar",
        )
        .order_by("next_attempt_at", "id")
    )
    first_tries = dict(
        DeliveryAttempt.objects.filter(delivery_id__in=claims)
        .values("delivery_id")
        .annotate(first=Min("at"))
        .values_list("delivery_id", "first")
    )
    sending: list[tuple[Delivery, Transport, Alert]] = []
    for delivery in deliveries:
        problem = unsendable(delivery)
        if problem:
            outcome = Outcome(ok=False, permanent=True, error=problem)
            report.count(_record(delivery, claims[delivery.pk], outcome, now, attempted=False))
            continue
        transport = transport_for(delivery.kind)
        try:
            if delivery.channel_id:
                transport.prepare(delivery.channel)
            # Everything the message needs is read here: worker threads only use the network.
            alert = alert_for(delivery, now=run_at)
        except Exception as error:  # a bug must not strand the rest of the batch in "sending"
            log.exception("Preparing delivery %s failed", delivery.pk)
            outcome = Outcome(ok=False, error=f"{type(error).__name__}: {error}")
            report.count(_record(delivery, claims[delivery.pk], outcome, now, attempted=False))
            continue
        sending.append((delivery, transport, alert))
    if not sending:
        return report
    # Each delivery in its own thread: a slow or failing channel does not hold up the others.
    # At most WORKERS sends are ahead of their record, so a worker killed mid-run can leave at
    # most that many sent-but-unrecorded deliveries to be sent again.
    pending = iter(sending)
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(sending))) as pool:
        futures = {}

        def submit_next() -> None:
            item = next(pending, None)
            if item is not None:
                delivery, transport, alert = item
                future = pool.submit(_attempt_in_worker, transport, delivery, alert, stop_starting)
                futures[future] = delivery

        for _ in range(WORKERS):
            submit_next()
        while futures:
            done = next(as_completed(list(futures)))
            delivery = futures.pop(done)
            outcome = done.result()
            if outcome is None:
                report.count(_release(delivery, claims[delivery.pk]))
            else:
                report.count(
                    _record(
                        delivery,
                        claims[delivery.pk],
                        outcome,
                        now,
                        first_try=first_tries.get(delivery.pk),
                    )
                )
            submit_next()
    return report


def reclaim_expired(*, now: datetime) -> int:
    """Deliveries a crashed worker left in "sending" go back to the queue once its lease ends."""
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_until__lt=now).update(
        status=Delivery.Status.RETRYING,
        claimed_until=None,
        last_error="The worker sending this stopped before recording the outcome; sending again.",
    )


def claim_due(*, now: datetime, limit: int) -> tuple[dict[int, datetime], int]:
    """({delivery id: our claim's end}, how many other workers claimed first)."""
    until = now + lease()
    due = Delivery.objects.filter(status__in=DUE, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.SENDING, claimed_until=until
            )
        return dict.fromkeys(ids, until), 0
    claims, lost = {}, 0
    for pk, status in list(due.values_list("pk", "status")[:limit]):
        changed = Delivery.objects.filter(pk=pk, status=status, next_attempt_at__lte=now).update(
            status=Delivery.Status.SENDING, claimed_until=until
        )
        if changed == 1:
            claims[pk] = until
        else:
            lost += 1
    return claims, lost


def unsendable(delivery: Delivery) -> str:
    """Why a claimed delivery must not be sent at all (empty: send it)."""
    if transport_for(delivery.kind) is None:
        return f"Nothing sends {delivery.get_kind_display()} deliveries."
    channel = delivery.channel
    if channel is None and (delivery.kind != Delivery.Kind.EMAIL or delivery.user_id is None):
        return "The alert channel was deleted."
    if channel is not None and not channel.enabled:
        return f"Channel “{channel.name}” is disabled: {channel.disabled_reason or 'by a manager'}"
    return ""


def backoff(attempt: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s doubling, at most an hour, ±20 % jitter so
    deliveries that failed together do not retry together."""
    delay = min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_CAP)
    return min(delay * random.uniform(0.8, 1.2), BACKOFF_CAP)


def _attempt(transport: Transport, delivery: Delivery, alert: Alert) -> Outcome:
    started = time.perf_counter()
    try:
        result = transport.send(delivery, alert)
        outcome = Outcome(ok=True, response_code=result.response_code)
    except PermanentError as error:
        outcome = Outcome(
            ok=False,
            permanent=True,
            response_code=error.response_code,
            error=error.message,
            disable_channel=error.disable_channel,
        )
    except TransientError as error:
        outcome = Outcome(
            ok=False,
            response_code=error.response_code,
            error=error.message,
            retry_after=error.retry_after,
        )
    except Exception as error:  # a bug in a transport: keep the delivery, retry after a fix
        log.exception("Sending delivery %s failed unexpectedly", delivery.pk)
        outcome = Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    outcome.error = error_text(outcome.error)
    return outcome


def error_text(message: str) -> str:
    """What the log keeps of a failure: one line, short. Transports put only a status and
    reason in it (never an answer's body); this keeps a stray long message from filling the log."""
    text = " ".join(message.split())
    return text if len(text) <= 300 else text[:299] + "…"


def _attempt_in_worker(
    transport: Transport, delivery: Delivery, alert: Alert, stop_starting: float
) -> Outcome | None:
    """The attempt, or None when the run's time to start sends is over."""
    if time.monotonic() >= stop_starting:
        return None
    try:
        return _attempt(transport, delivery, alert)
    finally:
        connections.close_all()  # only this worker thread's connections, if it opened any


def _release(delivery: Delivery, claimed_until: datetime) -> None:
    """Give an unstarted delivery back to the queue at once instead of when the lease ends."""
    Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.SENDING, claimed_until=claimed_until
    ).update(
        status=Delivery.Status.RETRYING if delivery.attempts else Delivery.Status.PENDING,
        claimed_until=None,
    )


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
            )
        if outcome.disable_channel and delivery.channel_id:
            channel_disable(delivery.channel, reason=outcome.error, at=at)
    return status if changed == 1 else None


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


def send_test_alert(*, channel: AlertChannel) -> list[TestResult]:
    """Send a sample alert to a channel now (even a disabled one, to check a fix)."""
    transport = transport_for(channel.kind)
    transport.prepare(channel)
    results = []
    for recipient in transport.recipients(channel):
        delivery = Delivery(kind=channel.kind, channel=channel, recipient=recipient)
        outcome = _attempt(transport, delivery, sample_alert())
        if outcome.disable_channel:
            channel_disable(channel, reason=outcome.error)
        code = f" ({outcome.response_code})" if outcome.response_code else ""
        message = f"accepted{code}" if outcome.ok else outcome.error
        results.append(TestResult(recipient, outcome.ok, message))
    return results


def deliveries_retry_now(*, ids, now: datetime | None = None) -> int:
    """A manager's "Retry now": dead and retrying deliveries go back to the front of the queue."""
    return Delivery.objects.filter(
        pk__in=list(ids), status__in=[Delivery.Status.DEAD, Delivery.Status.RETRYING]
    ).update(
        status=Delivery.Status.PENDING, next_attempt_at=now or timezone.now(), claimed_until=None
    )
