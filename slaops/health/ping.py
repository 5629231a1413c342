"""The dead man's switch: after each completed evaluator tick a task cluster pings HEARTBEAT_URL
(healthchecks.io's convention: a GET; `<url>/fail` on an error), so an outside service notices
when SLA Ops goes quiet, which nothing inside it can.

All clusters share one ping a minute: the slot is claimed with a compare-and-set on the
"heartbeat-ping" Heartbeat row, so two clusters ticking together ping once. `/fail` is sent only
when no cluster completed a tick within that minute: one cluster's error while another works
is not an outage. The ping goes through the outbound gate in a thread of its own with a short
timeout, and never fails or delays the tick: an error is logged, and the missing ping is what
the outside service notices.
"""

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from slaops import outbound
from slaops.health import heartbeats

log = logging.getLogger(__name__)

PING = "heartbeat-ping"  # the Heartbeat row holding when the last ping was claimed


def after_tick(*, ok: bool, now: datetime | None = None) -> threading.Thread | None:
    """Ping if a ping is due (`ok`: the tick completed); returns the sending thread, if any."""
    url = settings.HEARTBEAT_URL
    if not url:
        return None
    now = now or timezone.now()
    every = timedelta(seconds=settings.SLA_HEARTBEAT_EVERY_SECONDS)
    try:
        if not ok and _a_cluster_ticked_since(now - every):
            return None
        if not claim_slot(now, every):
            return None
    except DatabaseError as error:
        log.warning("heartbeat ping skipped: %s", type(error).__name__)
        return None
    target = url if ok else url.rstrip("/") + "/fail"
    sender = threading.Thread(target=send, args=(target,), name="heartbeat-ping", daemon=True)
    sender.start()
    return sender


def _a_cluster_ticked_since(since: datetime) -> bool:
    last = heartbeats.last_beat(heartbeats.EVALUATOR)
    return last is not None and last > since


def claim_slot(now: datetime, every: timedelta) -> bool:
    """True for exactly one caller per `every`: the one whose UPDATE moved the row forward."""
    from slaops.models import Heartbeat

    if Heartbeat.objects.filter(name=PING, at__lte=now - every).update(at=now):
        return True
    _, created = Heartbeat.objects.get_or_create(name=PING, defaults={"at": now})
    return created


def send(url: str) -> bool:
    """GET the URL; False (logged without the URL, whose path is the check's key) on failure."""
    try:
        answer = outbound.get(
            url,
            headers={"User-Agent": "SLA-Ops-Heartbeat/1"},
            timeout=settings.SLA_HEARTBEAT_TIMEOUT_SECONDS,
        )
    except (outbound.DestinationNotAllowed, outbound.Unreachable) as error:
        log.warning("heartbeat ping failed: %s", error)
        return False
    except Exception:  # noqa: BLE001 - a bug here must not reach the tick either
        log.exception("heartbeat ping failed unexpectedly")
        return False
    if not 200 <= answer.status < 300:
        log.warning("heartbeat ping answered %s", answer.said)
        return False
    return True
