"""The checks of /status, each a state and its figures (ages in whole seconds).

Critical checks (a failure makes /status answer 503): the database, a task cluster's heartbeat,
the evaluator (its last completed tick and its lag: how long the oldest due clock has waited).
The others never fail /status; trouble there is reported as "degraded": the oldest alert due and
not sent (quiet hours and backoff aside), each active IMAP mailbox's last successful poll, Slack
events left unprocessed, the cache. Each reads an index or a handful of rows, never a scan.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from slaops.health import heartbeats
from slaops.health.probes import PROBE

OK, DEGRADED, FAILING = "ok", "degraded", "failing"


@dataclass
class Check:
    name: str
    state: str
    critical: bool
    figures: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"state": self.state, "critical": self.critical, **self.figures}


def age_seconds(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def database(now: datetime) -> Check:
    return Check("database", OK if PROBE.database_answers() else FAILING, critical=True)


def cluster(now: datetime) -> Check:
    """At least one task cluster beat recently; another one silent is only degraded."""
    limit = settings.SLA_HEALTH_CLUSTER_SECONDS
    ages = sorted(
        age_seconds(at, now) for at in heartbeats.last_beats(heartbeats.CLUSTER_PREFIX).values()
    )
    beating = sum(1 for age in ages if age <= limit)
    state = FAILING if not beating else DEGRADED if beating < len(ages) else OK
    figures = {
        "last_beat_seconds_ago": ages[0] if ages else None,
        "clusters_beating": beating,
        "clusters_silent": len(ages) - beating,
        "limit_seconds": limit,
    }
    return Check("task_cluster", state, critical=True, figures=figures)


def evaluator(now: datetime) -> Check:
    tick_age = age_seconds(heartbeats.last_beat(heartbeats.EVALUATOR), now)
    oldest = oldest_unevaluated(now)
    lag = age_seconds(oldest, now) or 0
    late = tick_age is None or tick_age > settings.SLA_HEALTH_TICK_SECONDS
    lagging = lag > settings.SLA_HEALTH_LAG_SECONDS
    figures = {
        "last_tick_seconds_ago": tick_age,
        "lag_seconds": lag,
        "tick_limit_seconds": settings.SLA_HEALTH_TICK_SECONDS,
        "lag_limit_seconds": settings.SLA_HEALTH_LAG_SECONDS,
    }
    return Check("evaluator", FAILING if late or lagging else OK, critical=True, figures=figures)


def oldest_unevaluated(now: datetime) -> datetime | None:
    """The earliest instant a running clock should have moved at and has not: each of the
    evaluator's four doors (threads/evaluator.py) read at the head of its index."""
    from threads.evaluator import due_instants

    return min((instant for instant in due_instants(now) if instant is not None), default=None)


def oldest_due_delivery(now: datetime) -> datetime | None:
    """When the alert waiting longest to go out became due: pending or retrying deliveries
    whose time has come (one held for quiet hours or backing off is due later, so not yet)."""
    from threads.models import Delivery

    due = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING], next_attempt_at__lte=now
    )
    return due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()


def deliveries(now: datetime) -> Check:
    age = age_seconds(oldest_due_delivery(now), now)
    limit = settings.SLA_HEALTH_DELIVERY_SECONDS
    state = DEGRADED if age is not None and age > limit else OK
    figures = {"oldest_due_seconds": age, "limit_seconds": limit}
    return Check("alert_delivery", state, critical=False, figures=figures)


@dataclass(frozen=True)
class FailingChannel:
    key: str  # "channel:<id>", or "people:<kind>" for alerts to people (e-mail, Slack DMs)
    name: str
    since: datetime


