"""Promises, not only deadlines: an objective is a target share of clocks kept in time over a
period ("95 % of first responses within their due time, each month"), with its daily rollups, the
snapshots of its closed periods and the state of its alerts (docs/rules.md, "Objectives")."""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from policies.vocabulary import Metric


class Period(models.TextChoices):
    MONTH = "month", "Calendar month"
    QUARTER = "quarter", "Calendar quarter"
    ROLLING_7D = "rolling_7d", "Rolling 7 days"
    ROLLING_28D = "rolling_28d", "Rolling 28 days"
    ROLLING_30D = "rolling_30d", "Rolling 30 days"


class Status(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    AT_RISK = "at_risk", "At risk"
    BELOW_TARGET = "below_target", "Below target"
    FAILED = "failed", "Failed"


# The scope's keys: what a clock is matched on (as it was when the clock counted).
SCOPE_KEYS = ("policies", "tiers", "accounts", "teams", "priorities", "channels")


class Objective(models.Model):
    name = models.CharField(max_length=120, unique=True)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    target_percent = models.DecimalField(
        "target (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text="The share of clocks kept in time the promise names, e.g. 95.00.",
    )
    period = models.CharField(max_length=12, choices=Period.choices, default=Period.MONTH)
    time_zone = models.CharField(
        max_length=64,
        default=settings.TIME_ZONE,
        help_text="Where a month, a quarter or a day of the period begins.",
    )
    scope = models.JSONField(
        default=dict,
        blank=True,
        help_text="Which clocks count: any of policies, tiers, accounts, teams (ids), "
        "priorities, channels (values); empty = every clock of the metric.",
    )
    at_risk_share = models.DecimalField(
        "at risk from (share of the budget)",
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
        help_text="The objective is at risk once misses reach this share of the misses allowed.",
    )
    alert_channels = models.ManyToManyField(
        "policies.AlertChannel", blank=True, related_name="objectives"
    )
    notify_managers = models.BooleanField(
        default=True, help_text="Managers hear about it in the app and by e-mail."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # What decides which clocks count on which day: a change drops the daily rollups, counted
    # again when next read (closed periods keep their snapshot, see rollup.py).
    COUNTING_FIELDS = ("metric", "scope", "time_zone")

    def save(self, *args, **kwargs):
        before = None
        if self.pk is not None:
            before = (
                Objective.objects.filter(pk=self.pk).values(*self.COUNTING_FIELDS).first() or None
            )
        super().save(*args, **kwargs)
        if before and any(before[name] != getattr(self, name) for name in self.COUNTING_FIELDS):
            ObjectiveDay.objects.filter(objective=self).delete()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def rolling(self) -> bool:
        return self.period.startswith("rolling")

    def clean(self):
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": "Not a time zone: give an IANA name."}) from None
        from objectives.scope import scope_problems

        problems = scope_problems(self.scope, self.metric)
        if problems:
            raise ValidationError({"scope": problems})


class ObjectiveDay(models.Model):
    """One objective's counts for one local day that is over (figures.py sums at most a
    period's days, ~92 rows, plus a live count of today)."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    achieved = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["objective", "day"], name="one_rollup_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.objective} on {self.day}"


class ObjectivePeriod(models.Model):
    """A closed period's figures as they were when it closed; a later recount that differs is
    kept beside them as a correction, never written over them."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="periods")
    start = models.DateTimeField()
    end = models.DateTimeField()
    figures = models.JSONField(help_text="The figures when the period closed.")
    status = models.CharField(max_length=12, choices=Status.choices)
    closed_at = models.DateTimeField()
    correction = models.JSONField(
        null=True, blank=True, help_text="A later recount, if it differs."
    )
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "start"], name="one_snapshot_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.objective}: {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


class ObjectiveEvent(models.Model):
    """Something an objective's alerts said (objectives/alerts.py): the outbox rows
    (threads.Delivery, in-app notifications) are written in the same transaction."""

    class Kind(models.TextChoices):
        AT_RISK = "objective_at_risk", "Objective at risk"
        BUDGET_SPENT = "objective_budget_spent", "Objective below target (budget spent)"
        RECOVERED = "objective_recovered", "Objective recovered"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField()
    details = models.JSONField(default=dict, help_text="The figures and the reason.")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.objective}: {self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class ObjectiveAlertState(models.Model):
    """Where an objective's alert episode stands: one row per objective, moved only by
    compare-and-set on `version`, so two evaluators never alert the same change twice."""

    objective = models.OneToOneField(
        Objective, on_delete=models.CASCADE, primary_key=True, related_name="alert_state"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.HEALTHY)
    at_risk_sent = models.BooleanField(default=False)
    spent_sent = models.BooleanField(default=False)
    recovered_sent = models.BooleanField(default=False)
    healthy_since = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.objective}: {self.get_status_display()}"
