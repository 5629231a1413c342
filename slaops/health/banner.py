"""The red banner of the admin index, the inbox and the queue: "Alerts are not going out: last
evaluation 7 minutes ago". Shown when the last completed evaluator tick is older than
SLA_HEALTH_TICK_SECONDS or a channel's deliveries have failed for
SLA_HEALTH_CHANNEL_FAILING_SECONDS. Two indexed reads (the evaluator's heartbeat row, the
retrying deliveries), kept in the cache for SLA_BANNER_CACHE_SECONDS so busy pages share them.
"""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from slaops.health import heartbeats
from slaops.health.checks import failing_channels

CACHE_KEY = "slaops:health:banner"


def minutes(since: datetime, now: datetime) -> str:
    count = max(0, int((now - since).total_seconds() // 60))
    return f"{count} minute{'' if count == 1 else 's'}"


def reasons(now: datetime) -> list[str]:
    """Why alerts are not going out, in words (empty while they are)."""
    found = []
    last_tick = heartbeats.last_beat(heartbeats.EVALUATOR)
    if last_tick is None:
        found.append("no evaluation has completed yet")
    elif (now - last_tick).total_seconds() > settings.SLA_HEALTH_TICK_SECONDS:
        found.append(f"last evaluation {minutes(last_tick, now)} ago")
    for channel in failing_channels(now):
        found.append(f"deliveries to “{channel.name}” failing for {minutes(channel.since, now)}")
    return found


def banner_text(now: datetime | None = None) -> str:
    """The banner's text, "" for no banner; read from the cache when it is fresh."""
    text = cache.get(CACHE_KEY)
    if text is None:
        found = reasons(now or timezone.now())
        text = f"Alerts are not going out: {'; '.join(found)}" if found else ""
        cache.set(CACHE_KEY, text, settings.SLA_BANNER_CACHE_SECONDS)
    return text
