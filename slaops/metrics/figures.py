"""The figures /metrics reads from the database, behind one cached collector.

Every web worker of every pod is scraped, so reading the database at each scrape would multiply
its cost by their number. The figures are read at most once every SLA_METRICS_REFRESH_SECONDS
and kept in the cache (shared by the workers where the cache is Redis; each process also keeps
its last copy, so a broken cache costs one read per process per period, not one per scrape).
Each figure reads an index head or an index alone, never the clocks' rows:
- the evaluator's lag: the oldest due instant at the evaluator's doors (threads/evaluator.py),
- the oldest due delivery, as /status's check (quiet hours and backoff aside),
- running clocks by metric and state: a count over the partial index of running clocks,
- each objective's budget left in its current period (from its daily rollups),
- the evaluator's last completed tick (its heartbeat row),
- the task clusters beating and silent (their heartbeat rows; a cleanly stopped one has none).
"""

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
CACHE_KEY = "slaops:metrics:figures"


@dataclass
class Figures:
    taken_at: datetime
    evaluator_lag: float = 0.0
    backlog_oldest: float = 0.0
    last_tick: datetime | None = None
    clocks: dict[tuple[str, str], int] = field(default_factory=dict)  # (metric, state): count
    budgets: dict[str, int] = field(default_factory=dict)  # objective name: misses left
    clusters: dict[str, int] = field(default_factory=dict)  # "beating"/"silent": count


def _seconds_since(instant: datetime | None, now: datetime) -> float:
    return 0.0 if instant is None else max(0.0, (now - instant).total_seconds())


def running_clocks() -> dict[tuple[str, str], int]:
    """Every metric × running state, zero where none runs, so a series never vanishes."""
    from policies.vocabulary import Metric
    from threads.models import RUNNING_STATES, SlaClock

    counts = dict.fromkeys(((m.value, str(s)) for m in Metric for s in RUNNING_STATES), 0)
    rows = (
        SlaClock.objects.filter(state__in=RUNNING_STATES)
        .values_list("metric", "state")
        .annotate(n=Count("*"))
        .order_by()
    )
    for metric, state, n in rows:
        counts[(metric, state)] = n
    return counts


def objective_budgets(now: datetime) -> dict[str, int]:
    from objectives.figures import figures
    from objectives.models import Objective

    return {
        objective.name: figures(objective, now).budget_left for objective in Objective.objects.all()
    }


def task_clusters(now: datetime) -> dict[str, int]:
    """Clusters whose heartbeat is within SLA_HEALTH_CLUSTER_SECONDS, and those silent longer
    (killed, or their host lost: a clean stop removes its row)."""
    from slaops.health.heartbeats import CLUSTER_PREFIX, last_beats

    limit = settings.SLA_HEALTH_CLUSTER_SECONDS
    ages = [_seconds_since(at, now) for at in last_beats(CLUSTER_PREFIX).values()]
    beating = sum(age <= limit for age in ages)
    return {"beating": beating, "silent": len(ages) - beating}


def take(now: datetime) -> Figures:
    from slaops.health.checks import oldest_due_delivery, oldest_unevaluated
    from slaops.health.heartbeats import EVALUATOR, last_beat

    return Figures(
        taken_at=now,
        evaluator_lag=_seconds_since(oldest_unevaluated(now), now),
        backlog_oldest=_seconds_since(oldest_due_delivery(now), now),
        last_tick=last_beat(EVALUATOR),
        clocks=running_clocks(),
        budgets=objective_budgets(now),
        clusters=task_clusters(now),
    )


class Kept:
    """The last figures taken, in the cache and in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local: Figures | None = None

    def current(self, now: datetime) -> Figures:
        """Figures at most SLA_METRICS_REFRESH_SECONDS old, read afresh only when they are not."""
        refresh = settings.SLA_METRICS_REFRESH_SECONDS
        with self.lock:  # one reader per process while the others wait for its answer
            found = self._cached() or self.local
            if found is None or not 0 <= (now - found.taken_at).total_seconds() < refresh:
                found = take(now)
                self._keep(found, refresh)
            self.local = found
            return found

    def forget(self) -> None:
        """For tests and after a change that must show at once."""
        self.local = None
        with contextlib.suppress(Exception):  # the cache's trouble is /status's to report
            cache.delete(CACHE_KEY)

    @staticmethod
    def _cached() -> Figures | None:
        try:
            return cache.get(CACHE_KEY)
        except Exception:  # noqa: BLE001
            return None

    @staticmethod
    def _keep(found: Figures, refresh: int) -> None:
        with contextlib.suppress(Exception):
            cache.set(CACHE_KEY, found, refresh)


KEPT = Kept()


class DatabaseFigures(Collector):
    """The collector /metrics registers: the kept figures as gauges. If the database cannot
    answer, only `slaops_database_figures_up 0` (a scrape still succeeds)."""

    def collect(self):
        up = GaugeMetricFamily(
            "slaops_database_figures_up", "1 if the figures below could be read from the database."
        )
        try:
            found = KEPT.current(timezone.now())
        except Exception as error:  # noqa: BLE001 - a scrape must not be a 500
            log.warning("metrics: figures not read: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges(found)


def gauges(found: Figures):
    def gauge(name, documentation, value, labels=()):
        family = GaugeMetricFamily(name, documentation, labels=list(labels))
        if not labels:
            family.add_metric([], value)
        return family

    yield gauge(
        "slaops_figures_taken_timestamp_seconds",
        "When the figures were read (they are kept SLA_METRICS_REFRESH_SECONDS).",
        found.taken_at.timestamp(),
    )
    yield gauge(
        "slaops_evaluator_lag_seconds",
        "How long the oldest due clock has waited for the evaluator (0: none waits).",
        found.evaluator_lag,
    )
    if found.last_tick is not None:
        yield gauge(
            "slaops_evaluator_last_tick_timestamp_seconds",
            "When the evaluator last completed a tick.",
            found.last_tick.timestamp(),
        )
    yield gauge(
        "slaops_delivery_backlog_oldest_seconds",
        "How long the oldest alert due to go out has waited (quiet hours and backoff aside).",
        found.backlog_oldest,
    )
    clocks = gauge(
        "slaops_clocks_running", "Running clocks by metric and state.", None, ("metric", "state")
    )
    for (metric, state), count in sorted(found.clocks.items()):
        clocks.add_metric([metric, state], count)
    yield clocks
    budgets = gauge(
        "slaops_objective_budget_left",
        "Misses an objective may still have in its current period (negative: below target).",
        None,
        ("objective",),
    )
    for name, left in sorted(found.budgets.items()):
        budgets.add_metric([name], left)
    yield budgets
    clusters = gauge(
        "slaops_task_clusters",
        "Task clusters by heartbeat: beating within SLA_HEALTH_CLUSTER_SECONDS, or silent.",
        None,
        ("state",),
    )
    for state in ("beating", "silent"):
        clusters.add_metric([state], getattr(found, "clusters", {}).get(state, 0))
    yield clusters
