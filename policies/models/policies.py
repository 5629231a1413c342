"""Tiers and SLA policies with their targets, warnings and escalation levels."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from policies.configuration import ConfigurationModel, ConfigurationQuerySet
from policies.models.calendars import Calendar
from policies.vocabulary import POLICY_METRICS, Channel, Priority, ThreadStatus
from slaops.fields import BusinessDurationField
from slaops.formatting import format_duration


class Tier(ConfigurationModel):
    name = models.CharField(max_length=80, unique=True)
    order = models.PositiveIntegerField(
        default=0, help_text="Lower numbers are listed first (for example Enterprise = 1)."
    )
    is_default = models.BooleanField(
        "default tier",
        default=False,
        help_text="Customers whose account has no tier count as this tier. Exactly one tier is "
        "the default: use the “Make default” action to move it.",
    )

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="one_default_tier",
                violation_error_message="Another tier is already the default; there can be only "
                "one. Use the “Make default” action to move it.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> "Tier | None":
        return cls.objects.filter(is_default=True).first()


def default_pause_statuses() -> list[str]:
    """Both waits pause resolution (docs/rules.md, "Pauses"): the customer's and a third
    party's. The templates start from the same set."""
    return [ThreadStatus.WAITING_ON_CUSTOMER.value, ThreadStatus.ON_HOLD.value]


def default_reply_resumes() -> list[str]:
    """Waiting on the customer ends when they answer; an "on hold" (waiting on a third party)
    is only flagged, since the customer's message does not end that wait."""
    return [ThreadStatus.WAITING_ON_CUSTOMER.value]


class SlaPolicyQuerySet(ConfigurationQuerySet):
    def active(self):
        return self.filter(active=True)


class SlaPolicy(ConfigurationModel):
    name = models.CharField(max_length=120, unique=True)
    order = models.PositiveIntegerField(
        default=0,
        db_index=True,
        help_text="Policies are tried in this order; the first active one whose conditions all "
        "match a thread applies.",
    )
    active = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    tiers = models.ManyToManyField(
        Tier,
        blank=True,
        help_text="Empty = any tier. Accounts without a tier count as the default tier.",
    )
    priorities = models.JSONField(default=list, blank=True, help_text="Empty = any priority.")
    channels = models.JSONField(default=list, blank=True, help_text="Empty = any channel.")
    teams = models.ManyToManyField("accounts.Team", blank=True, help_text="Empty = any team.")
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Business hours the clocks run in. Empty = around the clock (24/7, UTC).",
    )
    use_customer_time_zone = models.BooleanField(
        "use the customer's time zone",
        default=False,
        help_text="Read the calendar's hours in the customer account's zone instead of the "
        "calendar's own (a 9–17 calendar then means 9–17 where each customer is).",
    )
    pause_statuses = models.JSONField(
        "statuses that pause resolution",
        default=default_pause_statuses,
        blank=True,
        help_text="While a thread has one of these statuses, its resolution clock is paused.",
    )
    reply_resumes = models.JSONField(
        "a customer's reply ends the wait for",
        default=default_reply_resumes,
        blank=True,
        help_text="Pausing statuses that a customer's message needing a reply ends: the thread "
        "goes back to open and resolution time resumes at the message's time. A customer "
        "message in any other pausing status is only flagged in the history.",
    )
    page_24_7 = models.BooleanField(
        "page 24/7",
        default=False,
        help_text="Send alerts at any hour. Otherwise an alert that falls outside the calendar's "
        "hours is held until it opens.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SlaPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def differences_from_defaults(self) -> list[str]:
        """Where this policy's waits differ from the documented defaults (docs/rules.md,
        "Pauses"): a customer's reply ends *waiting on customer* and only flags *on hold*.
        Shown to managers; existing policies are never rewritten to match."""
        paused, ends = set(self.pause_statuses or []), set(self.reply_resumes or [])
        found = []
        for status in default_pause_statuses():
            label = ThreadStatus(status).label.lower()
            default_ends = status in default_reply_resumes()
            if status not in paused:
                continue  # a wait that does not pause has nothing for a reply to end
            if default_ends and status not in ends:
                found.append(f"a customer's reply only flags “{label}” (default: ends the wait)")
            elif not default_ends and status in ends:
                found.append(f"a customer's reply ends “{label}” (default: only flags it)")
        return found

    def clean(self):
        errors = {}
        for field, choices in (("priorities", Priority), ("channels", Channel)):
            unknown = sorted(set(getattr(self, field) or []) - set(choices.values))
            if unknown:
                errors[field] = f"Unknown values: {', '.join(unknown)}."
        allowed = {ThreadStatus.WAITING_ON_CUSTOMER, ThreadStatus.ON_HOLD}
        bad = sorted(set(self.pause_statuses or []) - allowed)
        if bad:
            errors["pause_statuses"] = (
                "Only “waiting on customer” and “on hold” can pause resolution; "
                "resolved and closed stop it."
            )
        elif set(self.reply_resumes or []) - set(self.pause_statuses or []):
            errors["reply_resumes"] = (
                "A customer's reply can only end a wait that pauses resolution: tick the same "
                "status under “statuses that pause resolution” too, or untick it here."
            )
        if errors:
            raise ValidationError(errors)


class Target(ConfigurationModel):
    """A promised duration for a metric, per priority or any: a policy's (SlaTarget) or a
    team's (policies.models.teams.TeamTarget)."""

    priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text="Empty = any priority. A target for the thread's own priority wins over the "
        "“any” one.",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        who = self.get_priority_display() if self.priority else "any priority"
        return f"{self.get_metric_display()} ({who}): {format_duration(self.duration)}"


class SlaTarget(Target):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    # A team's own targets are the team's (policies.models.teams.TeamTarget), never a policy's.
    metric = models.CharField(max_length=20, choices=[(m.value, m.label) for m in POLICY_METRICS])
    duration = BusinessDurationField(
        help_text="Counted in business hours of the policy's calendar: 45m, 4h, 12h 30m. "
        "Write days as hours."
    )

    class Meta:
        ordering = ["policy", "metric", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "metric", "priority"], name="one_target_per_metric_priority"
            )
        ]


