"""Entry points for django-q2 (see slaops/schedules.py for when each runs)."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)


def evaluate() -> str:
    """Run the evaluator now and then every SLA_TICK_SECONDS until the next scheduled run is near,
    so an alert leaves within seconds of its due time, not up to a minute later."""
    from threads.evaluator import evaluate as tick

    every = settings.SLA_TICK_SECONDS
    window = max(0, settings.SLA_EVALUATE_EVERY * 60 - every - 5) if every else 0
    started = time.monotonic()
    totals = []
    while True:
        report = tick()
        totals.append(report.events)
        if report.events:
            deliver()
        if not every or time.monotonic() - started + every > window:
            break
        time.sleep(every)
    return f"{len(totals)} ticks, {sum(totals)} events"


def deliver() -> str:
    from threads.alerting.delivery import deliver_due

    report = deliver_due()
    return str(report)


def housekeeping() -> str:
    """Keep the delivery log and read notifications for 90 days."""
    from threads.models import DeliveryAttempt, Notification

    cutoff = timezone.now() - timedelta(days=settings.SLA_KEEP_LOG_DAYS)
    attempts, _ = DeliveryAttempt.objects.filter(at__lt=cutoff).delete()
    notes, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
    return f"removed {attempts} delivery attempts and {notes} read notifications"
