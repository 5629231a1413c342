"""The orchestrator's probes, answered by the first middleware: before the host check (probes
send the pod's address as Host) and the HTTPS redirect (a 301 would count as success), never
redirected, never logged in.

- /healthz  liveness: the process answers. Touches no database: a database outage must not get
  every web process restarted.
- /readyz   readiness: `SELECT 1` answered within 1 s, the migrations checked (once per process),
  and not draining after SIGTERM (slaops/health/draining.py). A stopped task cluster or a broken
  cache does not take the web tier out of rotation: /status reports those.
- /startupz start-up: the database has every migration this code knows. Checked until it passes
  once, then remembered for the life of the process.

Answers are a tiny JSON object saying which check failed, never why in detail (no host names).
"""

import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.db import connection
from django.http import HttpResponse

from slaops.health import draining

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 1.0  # seconds: the decided readiness budget
MIGRATIONS_TIMEOUT = 5.0


class DatabaseProbe:
    """Database questions asked from one thread of their own, so a caller waits at most its
    timeout even when connecting hangs; a question still unanswered is not asked again (the
    next caller waits on it), so a hung database never piles up threads or connections."""

    def __init__(self) -> None:
        self._executor = None
        self._lock = threading.Lock()
        self._pending: dict[str, Future] = {}
        self.migrated = False

    def ask(self, question, timeout: float) -> bool:
        with self._lock:
            if self._executor is None:
                # Made on first use, in the process that serves (never before a fork).
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe")
            future = self._pending.get(question.__name__)
            if future is None or future.done():
                future = self._executor.submit(_closing_on_error, question)
                self._pending[question.__name__] = future
        try:
            return bool(future.result(timeout=timeout))
        except FutureTimeout:
            return False
        except Exception as error:  # noqa: BLE001 - any failure is "not ready"
            log.warning("health probe: %s failed: %s", question.__name__, type(error).__name__)
            return False

    def database_answers(self) -> bool:
        return self.ask(_select_one, DATABASE_TIMEOUT)

    def migrations_applied(self) -> bool:
        if not self.migrated:
            self.migrated = self.ask(_no_unapplied_migrations, MIGRATIONS_TIMEOUT)
        return self.migrated


def _closing_on_error(question):
    connection.close_if_unusable_or_obsolete()
    try:
        return question()
    except Exception:
        connection.close()  # the next question connects afresh
        raise


def _select_one() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _no_unapplied_migrations() -> bool:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


PROBE = DatabaseProbe()


def liveness() -> tuple[int, dict]:
    return 200, {"status": "ok"}


def readiness() -> tuple[int, dict]:
    if draining.draining():
        return 503, {"status": "unavailable", "reason": "draining"}
    if not PROBE.migrations_applied():
        return 503, {"status": "unavailable", "reason": "migrations"}
    if not PROBE.database_answers():
        return 503, {"status": "unavailable", "reason": "database"}
    return 200, {"status": "ok"}


def start_up() -> tuple[int, dict]:
    if not PROBE.migrations_applied():
        return 503, {"status": "starting", "reason": "migrations"}
    return 200, {"status": "ok"}


PROBES = {"/healthz": liveness, "/readyz": readiness, "/startupz": start_up}


class HealthProbes:
    """Answers the probe paths itself; every other request goes on down the middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = as_response(405, {"status": "method not allowed"})
            response["Allow"] = "GET, HEAD"
            return response
        return as_response(*probe())


def as_response(code: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=code, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response
