"""Heartbeats: the last time each background job showed it works, read by /status."""

from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """One row per job, moved forward each time the job completes a round: "evaluator" after each
    completed tick, "cluster:<random id>" while a task cluster runs, "mailbox:<id>" after each
    successful poll of an IMAP mailbox. Names never hold a host name or a secret."""

    name = models.CharField(max_length=60, unique=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
