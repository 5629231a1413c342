"""The scale-out shape with real processes: two web processes (gunicorn with
slaops/gunicorn_conf.py), two task clusters on Redis and PostgreSQL, a burst of alerts to a
local webhook; one cluster is killed (SIGKILL) mid-burst.

What an operator relies on then: every alert is delivered, a repeat only of a send in flight
and marked so with the same webhook-id; /status names the silent cluster and stays 200 while the
other beats; /metrics counts it; /readyz of both web processes never leaves 200 (a cluster is not
the web tier's business); the survivor's heartbeat row and file, the evaluator's ticks and the
dead man's switch ping carry on. Real processes cannot be time-travelled: bounded polls.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from slaops.health import heartbeats
from slaops.models import Heartbeat
from tests.metrics.scrape import value
from tests.threads.servers import free_port, http_server
from tests.threads.test_qcluster import (  # noqa: F401 - clean_queue is a fixture
    ROOT,
    clean_queue,
    database_url,
    due_clocks,
    enqueue,
    start_cluster,
    stop,
    wait_until,
)
from threads.models import Delivery, DeliveryAttempt

pytestmark = [
    pytest.mark.server("postgres"),
    pytest.mark.server("redis"),
    pytest.mark.django_db(transaction=True),
]
ALERTS = 200
TOKEN = "scale-out-metrics-token"


def start_web(tmp_path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slaops.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "SLAOPS_VAR_DIR": str(tmp_path / f"web-{port}"),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.SALT_KEY),
        "METRICS_TOKEN": TOKEN,
        "SLA_METRICS_REFRESH_SECONDS": "1",
        "SLA_HEALTH_CLUSTER_SECONDS": "5",  # a killed cluster shows as silent within seconds
        "SLAOPS_DRAIN_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLAOPS_TEST_SERVERS", None)
    log = open(tmp_path / f"web-{port}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:slaops.gunicorn_conf", "slaops.wsgi"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def get(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - 127.0.0.1
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


class ReadinessWatch:
    """Asks /readyz of every web process every 0.2 s until stopped; keeps every answer."""

    def __init__(self, ports):
        self.ports = ports
        self.answers: dict[int, list[int]] = {port: [] for port in ports}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.done.is_set():
            for port in self.ports:
                self.answers[port].append(get(port, "/readyz")[0])
            self.done.wait(0.2)


def cluster_env(tmp_path, name: str, hook_url: str) -> dict:
    var = tmp_path / name
    return {
        "SLAOPS_VAR_DIR": str(var),
        "SLA_TICK_SECONDS": "2",
        "SLA_CHAIN_QUIET_SECONDS": "6",  # the survivor takes a killed cluster's chain over soon
        "SLA_CLUSTER_BEAT_SECONDS": "1",
        "SLA_DELIVERY_LEASE_SECONDS": "8",
        "HEARTBEAT_URL": hook_url,
        "SLA_HEARTBEAT_EVERY_SECONDS": "2",
    }


class Schedule:
    """Queues an evaluator run every 3 s, as the backstop schedule would."""

    def __init__(self):
        self.last = 0.0

    def __call__(self):
        if time.monotonic() - self.last >= 3:
            self.last = time.monotonic()
            enqueue("threads.tasks.evaluate", 1)


def heartbeat_file(tmp_path, name: str) -> Path:
    return tmp_path / name / "qcluster.heartbeat"


def test_two_webs_and_two_clusters_keep_alerting_and_report_a_killed_cluster(
    tmp_path,
    clean_queue,  # noqa: F811 - the fixture imported above
):
    started = time.monotonic()
    answered = []

    def slow(request):  # a burst that lasts a few seconds, so the kill falls within it
        time.sleep(0.02)
        answered.append(request.headers["webhook-id"])
        return "200"

    with http_server({"/hook": [slow], "/ping": ["200"]}) as receiver:
        due_clocks(receiver, tmp_path, count=ALERTS)
        Heartbeat.objects.all().delete()
        ports = [free_port(), free_port()]
        webs = [start_web(tmp_path, port) for port in ports]
        ping = receiver.url("/ping")
        victim = start_cluster(tmp_path, **cluster_env(tmp_path, "victim", ping))
        survivor = start_cluster(tmp_path, **cluster_env(tmp_path, "survivor", ping))
        watch = ReadinessWatch(ports)
        schedule = Schedule()
        try:
            wait_until(lambda: all(get(port, "/readyz")[0] == 200 for port in ports), timeout=30)
            watch.thread.start()
            enqueue("threads.tasks.evaluate", 2)  # the first starts the chain, the other yields
            wait_until(lambda: len(answered) >= 40, timeout=40)
            stop(victim, signal.SIGKILL)
            killed_at = time.time()
            # Standing in for the one-minute schedule (django-q2 looks only every 30 s): if the
            # killed cluster held the evaluator's chain, a scheduled run takes it over.
            wait_until(
                lambda: Delivery.objects.filter(status="sent").count() == ALERTS,
                timeout=40,
                nudge=schedule,
            )
            # The survivor beats on: its row, its file, the evaluator's ticks, the ping.
            pings_before = len(receiver.to("/ping"))
            beat_file = heartbeat_file(tmp_path, "survivor")
            wait_until(
                lambda: (
                    (heartbeats.last_beat(heartbeats.EVALUATOR) or killed_at).timestamp()
                    > killed_at + 6
                    and beat_file.stat().st_mtime > killed_at + 6
                    and len(receiver.to("/ping")) > pings_before
                ),
                timeout=20,
                nudge=schedule,
            )
            status = [get(port, "/status", TOKEN) for port in ports]
            metrics = get(ports[1], "/metrics", TOKEN)
        finally:
            watch.done.set()
            for process in (victim, survivor, *webs):
                stop(process)

    # Every alert went out; a repeat only of a send the killed cluster had in flight, with the
    # same webhook-id, and marked as a possible repeat in the delivery log.
    assert Delivery.objects.count() == ALERTS
    assert not Delivery.objects.exclude(status="sent").exists()
    ids = Counter(answered)
    assert len(ids) == ALERTS
    repeated = {uuid.UUID(hook_id.removeprefix("dlv_")) for hook_id, n in ids.items() if n > 1}
    marked = set(
        DeliveryAttempt.objects.filter(may_be_repeat=True).values_list("delivery__uid", flat=True)
    )
    assert repeated <= marked
    assert len(repeated) <= settings.SLA_DELIVERY_THREADS

    # /status on both web processes: 200, one cluster beating, the killed one silent.
    for code, body in status:
        assert code == 200, body
        report = json.loads(body)
        assert report["status"] == "degraded"
        cluster = report["checks"]["task_cluster"]
        assert (cluster["clusters_beating"], cluster["clusters_silent"]) == (1, 1)
        assert report["checks"]["evaluator"]["state"] == "ok"
    code, text = metrics
    assert code == 200
    assert value(text, "slaops_task_clusters", state="silent") == 1
    assert value(text, "slaops_task_clusters", state="beating") == 1
    assert value(text, "slaops_database_figures_up") == 1
    assert value(text, "slaops_delivery_backlog_oldest_seconds") == 0

    # The load balancer never saw either web process unready.
    for port, answers in watch.answers.items():
        assert answers and set(answers) == {200}, port
    # The killed cluster's row stays behind (it could not say goodbye); the survivor, stopped
    # cleanly at the end, removed its own.
    assert len(heartbeats.last_beats(heartbeats.CLUSTER_PREFIX)) == 1
    assert time.monotonic() - started < 60
