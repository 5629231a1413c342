"""Who is sending what: a delivery is claimed (status "sending") right before its network call,
so "sending" always means "may have reached the receiver"; a claim whose worker died expires
after the lease and the delivery is retried, marked as a possible repeat.

Claims are compare-and-set, so any number of workers send each delivery once while they live.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q

from threads.models import Delivery, DeliveryAttempt

DUE = [Delivery.Status.PENDING, Delivery.Status.RETRYING]
INTERRUPTED = (
    "Interrupted: the worker sending this stopped before recording the outcome, so the alert "
    "may have gone out; the next attempt may be a repeat (same webhook-id and Message-ID)."
)


def lease() -> timedelta:
    """How long a claim holds: one send (the longest transport timeout) with room to record it.
    A worker that dies mid-send leaves its deliveries to be sent again after this."""
    return timedelta(seconds=settings.SLA_DELIVERY_LEASE_SECONDS)


def due(now: datetime):
    return Delivery.objects.filter(status__in=DUE, next_attempt_at__lte=now)


def claim(delivery: Delivery, *, now: datetime) -> datetime | None:
    """Mark one due delivery as ours and "sending"; its claim's end, or None if another worker
    took it first (or it changed since we read it)."""
    until = now + lease()
    changed = Delivery.objects.filter(
        pk=delivery.pk,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at__lte=now,
    ).update(status=Delivery.Status.SENDING, claimed_until=until)
    return until if changed == 1 else None


def reclaim_expired(*, now: datetime) -> int:
    """Deliveries whose worker died mid-send go back to the queue at once, marked interrupted,
    with a line in their log saying the alert may have gone out."""
    expired = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_until__lt=now)
        .values_list("pk", "claimed_until")
        .order_by("claimed_until")[:500]
    )
    taken = 0
    for pk, claimed_until in expired:
        with transaction.atomic():
            changed = Delivery.objects.filter(
                pk=pk, status=Delivery.Status.SENDING, claimed_until=claimed_until
            ).update(
                status=Delivery.Status.RETRYING,
                claimed_until=None,
                next_attempt_at=now,
                interrupted=True,
                last_error=INTERRUPTED,
            )
            if changed:
                DeliveryAttempt.objects.create(
                    delivery_id=pk, at=now, ok=False, error=INTERRUPTED, may_be_repeat=True
                )
                taken += 1
    return taken


def deliveries_waiting(*, now: datetime) -> bool:
    """Anything a delivery run would do now: a due delivery or an expired claim."""
    return (
        Delivery.objects.filter(
            Q(status__in=DUE, next_attempt_at__lte=now)
            | Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
        )
        .order_by()
        .exists()
    )


def next_claim_end() -> datetime | None:
    """When the earliest claim held by any worker ends (None: nothing is being sent)."""
    return Delivery.objects.filter(status=Delivery.Status.SENDING).aggregate(
        end=Min("claimed_until")
    )["end"]
