"""manage.py qcluster: django-q2's cluster, stopped cleanly by SIGTERM or Ctrl-C.

django-q2's own command stops badly, in three ways this fixes:
- Its signal handler does the whole stop inside the handler (sets a multiprocessing Event and
  joins the sentinel), which can deadlock on a lock the interrupted code holds (django-q2 issue
  #346). Here the handler only raises a flag; the stop runs in the main loop.
- Workers run every task already fetched into the cluster's queue (up to `queue_limit`) before
  they reach their stop pill: a stop took as long as all of them. Here the stop flag
  (slaops.stopping) is raised first, so running tasks wind down and fetched ones return at once.
- A SIGTERM to the whole process group (systemd, `kill -- -pgid`) kills the sentinel at once
  (it keeps the default handler) and each worker in the middle of its task. Here a worker
  finishes its task and exits, and this process waits for it before exiting.

It also writes the timetable (slaops/schedules.py) before starting, so a changed setting such as
SLA_EVALUATE_EVERY reaches the schedule with the next cluster start, and beats its heartbeat
(slaops/health/heartbeats.py) every SLA_CLUSTER_BEAT_SECONDS while its sentinel lives, and with
SLA_CLUSTER_METRICS_PORT set serves its workers' metrics there (slaops/metrics/).
"""

import signal
import time

from django.core.management.base import CommandError
from django_q.management.commands.qcluster import Command as DjangoQCommand
from django_q.signals import post_execute_in_worker, post_spawn, pre_execute

from slaops import stopping
from slaops.health.heartbeats import ClusterHeartbeat
from slaops.metrics.multiproc import clear_multiprocess_dir, multiprocess_dir
from slaops.schedules import ensure_schedules, queue_at_start


def metrics_server_wanted() -> bool:
    """With a metrics port, the workers' figures must reach this process: through
    PROMETHEUS_MULTIPROC_DIR, emptied of an earlier run's files here, before any worker."""
    from django.conf import settings

    if not settings.SLA_CLUSTER_METRICS_PORT:
        return False
    if multiprocess_dir() is None:
        raise CommandError(
            "SLA_CLUSTER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR: a writable directory of "
            "this cluster's own, where its workers write their metrics."
        )
    clear_multiprocess_dir()
    return True


def start_metrics_server() -> None:
    from django.conf import settings
    from prometheus_client import start_http_server

    from slaops.metrics.exposition import process_registry

    port, address = settings.SLA_CLUSTER_METRICS_PORT, settings.SLA_CLUSTER_METRICS_ADDRESS
    start_http_server(port, addr=address, registry=process_registry())


class Command(DjangoQCommand):
    help = "Starts a Django Q cluster that stops cleanly on SIGTERM and Ctrl-C."

    def handle(self, *args, **options):
        from django.conf import settings
        from django.db import connections
        from django_q.cluster import Cluster

        settings.SECRET_KEY  # noqa: B018 - as django-q2: tasks are signed, so fail early
        ensure_schedules()
        # Connected before the sentinel forks the workers, which inherit them.
        post_spawn.connect(stopping.worker_spawned, dispatch_uid="slaops-stop")
        pre_execute.connect(stopping.task_starting, dispatch_uid="slaops-stop")
        post_execute_in_worker.connect(stopping.task_finished, dispatch_uid="slaops-stop")
        cluster = Cluster()  # installs django-q2's handlers; ours replace them
        asked = []

        def on_signal(signum, frame):
            stopping.request_stop()  # a plain write to shared memory: safe in a handler
            asked.append(signum)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        # The children must not share this process's database connection (the heartbeat's).
        connections.close_all()
        serve_metrics = metrics_server_wanted()
        cluster.start()
        queue_at_start()  # after the fork: the sentinel and workers do not share its connection
        if serve_metrics:
            # After the sentinel forked: no child inherits the server's thread.
            start_metrics_server()
        heartbeat = ClusterHeartbeat()
        if options.get("run_once"):
            asked.append(None)
        while not asked and cluster.sentinel.is_alive():
            heartbeat.beat_if_due(time.monotonic())
            cluster.sentinel.join(timeout=0.2)
        stopping.request_stop()
        heartbeat.stopped()
        cluster.stop()  # the sentinel's stop: pusher, stop pills, workers, results
        # If the sentinel was killed (a SIGTERM to the group), its workers finish on their own.
        timeout = settings.Q_CLUSTER["timeout"]
        for _ in range(timeout * 5):
            if stopping.busy_tasks() <= 0:
                break
            cluster.sentinel.join(timeout=0.2)
