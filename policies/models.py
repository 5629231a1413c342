"""Managers' SLA configuration: tiers, business-hours calendars, policies, targets, warnings."""

from datetime import time, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete

from policies.alert_kinds import TRANSPORTS, AlertEvent, channel_kinds, transport_choices
from policies.configuration import ConfigurationModel, ConfigurationQuerySet, ConfigurationVersion
from policies.vocabulary import Channel, Metric, Priority, ThreadStatus
from slaops.fields import BusinessDurationField, TimeZoneField
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


class Calendar(ConfigurationModel):
    """Business hours: when SLA clocks run. A calendar open 00:00–00:00 every day is 24/7."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = TimeZoneField(
        default="UTC", help_text="Opening hours and holidays are read in this zone."
    )
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def interval_minutes(opens: time, closes: time) -> tuple[int, int]:
    """Minutes from the start of the day; a close not after the open runs past midnight."""
    start = opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    return start, end if end > start else end + 24 * 60


def overlapping(intervals: list[tuple[time, time]]) -> tuple[tuple[time, time], ...] | None:
    """The first two intervals of one day that overlap, or None."""
    spans = sorted((interval_minutes(o, c), (o, c)) for o, c in intervals)
    for (first, first_raw), (second, second_raw) in zip(spans, spans[1:], strict=False):
        if second[0] < first[1]:
            return first_raw, second_raw
    return None


def describe_interval(opens: time, closes: time) -> str:
    if opens == closes == time(0):
        return "all day"
    suffix = " (next day)" if closes <= opens and closes != time(0) else ""
    return f"{opens:%H:%M}–{closes:%H:%M}{suffix}"


class OpeningHours(ConfigurationModel):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.IntegerField(choices=Weekday.choices)
    opens = models.TimeField(help_text="Local time in the calendar's zone.")
    closes = models.TimeField(
        help_text="A closing time not after the opening runs past midnight and counts for the "
        "opening day (22:00–06:00). 00:00–00:00 is the whole day."
    )

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {describe_interval(self.opens, self.closes)}"


class Holiday(ConfigurationModel):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(help_text="Hours that start on this date are closed.")
    name = models.CharField(max_length=120, blank=True)
    source = models.CharField(
        max_length=40,
        blank=True,
        help_text="Where it came from, e.g. “holidays:DE-BY”; empty for dates added by hand.",
    )

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class SpecialDay(ConfigurationModel):
    """A dated exception: that day's hours replace the weekly ones (no hours = closed)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="special_days")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)
    opens = models.TimeField(null=True, blank=True, help_text="Leave both times empty: closed.")
    closes = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["calendar", "date", "opens"]

    def __str__(self) -> str:
        hours = "closed" if self.opens is None else describe_interval(self.opens, self.closes)
        return f"{self.date:%Y-%m-%d} {hours}"

    def clean(self):
        if (self.opens is None) != (self.closes is None):
            raise ValidationError(
                {"closes": "Give both an opening and a closing time, or neither for a closed day."}
            )


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
        default=list,
        blank=True,
        help_text="While a thread has one of these statuses, its resolution clock is paused.",
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
        if errors:
            raise ValidationError(errors)


class SlaTarget(ConfigurationModel):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text="Empty = any priority. A target for the thread's own priority wins over the "
        "“any” one.",
    )
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

    def __str__(self) -> str:
        who = self.get_priority_display() if self.priority else "any priority"
        return f"{self.get_metric_display()} ({who}): {format_duration(self.duration)}"


class WarningThreshold(ConfigurationModel):
    class Kind(models.TextChoices):
        MINUTES_BEFORE = "minutes_before", "minutes before due"
        PERCENT_USED = "percent_used", "% of the target used"

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="thresholds")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.PositiveIntegerField(
        help_text="Minutes before the due time, or a percentage (1–99) of the target, counted "
        "in business time."
    )

    class Meta:
        ordering = ["policy", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind", "value"], name="one_threshold")
        ]

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


class EscalationLevel(ConfigurationModel):
    """After a breach, level 1..N fire at “due + offset” (business time) if the clock still runs."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
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
        help_text="Move the thread to this team (matches the policy again).",
    )
    raise_priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text="Raise the thread to this priority (never lowers it).",
    )

    class Meta:
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="one_escalation_per_level")
        ]

    def __str__(self) -> str:
        return f"Level {self.level}: {format_duration(self.after)} after due"


class AlertChannel(ConfigurationModel):
    """Where alerts go besides people: fixed e-mail addresses, a Slack channel, a webhook."""

    Kind = transport_choices("channel_label")  # one per entry of alert_kinds.TRANSPORTS

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=channel_kinds)
    addresses = models.TextField(
        blank=True, help_text="E-mail: one address per line or comma separated."
    )
    url = models.URLField(
        max_length=500, blank=True, help_text="Slack incoming-webhook URL, or your endpoint."
    )
    secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="Webhook signing secret (whsec_…); generated when left empty.",
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def address_list(self) -> list[str]:
        return [a.strip() for a in self.addresses.replace(",", "\n").splitlines() if a.strip()]

    def clean(self):
        if self.kind in TRANSPORTS:  # an unknown kind is refused by the field itself
            TRANSPORTS[self.kind].check(self)


class NotificationRule(ConfigurationModel):
    """Which SLA events of a policy reach whom, and how."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="rules")
    events = models.JSONField(default=list, help_text="The events this rule sends.")
    escalation_levels = models.JSONField(
        default=list, blank=True, help_text="For escalations: which levels (empty = every level)."
    )
    metrics = models.JSONField(default=list, blank=True, help_text="Empty = every metric.")
    to_assignee = models.BooleanField("the assignee", default=False)
    to_team = models.BooleanField("the thread's team", default=False)
    to_managers = models.BooleanField("the managers", default=False)
    by_email = models.BooleanField(
        "e-mail people", default=True, help_text="People above get an e-mail."
    )
    in_app = models.BooleanField(
        "notify people in the app", default=True, help_text="People above get an in-app note."
    )
    channels = models.ManyToManyField(AlertChannel, blank=True, related_name="rules")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["policy", "id"]

    def __str__(self) -> str:
        return f"{', '.join(self.events) or 'no events'} → {self.recipients_text()}"

    def recipients_text(self) -> str:
        people = [
            label
            for flag, label in (
                (self.to_assignee, "assignee"),
                (self.to_team, "team"),
                (self.to_managers, "managers"),
            )
            if flag
        ]
        channels = [c.name for c in self.channels.all()] if self.pk else []
        return ", ".join(people + channels) or "nobody"

    def clean(self):
        unknown = sorted(set(self.events or []) - set(AlertEvent.values))
        if unknown:
            raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
        if not self.events:
            raise ValidationError({"events": "Choose at least one event."})


def _configuration_links_changed(sender, action, **kwargs):
    # A policy's tiers and teams and a rule's channels are written by the ORM's own link
    # tables (`.set()`, `.add()`, `.clear()`), which never pass through save().
    if action in ("post_add", "post_remove", "post_clear"):
        ConfigurationVersion.bump()


def _team_deleted(sender, **kwargs):
    # Deleting a team takes it out of policies and escalations without touching their rows.
    ConfigurationVersion.bump()


for _links in (SlaPolicy.tiers.through, SlaPolicy.teams.through, NotificationRule.channels.through):
    m2m_changed.connect(_configuration_links_changed, sender=_links)
post_delete.connect(_team_deleted, sender="accounts.Team")
