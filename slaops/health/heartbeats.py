"""Writing and reading heartbeats (slaops.models.Heartbeat).

A beat is one UPDATE (an INSERT the first time): cheap enough for every evaluator tick. Beats
never fail their caller: a database that cannot take one is what /status reports anyway.
"""

import contextlib
import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

log = logging.getLogger(__name__)

EVALUATOR = "evaluator"
CLUSTER_PREFIX = "cluster:"
# A cluster silent this long is forgotten: it was stopped without saying so long ago.
FORGET_CLUSTER_AFTER = timedelta(days=1)


def mailbox_name(mailbox_id: int) -> str:
    return f"mailbox:{mailbox_id}"


def beat(name: str, *, at: datetime | None = None) -> bool:
    """Record that `name` completed a round now; False (logged) if the database refused."""
    from slaops.models import Heartbeat

    at = at or timezone.now()
    try:
        if not Heartbeat.objects.filter(name=name).update(at=at):
            Heartbeat.objects.update_or_create(name=name, defaults={"at": at})
    except DatabaseError as error:
        log.warning("heartbeat %s not recorded: %s", name, type(error).__name__)
        return False
    return True


def last_beats(prefix: str) -> dict[str, datetime]:
    from slaops.models import Heartbeat

    rows = Heartbeat.objects.filter(name__startswith=prefix).values_list("name", "at")
    return dict(rows)


def last_beat(name: str) -> datetime | None:
    from slaops.models import Heartbeat

    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


def forget(name: str) -> None:
    from slaops.models import Heartbeat

    # If the database refuses, the row ages out: a cluster silent for a day is forgotten.
    with contextlib.suppress(DatabaseError):
        Heartbeat.objects.filter(name=name).delete()


class ClusterHeartbeat:
    """A task cluster's heartbeat: its row in the database (for /status, read by the web) and
    the heartbeat file's modification time (for an exec liveness probe on the cluster's host,
    which tells whether this process still runs even while the database is down)."""

    def __init__(self) -> None:
        self.name = CLUSTER_PREFIX + secrets.token_hex(4)
        self.every = settings.SLA_CLUSTER_BEAT_SECONDS
        self.file = heartbeat_file()
        self._next = 0.0

    def beat_if_due(self, monotonic_now: float) -> None:
        if monotonic_now < self._next:
            return
        self._next = monotonic_now + self.every
        self.touch_file()
        if beat(self.name):
            from slaops.models import Heartbeat

            cutoff = timezone.now() - FORGET_CLUSTER_AFTER
            with contextlib.suppress(DatabaseError):
                Heartbeat.objects.filter(name__startswith=CLUSTER_PREFIX, at__lt=cutoff).delete()

    def touch_file(self) -> None:
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            self.file.touch()
        except OSError as error:
            log.warning("cluster heartbeat file not written: %s", error.strerror)

    def stopped(self) -> None:
        """A clean stop: no stale row for /status, and no file for the liveness probe."""
        forget(self.name)
        self.file.unlink(missing_ok=True)


def heartbeat_file() -> Path:
    configured = settings.SLA_CLUSTER_HEARTBEAT_FILE
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "qcluster.heartbeat"
