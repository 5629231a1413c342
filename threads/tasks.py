"""Entry points for django-q2 (see slaops/schedules.py for when each runs)."""

import contextlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)


def evaluate(chain_at=None) -> str:
    """Tick the evaluator every SLA_TICK_SECONDS (5) for most of the task's time, then queue the
    next run at once (threads/evaluator_chain.py), so a warning or breach leaves within seconds
    of its instant. The scheduled run every minute is the backstop: it ticks only when the chain
    has gone quiet. SLA_TICK_SECONDS=0: one tick per scheduled run, no chain.

    Each completed tick beats the "evaluator" heartbeat that /status reads and pings
    HEARTBEAT_URL, if set, at most once a minute (slaops/health/ping.py)."""
    from slaops.health.heartbeats import EVALUATOR, beat
    from slaops.health.ping import after_tick
    from slaops.metrics.instruments import EVALUATOR_TICK
    from slaops.stopping import pause, stopping
    from threads import evaluator_chain as chain
    from threads.alerting.claims import deliveries_waiting
    from threads.evaluator import evaluate as tick

    every = settings.SLA_TICK_SECONDS
    held = None
    if every:
        held = chain.take(timezone.now(), handed=chain_at)
        if held is None:
            return "the evaluator chain ticks in another run"
    run_for = max(every, settings.Q_CLUSTER["timeout"] - 2 * every - 10)
    started = time.monotonic()
    totals = []
    while not stopping():
        try:
            with EVALUATOR_TICK.time():
                report = tick()
        except Exception:
            after_tick(ok=False)  # the dead man's switch: `/fail` if no cluster ticked lately
            raise  # the chain ends here; the schedule takes over once it is quiet
        beat(EVALUATOR)
        after_tick(ok=True)
        totals.append(report.events)
        # Delivery runs as its own task, so this one keeps its ticks; the check also picks up
        # retries that came due and claims a dead worker left, every tick rather than every
        # scheduled minute.
        if report.events or deliveries_waiting(now=timezone.now()):
            deliver_soon()
        if not every:
            break
        held = chain.keep(held, timezone.now())
        if held is None:
            return f"{len(totals)} ticks, {sum(totals)} events; the chain was taken over"
        if time.monotonic() - started + every > run_for or not pause(every):
            break
    if held is not None:
        # Also when this cluster is stopping: a surviving cluster picks the successor up.
        chain.hand_over(held)
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
