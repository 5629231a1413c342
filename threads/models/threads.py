"""Support threads and their messages, and the clock states and statuses they are read by."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from policies.vocabulary import Channel, Priority, ThreadStatus
from threads.models.loading import ReadQuickly


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


class Thread(ReadQuickly):
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
    update_cycles = models.PositiveIntegerField(
        default=0, help_text="Periodic-update cycles started so far (the last one's number)."
    )

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
    # The teams the author belonged to when they wrote (teams keep no history of members): a
    # team's response clock stops only for its own members, on every path that tells the
    # history again (import, what-if, rebuild), whichever team held the thread then.
    author_teams = models.JSONField(default=list, blank=True)

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