class Warning(ConfigurationModel):
    """A warning before a clock's due time: a policy's (WarningThreshold) or a team's
    (policies.models.teams.TeamWarning)."""

    class Kind(models.TextChoices):
        MINUTES_BEFORE = "minutes_before", "minutes before due"
        PERCENT_USED = "percent_used", "% of the target used"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.PositiveIntegerField(
        help_text="Minutes before the due time, or a percentage (1–99) of the target, counted "
        "in business time."
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        if self.kind == self.Kind.PERCENT_USED:
            return f"{self.value}% of the target used"
        return f"{format_duration(timedelta(minutes=self.value))} before due"

    def clean(self):
        if self.kind == self.Kind.PERCENT_USED and not 1 <= (self.value or 0) <= 99:
            raise ValidationError({"value": "A percentage warning must be between 1 and 99."})
        if self.kind == self.Kind.MINUTES_BEFORE and not self.value:
            raise ValidationError({"value": "Warn at least 1 minute before the due time."})

    def offset_for(self, target: timedelta) -> timedelta:
        """Business time after the start at which this warning fires for a target."""
        if self.kind == self.Kind.PERCENT_USED:
            return target * self.value / 100
        return target - timedelta(minutes=self.value)


class WarningThreshold(Warning):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="thresholds")

    class Meta:
        ordering = ["policy", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind", "value"], name="one_threshold")
        ]


class Escalation(ConfigurationModel):
    """After a breach, level 1..N fire at “due + offset” (business time) if the clock still
    runs: a policy's (EscalationLevel) or a team's (policies.models.teams.TeamEscalation)."""

    level = models.PositiveSmallIntegerField(help_text="1 fires first.")
    after = BusinessDurationField(
        help_text="Business time after the due time: 30m, 2h. A level due after the clock "
        "stopped never fires."
    )
    reassign_team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)s_set",
        help_text="Move the thread to this team (matches the policy again).",
    )
    raise_priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text="Raise the thread to this priority (never lowers it).",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"Level {self.level}: {format_duration(self.after)} after due"


class EscalationLevel(Escalation):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")

    class Meta:
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="one_escalation_per_level")
        ]
