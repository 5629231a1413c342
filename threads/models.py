"""Support threads, their messages, the SLA clocks running on them and the events of each clock."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from policies.alert_kinds import delivery_kinds, transport_choices
from policies.vocabulary import Channel, Metric, Priority, ThreadStatus


class ClockState(models.TextChoices):
    # Names as in Plain's "SLA status transitioned" webhook.
    PENDING = "pending", "Pending"
    IMMINENT_BREACH = "imminent_breach", "Imminent breach"
    BREACHING = "breaching", "Breaching"
    ACHIEVED = "achieved", "Achieved"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


RUNNING_STATES = [ClockState.PENDING, ClockState.IMMINENT_BREACH, ClockState.BREACHING]
FINISHED_STATES = [ClockState.ACHIEVED, ClockState.BREACHED, ClockState.CANCELLED]
CLOSED_STATUSES = [ThreadStatus.RESOLVED, ThreadStatus.CLOSED]


class Thread(models.Model):
    subject = models.CharField(max_length=300)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(
        max_length=24, choices=ThreadStatus.choices, default=ThreadStatus.OPEN, db_index=True
    )
    tier = models.ForeignKey(
        "policies.Tier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="The tier the thread is served at (the account's, or the default tier).",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_threads",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    policy = models.ForeignKey(
        "policies.SlaPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="threads",
        help_text="The SLA policy that matched; empty = no policy matches, so no clocks.",
    )
    source = models.CharField(max_length=40, default="api", help_text="email, slack, zendesk…")
    external_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The rules need these; they are kept by the services, never edited by hand.
    first_response_started = models.BooleanField(default=False)
    last_response_at = models.DateTimeField(
        null=True, blank=True, help_text="Last public agent reply or “no reply needed”."
    )
    last_customer_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="thread_unique_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["team", "status"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class Message(models.Model):
    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL
    )
    public = models.BooleanField(default=True, help_text="Unticked = an internal note.")
    automatic = models.BooleanField(
        default=False, help_text="Auto-replies and bots never count as a response."
    )
    needs_reply = models.BooleanField(
        default=True, help_text="Unticked for a customer's “thanks!”: starts no response clock."
    )
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "external_id"],
                condition=~Q(external_id=""),
                name="message_unique_external_id",
            )
        ]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        kind = "note" if not self.public else self.author_kind
        return f"{kind} on #{self.thread_id} at {self.created_at:%Y-%m-%d %H:%M}"


class SlaClock(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(
        "policies.SlaPolicy", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.ForeignKey(
        "policies.SlaTarget", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Snapshots: editing a policy affects clocks started afterwards, not this one.
    target_duration = models.DurationField()
    calendar = models.ForeignKey(
        "policies.Calendar", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    zone = models.CharField(max_length=64, default="UTC")
    warnings = models.JSONField(
        default=list, help_text="[[offset seconds of business time, label], …] in order."
    )
    warnings_passed = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    used = models.DurationField(
        default=timedelta, help_text="Business time used before `running_since`."
    )
    running_since = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    ever_paused = models.BooleanField(default=False)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=ClockState.choices, default=ClockState.PENDING)
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(
        null=True, blank=True, help_text="When the clock first passed its due time."
    )
    escalations = models.JSONField(
        default=list, help_text="[[level, offset seconds of business time after due], …]."
    )
    escalations_fired = models.PositiveSmallIntegerField(default=0)
    escalate_at = models.DateTimeField(null=True, blank=True)
    # For reports: time spent paused, and who held the thread when the clock breached or stopped.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_for = models.DurationField(default=timedelta)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The assignee when the clock breached or stopped.",
    )

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = "SLA clock"
        constraints = [
            # Two messages racing can never leave two running clocks of one metric on a thread.
            models.UniqueConstraint(
                fields=["thread", "metric"],
                condition=Q(state__in=RUNNING_STATES),
                name="one_running_clock_per_metric",
            ),
        ]
        indexes = [
            # The evaluator's doors: only running, unpaused clocks are in these indexes.
            models.Index(
                fields=["warn_at"],
                name="clock_warn_due",
                # A second warning is due while the first one's state holds.
                condition=Q(
                    state__in=[ClockState.PENDING, ClockState.IMMINENT_BREACH],
                    paused=False,
                    warn_at__isnull=False,
                ),
            ),
            models.Index(
                fields=["due_at"],
                name="clock_due",
                condition=Q(
                    state__in=[ClockState.PENDING, ClockState.IMMINENT_BREACH], paused=False
                ),
            ),
            models.Index(
                fields=["escalate_at"],
                name="clock_escalation_due",
                condition=Q(state=ClockState.BREACHING, paused=False, escalate_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="clock_running_by_due",
                condition=Q(state__in=RUNNING_STATES),
            ),
            models.Index(fields=["thread", "metric"]),
            models.Index(fields=["state", "stopped_at"]),
            # The breach review and breach counts of the reports.
            models.Index(
                fields=["breached_at"],
                name="clock_breached",
                condition=Q(breached_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} on #{self.thread_id}: {self.get_state_display()}"

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES


class EventKind(models.TextChoices):
    STARTED = "started", "Started"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    RETARGETED = "retargeted", "Retargeted"
    WARNING = "warning", "Warning"
    BREACHING = "breaching", "Breaching"
    ACHIEVED = "achieved", "Achieved"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"
    ESCALATED = "escalated", "Escalated"
    CUSTOMER_WROTE_WHILE_PAUSED = "customer_wrote_while_paused", "Customer wrote while paused"
    # Thread-level history (no clock).
    POLICY_MATCHED = "policy_matched", "Policy matched"
    NO_POLICY = "no_policy", "No policy matches"
    THREAD_CHANGED = "thread_changed", "Thread changed"
    NO_REPLY_NEEDED = "no_reply_needed", "Marked no reply needed"
    # A late event put in its place: an earlier record no longer holds (threads/clocks/rebuild.py).
    CORRECTED = "corrected", "Corrected by a late event"


class SlaEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("SLA events are immutable")


class SlaEvent(models.Model):
    """One immutable row per transition: the single source for alerts, history and reports."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="events")
    clock = models.ForeignKey(
        SlaClock, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    historical = models.BooleanField(
        default=False, help_text="Recorded by an import replay: history only, never alerted."
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = SlaEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "SLA event"
        indexes = [
            models.Index(fields=["thread", "at"]),
            models.Index(fields=["kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("SLA events are immutable")
        super().save(*args, **kwargs)


class Delivery(models.Model):
    """One alert to one recipient on one channel: the outbox row, written with its event."""

    Kind = transport_choices("label")  # one per entry of policies.alert_kinds.TRANSPORTS

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Retrying"
        DEAD = "dead", "Dead (gave up)"

    event = models.ForeignKey(SlaEvent, on_delete=models.CASCADE, related_name="deliveries")
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
            )
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
        return f"{self.get_kind_display()} to {self.recipient}: {self.get_status_display()}"


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
    event = models.ForeignKey(SlaEvent, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_notification_per_event")
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