def failing_channels(now: datetime) -> list[FailingChannel]:
    """Where alerts have been failing for SLA_HEALTH_CHANNEL_FAILING_SECONDS: a delivery still
    retrying after its first failed attempt that long ago (quiet-hour holds are pending, not
    retrying). One grouped read of the due index, whose rows are few while alerts flow."""
    from datetime import timedelta

    from django.db.models import Min

    from policies.alert_kinds import TRANSPORTS
    from threads.models import Delivery

    cutoff = now - timedelta(seconds=settings.SLA_HEALTH_CHANNEL_FAILING_SECONDS)
    rows = (
        Delivery.objects.filter(status=Delivery.Status.RETRYING, created_at__lte=cutoff)
        .values("channel_id", "channel__name", "kind")
        .annotate(since=Min("created_at"))
        .order_by("since")
    )
    failing = {}
    for row in rows:
        if row["channel_id"]:
            key, name = f"channel:{row['channel_id']}", row["channel__name"]
        else:
            declared = TRANSPORTS.get(row["kind"])
            label = declared.label if declared else row["kind"]
            key, name = f"people:{row['kind']}", f"{label} to people"
        failing.setdefault(key, FailingChannel(key, name, row["since"]))
    return list(failing.values())


def mailboxes(now: datetime) -> Check:
    from mail.models import Mailbox

    limit = settings.SLA_HEALTH_MAIL_POLL_SECONDS
    beats = heartbeats.last_beats("mailbox:")
    listed = []
    for box_id, name in (
        Mailbox.objects.filter(active=True).exclude(imap_host="").values_list("id", "name")
    ):
        age = age_seconds(beats.get(heartbeats.mailbox_name(box_id)), now)
        listed.append({"id": box_id, "name": name, "last_poll_seconds_ago": age})
    late = [box for box in listed if _late(box["last_poll_seconds_ago"], limit)]
    figures = {"mailboxes": listed, "limit_seconds": limit}
    return Check("mail_polls", DEGRADED if late else OK, critical=False, figures=figures)


def _late(age: int | None, limit: int) -> bool:
    return age is None or age > limit


def slack_events(now: datetime) -> Check:
    from datetime import timedelta

    from slackapp.models import SlackEvent

    limit = settings.SLA_HEALTH_SLACK_SECONDS
    waiting = SlackEvent.objects.filter(
        status=SlackEvent.Status.RECEIVED, received_at__lt=now - timedelta(seconds=limit)
    )
    count = waiting.count()
    oldest = waiting.order_by("received_at").values_list("received_at", flat=True).first()
    figures = {
        "unprocessed": count,
        "oldest_seconds": age_seconds(oldest, now),
        "limit_seconds": limit,
    }
    return Check("slack_events", DEGRADED if count else OK, critical=False, figures=figures)


def cache_answers(now: datetime) -> Check:
    key = "slaops:health:cache"
    try:
        cache.set(key, now.isoformat(), 30)
        ok = cache.get(key) == now.isoformat()
    except Exception:  # noqa: BLE001 - any cache failure is degraded, never a 500
        ok = False
    return Check("cache", OK if ok else DEGRADED, critical=False)


# (name in the answer, check, critical)
CHECKS = [
    ("database", database, True),
    ("task_cluster", cluster, True),
    ("evaluator", evaluator, True),
    ("alert_delivery", deliveries, False),
    ("mail_polls", mailboxes, False),
    ("slack_events", slack_events, False),
    ("cache", cache_answers, False),
]


def run_checks(now: datetime | None = None) -> list[Check]:
    """Every check. One that cannot read its figures (after the database failed, or raising)
    fails if it is critical, else is degraded; the cache is asked either way."""
    now = now or timezone.now()
    results = []
    for name, check, critical in CHECKS:
        database_down = bool(results) and results[0].state == FAILING
        try:
            if database_down and check is not cache_answers:
                raise LookupError("no database")
            results.append(check(now))
        except Exception:  # noqa: BLE001 - a check that cannot answer is not a 500
            state = FAILING if critical else DEGRADED
            results.append(Check(name, state, critical, {"unknown": True}))
    return results


def overall(results: list[Check]) -> str:
    if any(check.critical and check.state == FAILING for check in results):
        return FAILING
    return DEGRADED if any(check.state != OK for check in results) else OK
