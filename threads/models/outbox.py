"""Who hears about an event: outbox rows (deliveries), their attempt log, in-app notifications."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from policies.alert_kinds import delivery_kinds, transport_choices
from threads.models.clocks import SlaEvent
from threads.models.threads import Thread


class Delivery(models.Model):
    """One alert to one recipient on one channel: the outbox row, written with its event."""

    Kind = transport_choices("label")  # one per entry of policies.alert_kinds.TRANSPORTS

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Retrying"
        DEAD = "dead", "Dead (gave up)"
        # Never sent on purpose: no longer true, its channel disabled or deleted, or taken
        # back by a late event; nothing to retry.
        DROPPED = "dropped", "Dropped (not sent on purpose)"

    # What is alerted: a clock's event, or an objective's (objectives.ObjectiveEvent, named by
    # string so threads never imports objectives); exactly one of them.
    event = models.ForeignKey(
        SlaEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    objective_event = models.ForeignKey(
        "objectives.ObjectiveEvent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    kind = models.CharField(max_length=10, choices=delivery_kinds)
    channel = models.ForeignKey(
        "policies.AlertChannel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.CharField(max_length=300, help_text="Address, channel or user.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    held_for_quiet_hours = models.BooleanField(default=False)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Names this delivery to its receiver (webhook-id, e-mail Message-ID): the same on every
    # retry, so a repeat can be folded, and unique across installations and database resets.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A worker stopped in the middle of sending this: the receiver may get it more than once.
    interrupted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            # However many workers record an event, each recipient gets it once.
            models.UniqueConstraint(
                fields=["event", "kind", "recipient"], name="one_delivery_per_recipient"
            ),
            models.UniqueConstraint(
                fields=["objective_event", "kind", "recipient"],
                name="one_objective_delivery_per_recipient",
            ),
            models.CheckConstraint(
                condition=Q(event__isnull=False, objective_event__isnull=True)
                | Q(event__isnull=True, objective_event__isnull=False),
                name="delivery_alerts_one_event",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status__in=["pending", "retrying"]),
            ),
            models.Index(
                fields=["claimed_until"], name="delivery_claimed", condition=Q(status="sending")
            ),
        ]

    def __str__(self) -> str:
        from threads.alerting.wording import recipient_name

        # By name, never "channel:3" (the admin's row labels and history use this).
        return f"{self.get_kind_display()} to {recipient_name(self)}: {self.get_status_display()}"

    @property
    def recipient_label(self) -> str:
        """Whom this went to by name: the channel's, the person's (threads.alerting.wording)."""
        from threads.alerting.wording import recipient_name

        return recipient_name(self)


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    permanent = models.BooleanField(default=False)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # An earlier attempt was interrupted and may have reached the receiver: this one may be a
    # repeat (it carries the same webhook-id / Message-ID, so the receiver can fold it).
    may_be_repeat = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'failed'} at {self.at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app notification for one agent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # A clock's event on its thread, or an objective's event (no thread).
    event = models.ForeignKey(
        SlaEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    objective_event = models.ForeignKey(
        "objectives.ObjectiveEvent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_notification_per_event"),
            models.UniqueConstraint(
                fields=["user", "objective_event"], name="one_notification_per_objective_event"
            ),
            models.CheckConstraint(
                condition=Q(event__isnull=False, thread__isnull=False, objective_event__isnull=True)
                | Q(event__isnull=True, thread__isnull=True, objective_event__isnull=False),
                name="notification_of_one_event",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title
