"""Heartbeats: the last time each background job showed it works, read by /status."""

from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """One row per job, moved forward each time the job completes a round: "evaluator" after each
    completed tick, "cluster:<random id>" while a task cluster runs, "mailbox:<id>" after each
    successful poll of an IMAP mailbox, "heartbeat-ping" when a cluster last claimed the
    HEARTBEAT_URL ping (slaops/health/ping.py). Names never hold a host name or a secret."""

    name = models.CharField(max_length=60, unique=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class OperatorIncident(models.Model):
    """One stretch of trouble in SLA Ops itself (a channel failing, a mailbox not polled, the
    evaluator lagging), from the operator-alert run that first saw it to the one that saw it
    gone (slaops/health/incidents.py). At most one open per problem."""

    problem = models.CharField(max_length=60)  # "evaluator", "channel:3", "mailbox:2", …
    title = models.CharField(max_length=300)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # False: it came back within SLA_OPERATOR_ALERT_QUIET_MINUTES of an announced one, so
    # neither its start nor its end was sent.
    announced = models.BooleanField(default=True)
    # When its announcement and its recovery went out; until then each operator-alert run tries
    # again (for SLA_OPERATOR_ALERT_RETRY_MINUTES), `tries` making each try one run's.
    announced_at = models.DateTimeField(null=True, blank=True)
    recovery_sent_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_incident_per_problem",
            )
        ]

    def __str__(self) -> str:
        return self.title
