"""Entry points for django-q2 (see slaops/schedules.py for when each runs)."""

import contextlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)


def evaluate() -> str:
    """Run the evaluator now and then every SLA_TICK_SECONDS until the next scheduled run is near,
    so an alert leaves within seconds of its due time, not up to a minute later. Each completed
    tick beats the "evaluator" heartbeat that /status reads and pings HEARTBEAT_URL, if set, at
    most once a minute (slaops/health/ping.py)."""
    from slaops.health.heartbeats import EVALUATOR, beat
    from slaops.health.ping import after_tick
    from slaops.metrics.instruments import EVALUATOR_TICK
    from slaops.stopping import pause, stopping
    from threads.alerting.claims import deliveries_waiting
    from threads.evaluator import evaluate as tick

    every = settings.SLA_TICK_SECONDS
    window = max(0, settings.SLA_EVALUATE_EVERY * 60 - every - 5) if every else 0

    started = time.monotonic()
    totals = []
    while not stopping():
        try:
            with EVALUATOR_TICK.time():
                report = tick()
        except Exception:
            after_tick(ok=False)  # the dead man's switch: `/fail` if no cluster ticked lately
            raise
        beat(EVALUATOR)
        after_tick(ok=True)
        totals.append(report.events)
        # Delivery runs as its own task, so this one keeps its ticks; the check also picks up
        # retries that came due and claims a dead worker left, every tick rather than every
        # scheduled minute.
        if report.events or deliveries_waiting(now=timezone.now()):
            deliver_soon()
        if not every or time.monotonic() - started + every > window or not pause(every):
            break
    return f"{len(totals)} ticks, {sum(totals)} events"


def deliver() -> str:
    """Send while deliveries are due, then wait out other workers' claims (a dead worker's are
    taken over when they end) within the run's time; if any are still due when that time is
    used, the next run is queued at once. Nothing new starts once the cluster is stopping."""
    from slaops.stopping import pause, stopping
    from threads.alerting.claims import next_claim_end
    from threads.alerting.delivery import DeliveryReport, deliver_due

    budget = settings.SLA_DELIVERY_RUN_SECONDS
    started = time.monotonic()
    total = DeliveryReport()
    claims_elsewhere = False
    while not stopping():
        left = budget - (time.monotonic() - started)
        if left <= 0:
            break
        total.add(deliver_due(budget=timedelta(seconds=left)))
        if total.more:
            break
        end = next_claim_end()
        claims_elsewhere = end is not None
        if not claims_elsewhere:
            break
        # Claims in flight elsewhere: look again shortly (they are recorded, or they expire).
        wait = min(2.0, max(0.2, (end - timezone.now()).total_seconds() + 0.1))
        if wait >= budget - (time.monotonic() - started) or not pause(wait):
            break
    # Hand over rather than leave due rows, or a dead worker's claims, to the next minute. The
    # chain ends once nothing is due and nobody is sending.
    if (total.more or claims_elsewhere) and not stopping():
        deliver_soon()
    return str(total)


def deliver_soon() -> None:
    """Queue a delivery run now (the schedule runs one every minute anyway)."""
    from django_q.tasks import async_task

    # A broker hiccup must not fail the caller: the scheduled run delivers anyway.
    with contextlib.suppress(Exception):
        async_task("threads.tasks.deliver", task_name="sla-deliver-now", group="sla-deliver")


def housekeeping() -> str:
    """Keep the delivery log and read notifications for 90 days."""
    from threads.models import DeliveryAttempt, Notification

    cutoff = timezone.now() - timedelta(days=settings.SLA_KEEP_LOG_DAYS)
    attempts, _ = DeliveryAttempt.objects.filter(at__lt=cutoff).delete()
    notes, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
    return f"removed {attempts} delivery attempts and {notes} read notifications"
