"""Real django-q2 clusters on PostgreSQL + Redis: 1,000 clocks due at once, every transition and
every alert exactly once — also when a cluster is killed with SIGKILL in the middle of a run.

These start `manage.py qcluster` processes against the test database and a local webhook
receiver; they wait for those processes with a bounded poll (real processes cannot be
time-travelled).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from policies.models import AlertChannel, NotificationRule
from tests.factories import policy, tier
from tests.threads.servers import free_port, http_server
from threads.models import ClockState, Delivery, DeliveryAttempt, EventKind, SlaClock, SlaEvent

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


def start_cluster(tmp_path, **overrides) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slaops.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "SLAOPS_VAR_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,  # tasks are signed: both sides need the same key
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.SALT_KEY),  # and read its secrets
        "Q_WORKERS": "2",
        "SLA_TICK_SECONDS": "0",
        # The receiver is a local server: let alerts go to it.
        "SLA_HTTP_ALLOWED_HOSTS": "127.0.0.1",
        "SLA_ALLOW_PRIVATE_DESTINATIONS": "true",
        "LOG_LEVEL": "WARNING",
        **overrides,
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


def due_clocks(receiver, tmp_path, count=DUE) -> AlertChannel:
    """`count` threads whose first response is past due, alerting a webhook on breach."""
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
        for i in range(count)
    ]
    path = tmp_path / "due.jsonl"
    path.write_text("\n".join(lines) + "\n")
    call_command("import_threads", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115
    moved = SlaClock.objects.filter(metric="first_response", state=ClockState.PENDING).update(
        due_at=timezone.now() - timedelta(seconds=1), warn_at=None
    )
    assert moved == count
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


def test_a_cluster_killed_mid_send_has_its_deliveries_taken_over_within_30_s_and_each_repeat_marked(
    tmp_path, clean_queue
):
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
            killed_at = time.monotonic()
            sending = Delivery.objects.filter(status="sending")
            held = dict(sending.values_list("pk", "claimed_until"))
            replacement = start_cluster(tmp_path)
            # No nudges: the running clusters take the dead one's deliveries over by themselves.
            wait_until(
                lambda: (
                    not Delivery.objects.filter(
                        pk__in=held, status="sending", claimed_until__lte=max(held.values())
                    ).exists()
                ),
                timeout=60,
            )
            taken_over_after = time.monotonic() - killed_at
            wait_until(all_sent, timeout=120, nudge=lambda: enqueue("threads.tasks.deliver", 1))
        finally:
            for cluster in (victim, survivor, replacement):
                if cluster is not None:
                    stop(cluster)
        assert held, "the killed cluster was sending nothing"
        assert taken_over_after <= 30
        assert_exactly_once()
        ids = Counter(r.headers["webhook-id"] for r in receiver.to("/hook"))
        assert len(ids) == DUE  # nothing lost
        # A send the killed worker had made but not recorded goes out again, with the same
        # webhook-id so the receiver drops it; every such repeat is marked in the attempt log.
        repeated = [uuid.UUID(hook_id.removeprefix("dlv_")) for hook_id, n in ids.items() if n > 1]
        assert len(repeated) <= 16
        marked = set(
            DeliveryAttempt.objects.filter(
                may_be_repeat=True, error__contains="may be a repeat"
            ).values_list("delivery__uid", flat=True)
        )
        assert set(repeated) <= marked


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pgid: int, *, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if not group_alive(pgid):
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"processes of group {pgid} still running after {within} s")


@pytest.mark.parametrize("to_group", [False, True], ids=["to-qcluster", "to-its-process-group"])
def test_sigterm_stops_qcluster_within_10_s_and_the_in_flight_delivery_is_recorded_sent(
    tmp_path, clean_queue, to_group
):
    in_flight = threading.Event()

    def slow_answer(request):
        in_flight.set()
        time.sleep(3)
        return "200"

    with http_server({"/hook": [slow_answer]}) as receiver:
        due_clocks(receiver, tmp_path, count=1)
        # Evaluation ticks every 15 s for most of a minute, as in production.
        cluster = start_cluster(tmp_path, SLA_TICK_SECONDS="15")
        try:
            enqueue("threads.tasks.evaluate", 1)
            assert in_flight.wait(timeout=60)
            # Tasks fetched before the stop return at once instead of running first.
            enqueue("threads.tasks.evaluate", 10)
            time.sleep(0.5)
            if to_group:
                os.killpg(cluster.pid, signal.SIGTERM)
            else:
                cluster.send_signal(signal.SIGTERM)
            cluster.wait(timeout=15)
            took = wait_gone(cluster.pid, within=10)
        finally:
            stop(cluster, signal.SIGKILL)
        assert took <= 10
        assert [r.path for r in receiver.requests] == ["/hook"]
    row = Delivery.objects.get()
    assert row.status == "sent"
    assert [a.ok for a in row.log.all()] == [True]


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of a session, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry))
    return found


def test_ctrl_c_on_serve_stops_the_web_server_and_the_cluster_with_all_workers_within_10_s(
    tmp_path, clean_queue
):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slaops.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "SLAOPS_VAR_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.SALT_KEY),  # and read its secrets
        "Q_WORKERS": "2",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLAOPS_TEST_SERVERS", None)
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the session stands for the terminal
    )
    try:
        # serve, gunicorn + 2 workers, qcluster + sentinel + 2 workers + monitor + pusher
        wait_until(lambda: len(session_processes(serve.pid)) >= 10, timeout=60)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        os.killpg(serve.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
        started = time.monotonic()
        while session_processes(serve.pid) and time.monotonic() - started < 10:
            time.sleep(0.1)
        left = session_processes(serve.pid)
        serve.wait(timeout=5)
    finally:
        for pid in session_processes(serve.pid):
            os.kill(pid, signal.SIGKILL)
    assert left == []
    assert serve.returncode == 0
