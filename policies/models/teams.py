"""A team's own promises (its OLA): targets per priority on the team's calendar, and the
warnings, escalation levels and alert rules of the team's clocks, set on the team's page."""

from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Team
from policies.models.alerting import AlertChannel, AlertRule, _connect_configuration_signals
from policies.models.policies import Escalation, Target, Warning
from policies.vocabulary import TEAM_METRICS
from slaops.fields import BusinessDurationField

TEAM_METRIC_CHOICES = [(m.value, m.label) for m in TEAM_METRICS]


class TeamTarget(Target):
    """How long the team may take once a thread is handed to it: to answer (a public reply or
    an internal note by a member) and to hand it back or resolve it."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=TEAM_METRIC_CHOICES)
    duration = BusinessDurationField(
        help_text="Counted in business hours of the team's calendar (else the policy's): 45m, "
        "4h, 12h 30m. Write days as hours."
    )

    class Meta:
        ordering = ["team", "metric", "priority"]
        verbose_name = "team target"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "metric", "priority"], name="one_team_target_per_metric_priority"
            )
        ]

    def clean(self):
        if self.metric and self.metric not in TEAM_METRICS:
            raise ValidationError({"metric": "A team's target is team response or resolution."})


class TeamWarning(Warning):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="thresholds")

    class Meta:
        ordering = ["team", "kind", "value"]
        verbose_name = "team warning"
        constraints = [
            models.UniqueConstraint(fields=["team", "kind", "value"], name="one_team_warning")
        ]


class TeamEscalation(Escalation):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="escalations")

    class Meta:
        ordering = ["team", "level"]
        verbose_name = "team escalation level"
        constraints = [
            models.UniqueConstraint(fields=["team", "level"], name="one_team_escalation_per_level")
        ]


class TeamAlertRule(AlertRule):
    """Which events of the team's clocks reach whom (webhooks name them team_clock.*)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="rules")
    channels = models.ManyToManyField(AlertChannel, blank=True, related_name="team_rules")

    class Meta:
        ordering = ["team", "id"]
        verbose_name = "team alert rule"

    def clean(self):
        super().clean()
        other = sorted(set(self.metrics or []) - {m.value for m in TEAM_METRICS})
        if other:
            raise ValidationError({"metrics": "A team's rules alert on its own clocks only."})


# Who belongs to which team is read by the clock rules too (a member's note stops the team's
# response time), so a change of members is a configuration change.
_connect_configuration_signals(TeamAlertRule.channels.through, Team.members.through)
