"""Benchmark: from a clock's due time to its alert arriving at a local Slack stand-in.

A real `qcluster` with the default timetable (slaops/schedules.py) runs against a scratch
PostgreSQL database; a few hundred clocks fall due over about two minutes; a local HTTP server
plays Slack and notes when each alert arrives. Baseline in the same run: the same clocks with
the evaluator ticking only once per scheduled run (SLA_TICK_SECONDS=0), which is what a plain
one-minute schedule gives. Goal: p99 <= 60 s with the default schedule.

Run from the repository root: .venv/bin/python bench/alert_latency.py [clocks] [spread seconds]
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import setup, truncate_threads  # noqa: E402

GOAL_P99 = 60.0


class Receiver:
    def __init__(self):
        self.arrivals: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                text = json.loads(body).get("text", "")
                receiver.arrivals.setdefault(text, time.time())
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/slack"


def seed(count: int, spread: float, receiver: Receiver) -> dict[int, datetime]:
    from django.utils import timezone

    from policies.models import AlertChannel, NotificationRule, SlaPolicy
    from threads.models import SlaClock
    from threads.services import thread_create

    truncate_threads()
    policy = SlaPolicy.objects.get(name="Urgent on-call (24/7)")
    channel, _ = AlertChannel.objects.update_or_create(
        name="bench slack", defaults={"kind": "slack", "url": receiver.url, "enabled": True}
    )
    rule, _ = NotificationRule.objects.get_or_create(policy=policy, events=["breaching"])
    rule.channels.add(channel)
    now = timezone.now()
    due = {}
    for i in range(count):
        thread = thread_create(subject=f"latency {i}", first_message="help", priority="urgent")
        clock = SlaClock.objects.get(thread=thread.thread, metric="first_response")
        due_at = now + timedelta(seconds=20 + spread * i / count)
        SlaClock.objects.filter(pk=clock.pk).update(due_at=due_at, warn_at=None)
        due[thread.thread.pk] = due_at
    return due


def run(label, count, spread, tick_seconds, url):
    from django.conf import settings

    from slaops.schedules import ensure_schedules

    receiver = Receiver()
    due = seed(count, spread, receiver)
    ensure_schedules()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "slaops.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.SALT_KEY),
        "SLA_TICK_SECONDS": str(tick_seconds),
        # The receiver is a local server: let alerts go to it.
        "SLA_HTTP_ALLOWED_HOSTS": "127.0.0.1",
        "SLA_ALLOW_PRIVATE_DESTINATIONS": "true",
        "LOG_LEVEL": "WARNING",
    }
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 20 + spread + 150
    try:
        while time.time() < deadline and len(receiver.arrivals) < count:
            time.sleep(1)
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=60)  # a running evaluate task finishes its ticks first
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=10)
        receiver.httpd.shutdown()
    latencies = []
    for thread_id, due_at in due.items():
        arrived = next(
            (t for text, t in receiver.arrivals.items() if f"#{thread_id} " in text), None
        )
        if arrived is not None:
            latencies.append(arrived - due_at.timestamp())
    latencies.sort()
    missing = count - len(latencies)
    if not latencies:
        return label, 0, missing, float("nan"), float("nan"), float("nan")
    p = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]  # noqa: E731
    return label, len(latencies), missing, statistics.median(latencies), p(0.99), latencies[-1]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    spread = float(sys.argv[2]) if len(sys.argv) > 2 else 120
    url = setup(name="latency")
    os.environ.pop("REDIS_URL", None)
    print(f"$ .venv/bin/python bench/alert_latency.py {count} {spread:g}")
    print(f"{count} urgent clocks due over {spread:g} s; one qcluster (ORM broker), PostgreSQL")
    rows = [
        run("default: 1-min schedule, 15 s ticks", count, spread, 15, url),
        run("baseline: 1 tick per 1-min run", count, spread, 0, url),
    ]
    truncate_threads()
    print()
    print(f"{'schedule':<38}{'alerts':>7}{'lost':>6}{'p50 s':>8}{'p99 s':>8}{'max s':>8}")
    print("-" * 75)
    for label, n, missing, p50, p99, worst in rows:
        print(f"{label:<38}{n:>7}{missing:>6}{p50:>8.1f}{p99:>8.1f}{worst:>8.1f}")
    print()
    p99 = rows[0][4]
    print(
        f"ratio p99 default/baseline: {p99 / rows[1][4]:.2f}; goal p99 <= {GOAL_P99:g} s: "
        f"{p99:.1f} s {'PASS' if p99 <= GOAL_P99 and rows[0][2] == 0 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
