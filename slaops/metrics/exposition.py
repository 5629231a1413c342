"""What a scrape reads, in the web tier and on the task cluster's metrics port.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn's workers, django-q2's workers: the production
shapes) the counters and histograms are summed over the files every process of this host's
group wrote there; without it (runserver, tests) they are this process's own. The web adds the
database figures (figures.DatabaseFigures); the cluster's port serves its processes' only.
"""

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

from slaops.metrics.figures import DatabaseFigures
from slaops.metrics.multiproc import multiprocess_dir


class _Everything:
    """This process's own default registry, seen as one collector."""

    def collect(self):
        return REGISTRY.collect()


def process_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if multiprocess_dir() is not None:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Everything())
    return registry


def web_registry() -> CollectorRegistry:
    registry = process_registry()
    registry.register(DatabaseFigures())
    return registry


_WEB = None


def web_page() -> bytes:
    global _WEB  # noqa: PLW0603 - built once per process, on the first scrape
    if _WEB is None:
        _WEB = web_registry()
    return generate_latest(_WEB)
