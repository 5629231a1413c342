"""gunicorn's configuration for production: `gunicorn -c python:slaops.gunicorn_conf slaops.wsgi`.

A load balancer must stop sending requests before the process stops taking them. So the first
SIGTERM only starts the drain: /readyz answers 503 for SLAOPS_DRAIN_SECONDS (default 10; longer
than the probe's period times its failure threshold) while requests are still served, then
gunicorn stops as usual (its workers finish their requests within --graceful-timeout). A second
SIGTERM, or SIGINT/SIGQUIT, stops at once. Other options stay on the command line.

With PROMETHEUS_MULTIPROC_DIR set (one directory per gunicorn, writable, not shared with a task
cluster), the master empties it at start and drops a worker's live figures when it exits, as
prometheus_client's multiprocess mode asks.
"""

import os
import signal
import threading

from slaops.health import draining
from slaops.metrics import multiproc

DRAIN_SECONDS = float(os.environ.get("SLAOPS_DRAIN_SECONDS") or 10)


def when_ready(server):
    stop_now = server.handle_term

    def drain_then_stop():
        if draining.draining() or DRAIN_SECONDS <= 0:
            draining.start_draining()
            stop_now()  # raises StopIteration: gunicorn's own stop
        draining.start_draining()
        server.log.info("Draining for %ss: /readyz answers 503, then stopping", DRAIN_SECONDS)
        timer = threading.Timer(DRAIN_SECONDS, os.kill, (os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()

    server.handle_term = drain_then_stop


def on_starting(server):
    multiproc.clear_multiprocess_dir()


def child_exit(server, worker):
    multiproc.worker_exited(worker.pid)
