"""The evaluator's chain: one task run at a time ticks every SLA_TICK_SECONDS and, when its run's
time is used, queues its successor at once, so evaluation never waits for django-q2's scheduler
(which looks for due schedules only about every 30 s). The one-minute schedule is the backstop:
a scheduled run takes the chain over only when the chain has gone quiet (its run died, its
successor was lost with a killed cluster).

Who holds the chain is a compare-and-set on the "evaluator-chain" Heartbeat row: the holder
moves the row forward at every tick from the value it wrote last, and hands that value to its
successor. A run whose value is no longer there (someone took over) stops at its next tick, so
at most one chain ticks however many clusters and scheduled runs there are.
"""

from datetime import datetime, timedelta

from django.conf import settings

CHAIN = "evaluator-chain"


def quiet_after() -> timedelta:
    """A chain whose holder has not ticked for this long is taken over by the next scheduled
    run: SLA_CHAIN_QUIET_SECONDS (30), longer than a slow tick plus a handover waiting for a
    free worker, and at least three ticks."""
    quiet = max(settings.SLA_CHAIN_QUIET_SECONDS, 3 * settings.SLA_TICK_SECONDS)
    return timedelta(seconds=quiet)


def take(now: datetime, *, handed: datetime | None = None) -> datetime | None:
    """Become the chain: as the successor handed `handed`, or (`handed` None, a scheduled run)
    when the chain is quiet. The value written, to pass to `keep`; None: the chain is held."""
    from slaops.models import Heartbeat

    rows = Heartbeat.objects.filter(name=CHAIN)
    if handed is not None:
        return now if rows.filter(at=handed).update(at=now) else None
    if rows.filter(at__lt=now - quiet_after()).update(at=now):
        return now
    _, created = Heartbeat.objects.get_or_create(name=CHAIN, defaults={"at": now})
    return now if created else None


def keep(held: datetime, now: datetime) -> datetime | None:
    """Tick on as the holder: the new value, or None if another run took the chain over."""
    from slaops.models import Heartbeat

    changed = Heartbeat.objects.filter(name=CHAIN, at=held).update(at=now)
    return now if changed else None


def hand_over(held: datetime) -> None:
    """Queue the successor run now (a broker hiccup: the schedule takes over when it is quiet)."""
    import contextlib

    from django_q.tasks import async_task

    with contextlib.suppress(Exception):
        async_task(
            "threads.tasks.evaluate",
            chain_at=held,
            task_name="sla-evaluate-chain",
            group="sla-evaluate",
        )
