"""The SLA clocks running on a thread and the events of each clock: the record."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from policies.vocabulary import Metric
from threads.models.loading import ReadQuickly, built
from threads.models.threads import RUNNING_STATES, ClockState, Thread


class SlaClock(ReadQuickly):
    # Indexed by (thread, metric) below, as the foreign keys set on few clocks (team, holder,
    # override, breach reason) are by partial indexes of the rows that have one: every index
    # costs each write of a clock (the evaluator's thousand a tick), and a row with NULL there
    # would only add an entry nobody looks up.
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(
        "policies.SlaPolicy", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.ForeignKey(
        "policies.SlaTarget", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A team's own clock (team response, team resolution): the team it measures. Its target
    # is the team's (no policy target); it never changes a customer clock.
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Periodic update: the cycle this clock measures (1 from the first public reply, 2, …).
    cycle = models.PositiveIntegerField(null=True, blank=True)
    # Resolution: how often the thread was reopened after a resolve while this clock ran.
    reopens = models.PositiveIntegerField(default=0)
    # Who held the time (threads/clocks/attribution.py): business microseconds used per holder
    # ("team:<id>", "no_team", "status:<status>"), summing to `used`; the holder of the running
    # stretch; and, until the clock first pauses, where each stretch began (for re-measuring).
    attribution = models.JSONField(default=dict, blank=True)
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
        db_index=False,
    )
    # A person moved the due time (threads/clocks/rules.py, DueMoved): the instant it was moved
    # to, who, when and why. `original_due_at` is the due time the policy gives, kept beside it:
    # objectives count against that one. Exempt: the clock counts in no objective.
    original_due_at = models.DateTimeField(null=True, blank=True)
    override_due_at = models.DateTimeField(null=True, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    exempt = models.BooleanField(default=False)
    # What the clock counts as in objectives and from when (threads/clocks/outcome.py): missed
    # from the instant it passed its original due time (running or not), achieved or cancelled
    # at its stop; and the thread's attributes at that instant, which scopes match on.
    missed_at = models.DateTimeField(null=True, blank=True)
    counted_as = models.CharField(max_length=10, blank=True, default="")
    counted_at = models.DateTimeField(null=True, blank=True)
    scope_tier = models.IntegerField(null=True, blank=True)
    scope_account = models.IntegerField(null=True, blank=True)
    scope_team = models.IntegerField(null=True, blank=True)
    scope_priority = models.CharField(max_length=10, blank=True, default="")
    scope_channel = models.CharField(max_length=10, blank=True, default="")
    # Why it missed (policies.BreachReason), given by whoever works the thread; confirmed when a
    # manager gave or confirmed it. Only a confirmed excused reason excuses a breach.
    breach_reason = models.ForeignKey(
        "policies.BreachReason",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clocks",
        db_index=False,
    )
    breach_note = models.TextField(blank=True)
    breach_reason_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    breach_reason_at = models.DateTimeField(null=True, blank=True)
    breach_reason_confirmed = models.BooleanField(default=False)

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
            # /metrics' running clocks by metric and state: counted from this index alone.
            models.Index(
                fields=["metric", "state"],
                name="clock_running_by_metric",
                condition=Q(state__in=RUNNING_STATES),
            ),
            models.Index(fields=["thread", "metric"]),
            # The reports' finished clocks by stop; a running clock (no stop yet) is not in it,
            # so the evaluator's writes of running clocks skip it.
            models.Index(
                fields=["state", "stopped_at"],
                condition=Q(stopped_at__isnull=False),
                name="clock_finished_by_stop",
            ),
            *(
                models.Index(
                    fields=[name], condition=Q((f"{name}__isnull", False)), name=f"clock_{name}_set"
                )
                for name in ("team", "holder", "overridden_by", "breach_reason", "breach_reason_by")
            ),
            # The breach review and breach counts of the reports.
            models.Index(
                fields=["breached_at"],
                name="clock_breached",
                condition=Q(breached_at__isnull=False),
            ),
            # A moved clock passing its original due time: a miss for objectives, no alert.
            models.Index(
                fields=["original_due_at"],
                name="clock_original_due",
                condition=Q(
                    state__in=[ClockState.PENDING, ClockState.IMMINENT_BREACH],
                    paused=False,
                    override_due_at__isnull=False,
                    missed_at__isnull=True,
                ),
            ),
            # Objectives' live counts (today) and their daily rollups: every objective names
            # its metric, so the index leads with it (a third of the rows of a day to read).
            models.Index(
                fields=["metric", "counted_at"],
                name="clock_counted_metric",
                condition=~Q(counted_as=""),
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
    # A person moved a clock's due time or exempted it; a breach reason given or confirmed.
    OVERRIDDEN = "overridden", "Due time moved"
    BREACH_REASON = "breach_reason", "Breach reason given"
    # A late event put in its place: an earlier record no longer holds (threads/clocks/rebuild.py).
    CORRECTED = "corrected", "Corrected by a late event"


class CountChange(models.Model):
    """An instant whose objective figures changed after the fact (a correction, a reason, an
    exemption): the objectives' daily rollups of that day are counted again. Appended in the
    clock's transaction, read and deleted by the rollup task: never a row many writers update."""

    at = models.DateTimeField()

    class Meta:
        verbose_name = "objective count change"

    def __str__(self) -> str:
        return f"figures of {self.at:%Y-%m-%d %H:%M} changed"


class SlaEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("SLA events are immutable")


class SlaEvent(models.Model):
    """One immutable row per transition: the single source for alerts, history and reports."""

    # Indexed by (thread, at) below, the actor only where there is one (the evaluator's events
    # have none).
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    clock = models.ForeignKey(
        SlaClock, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
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
            models.Index(
                fields=["actor"], condition=Q(actor__isnull=False), name="event_actor_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("SLA events are immutable")
        super().save(*args, **kwargs)

    @classmethod
    def recorded(cls, *, thread, clock, kind, at, actor, details, historical) -> "SlaEvent":
        """A new event of the rules (not yet saved), as `SlaEvent(thread=…, …)` makes it, built
        quickly (threads/models/loading.py): the evaluator makes a thousand a tick."""
        return built(
            cls,
            {
                "id": None,
                "thread_id": thread.pk,
                "clock_id": None if clock is None else clock.pk,
                "kind": kind,
                "at": at,
                "actor_id": None if actor is None else actor.pk,
                "details": details,
                "historical": historical,
                "recorded_at": timezone.now(),
            },
            {"thread": thread, "clock": clock, "actor": actor},
        )
