"""What the alert benches measure, read from the database after a run: for each delivery, from
its warning's or breach's instant to its first recorded send attempt (the issue's measure: a
destination's own rate limit and quiet-hour holds are left out), and which alerts never went."""

import statistics


def first_attempts(due: dict[int, float], kind: str | None = None) -> tuple[list[float], int, int]:
    """(latencies in seconds, deliveries never attempted, deliveries not sent) for the
    deliveries (of `kind`, if given) of the threads in `due` (thread id -> the instant, as a
    Unix time)."""
    from django.db.models import Min

    from threads.models import Delivery

    rows = Delivery.objects.filter(event__thread_id__in=list(due))
    if kind:
        rows = rows.filter(kind=kind)
    rows = rows.annotate(first=Min("log__at"))
    latencies, never, unsent = [], 0, 0
    for thread_id, first, status in rows.values_list("event__thread_id", "first", "status"):
        unsent += status != "sent"
        if first is None:
            never += 1
        else:
            latencies.append(first.timestamp() - due[thread_id])
    return sorted(latencies), never, unsent


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    """(p50, p99, max); NaN when nothing was measured."""
    if not latencies:
        return float("nan"), float("nan"), float("nan")
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies), p99, latencies[-1]


def forget_chain() -> None:
    """A previous run's evaluator chain must not hold this run's first scheduled tick back."""
    from slaops.models import Heartbeat
    from threads.evaluator_chain import CHAIN

    Heartbeat.objects.filter(name=CHAIN).delete()


def tick_soon() -> float:
    """Before a cluster starts: no earlier chain holds it back and the scheduled evaluator run
    is due at once, so the chain is ticking before the bench's clocks fall due (the figures
    are the steady state, not a cluster's start). Returns the time asked, for `wait_ticking`."""
    import time

    from django.utils import timezone
    from django_q.models import Schedule

    forget_chain()
    Schedule.objects.filter(name="sla-evaluate").update(next_run=timezone.now())
    return time.time()


def wait_ticking(since: float, timeout: float = 120) -> float:
    """Wait until the evaluator completed a tick after `since`; seconds waited."""
    import time

    from slaops.health.heartbeats import EVALUATOR, last_beat

    while time.time() - since < timeout:
        last = last_beat(EVALUATOR)
        if last is not None and last.timestamp() > since:
            break
        time.sleep(0.5)
    return time.time() - since
