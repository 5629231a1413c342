"""Real django-q2 clusters on PostgreSQL + Redis: 1,000 clocks due at once, every transition and
every alert exactly once — also when a cluster is killed with SIGKILL in the middle of a run.

These start `manage.py qcluster` processes against the test database and a local webhook
receiver; they wait for those processes with a bounded poll (real processes cannot be
time-travelled).
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from policies.models import AlertChannel, NotificationRule
from tests.factories import policy, tier
from tests.threads.servers import http_server
from threads.models import ClockState, Delivery, EventKind, SlaClock, SlaEvent

ROOT = Path(__file__).resolve().parents[2]
DUE = 1000
pytestmark = [
    pytest.mark.server("postgres"),
    pytest.mark.server("redis"),
    pytest.mark.django_db(transaction=True),
]


def database_url() -> str:
    db = connection.settings_dict
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def start_cluster(tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slaops.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "SLAOPS_VAR_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,  # tasks are signed: both sides need the same key
        "Q_WORKERS": "2",
        "SLA_TICK_SECONDS": "0",
        "SLA_DELIVERY_LEASE_SECONDS": "3",
        # The receiver is a local server: let alerts go to it.
        "SLA_HTTP_ALLOWED_HOSTS": "127.0.0.1",
        "SLA_ALLOW_PRIVATE_DESTINATIONS": "true",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLAOPS_TEST_SERVERS", None)
    log = open(tmp_path / f"qcluster-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(cluster: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if cluster.poll() is None:
        os.killpg(cluster.pid, sig)
    try:
        cluster.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)


def due_clocks(receiver, tmp_path) -> AlertChannel:
    """DUE threads whose first response is past due, alerting a webhook on breach."""
    from django.core.management import call_command

    tier("Free", default=True)
    gold = policy("Around the clock", targets=[("first_response", "", 60)])
    hook = AlertChannel.objects.create(name="receiver", kind="webhook", url=receiver.url("/hook"))
    rule = NotificationRule.objects.create(policy=gold, events=["breaching"])
    rule.channels.add(hook)
    opened = timezone.now() - timedelta(minutes=30)
    lines = [
        json.dumps(
            {
                "external_id": f"q-{i}",
                "subject": f"race {i}",
                "created_at": opened.isoformat(),
                "events": [{"type": "customer_message", "at": opened.isoformat()}],
            }
        )
        for i in range(DUE)
    ]
    path = tmp_path / "due.jsonl"
    path.write_text("\n".join(lines) + "\n")
    call_command("import_threads", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115
    moved = SlaClock.objects.filter(metric="first_response", state=ClockState.PENDING).update(
        due_at=timezone.now() - timedelta(seconds=1), warn_at=None
    )
    assert moved == DUE
    return hook


def enqueue(func: str, times: int) -> None:
    from django_q.tasks import async_task

    for _ in range(times):
        async_task(func)


def wait_until(done, *, timeout: float, nudge=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        if nudge:
            nudge()
        time.sleep(0.5)
    raise AssertionError("the clusters did not finish in time")


def all_sent() -> bool:
    return Delivery.objects.filter(status="sent").count() == DUE


def assert_exactly_once() -> None:
    breaching = SlaEvent.objects.filter(kind=EventKind.BREACHING)
    assert breaching.count() == DUE
    per_clock = Counter(breaching.values_list("clock_id", flat=True))
    assert set(per_clock.values()) == {1}
    assert Delivery.objects.count() == DUE
    assert Delivery.objects.exclude(status="sent").count() == 0


@pytest.fixture
def clean_queue():
    from django_q.brokers import get_broker

    broker = get_broker()
    broker.purge_queue()
    yield
    broker.purge_queue()


def test_two_clusters_move_1000_due_clocks_and_alert_each_once(tmp_path, clean_queue):
    with http_server({"/hook": ["200"]}) as receiver:
        due_clocks(receiver, tmp_path)
        clusters = [start_cluster(tmp_path), start_cluster(tmp_path)]
        try:
            enqueue("threads.tasks.evaluate", 6)
            wait_until(all_sent, timeout=120, nudge=lambda: enqueue("threads.tasks.deliver", 1))
        finally:
            for cluster in clusters:
                stop(cluster)
        assert_exactly_once()
        ids = Counter(r.headers["webhook-id"] for r in receiver.to("/hook"))
        assert len(ids) == DUE
        assert max(ids.values()) == 1  # no cluster sent anything twice


def test_a_cluster_killed_mid_run_loses_and_doubles_nothing(tmp_path, clean_queue):
    with http_server({"/hook": ["200"]}) as receiver:
        due_clocks(receiver, tmp_path)
        victim, survivor = start_cluster(tmp_path), start_cluster(tmp_path)
        replacement = None
        try:
            enqueue("threads.tasks.evaluate", 6)
            wait_until(
                lambda: len(receiver.to("/hook")) >= 50,
                timeout=60,
                nudge=lambda: enqueue("threads.tasks.deliver", 1),
            )
            stop(victim, signal.SIGKILL)
            replacement = start_cluster(tmp_path)
            enqueue("threads.tasks.evaluate", 2)
            wait_until(all_sent, timeout=120, nudge=lambda: enqueue("threads.tasks.deliver", 1))
        finally:
            for cluster in (victim, survivor, replacement):
                if cluster is not None:
                    stop(cluster)
        assert_exactly_once()
        ids = Counter(r.headers["webhook-id"] for r in receiver.to("/hook"))
        assert len(ids) == DUE  # nothing lost
        # A send the killed worker had finished but not yet recorded goes out again, with the
        # same webhook-id so the receiver drops it: at most its in-flight sends.
        assert sum(n - 1 for n in ids.values()) <= 16
