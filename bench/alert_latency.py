"""Benchmark: from a clock's due time to the first send attempt of its alert (a local Slack
stand-in), read from the delivery log.

A real `qcluster` with the default timetable (slaops/schedules.py), its evaluator already ticking,
runs against a scratch
PostgreSQL database; a few hundred clocks fall due over about two minutes; a local HTTP server
plays Slack. The default cadence: the evaluator's chain ticks every SLA_TICK_SECONDS (5) and
queues its own next run (threads/evaluator_chain.py). Baseline in the same run: the same clocks
with one tick per scheduled run (SLA_TICK_SECONDS=0), what a plain one-minute schedule gives.
Goal (issue 24): p99 <= 15 s with the default cadence, nothing lost.

Run from the repository root: .venv/bin/python bench/alert_latency.py [clocks] [spread seconds]
"""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.alert_figures import first_attempts, percentiles, tick_soon, wait_ticking  # noqa: E402
from bench.django_setup import load_average, setup, truncate_threads  # noqa: E402

GOAL_P99 = 15.0


class Receiver:
    def __init__(self):
        self.messages = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                receiver.messages += 1  # one alert, or several grouped
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


def seed(count: int, spread: float, receiver: Receiver) -> dict[int, float]:
    from django.utils import timezone

    from policies.models import AlertChannel, NotificationRule, SlaPolicy
    from threads.models import SlaClock
    from threads.services import thread_create

    truncate_threads()
    policy = SlaPolicy.objects.get(name="Urgent on-call (24/7)")
    channel, _ = AlertChannel.objects.update_or_create(
        name="bench slack", defaults={"kind": "slack", "url": receiver.url, "enabled": True}
    )
    # Only the bench's Slack stand-in hears of these breaches (the demo's own rules stay quiet).
    NotificationRule.objects.filter(policy=policy).delete()
    rule = NotificationRule.objects.create(
        policy=policy, events=["breaching"], to_assignee=False, in_app=False
    )
    rule.channels.add(channel)
    ids = [
        thread_create(subject=f"latency {i}", first_message="help", priority="urgent").thread.pk
        for i in range(count)
    ]
    now = timezone.now()  # after the threads are made, so no clock is due before it exists
    due = {}
    for i, thread_id in enumerate(ids):
        due_at = now + timedelta(seconds=20 + spread * i / count)
        SlaClock.objects.filter(thread_id=thread_id, metric="first_response").update(
            due_at=due_at, warn_at=None
        )
        due[thread_id] = due_at.timestamp()
    return due


def run(label, count, spread, tick_seconds, url):
    from django.conf import settings

    from slaops.schedules import ensure_schedules
    from threads.models import Delivery

    receiver = Receiver()
    ensure_schedules()
    asked = tick_soon()
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
    wait_ticking(asked)  # the chain ticks before the clocks fall due
    due = seed(count, spread, receiver)
    deadline = time.time() + 20 + spread + 150
    loads = []
    try:
        ours = Delivery.objects.filter(event__thread_id__in=list(due), status="sent")
        while time.time() < deadline and ours.count() < count:
            time.sleep(1)
            loads.append(os.getloadavg()[0])
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=60)  # a running evaluate task finishes its ticks first
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=10)
        receiver.httpd.shutdown()
    latencies, never, unsent = first_attempts(due)
    return {
        "label": label,
        "alerts": len(latencies),
        "lost": count - len(latencies) + unsent - never,
        "figures": percentiles(latencies),
        "messages": receiver.messages,
        "load": max(loads, default=0.0),
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    spread = float(sys.argv[2]) if len(sys.argv) > 2 else 120
    url = setup(name="latency")
    os.environ.pop("REDIS_URL", None)
    print(f"$ .venv/bin/python bench/alert_latency.py {count} {spread:g}")
    print(f"{count} urgent clocks due over {spread:g} s; one qcluster (ORM broker), PostgreSQL")
    rows = [
        run("default: 5 s chained ticks", count, spread, 5, url),
        run("baseline: 1 tick per 1-min run", count, spread, 0, url),
    ]
    truncate_threads()
    print()
    head = f"{'cadence':<34}{'alerts':>7}{'lost':>6}{'p50 s':>8}{'p99 s':>8}{'max s':>8}"
    print(head + f"{'msgs':>6}{'peak load':>11}")
    print("-" * 88)
    for row in rows:
        p50, p99, worst = row["figures"]
        print(
            f"{row['label']:<34}{row['alerts']:>7}{row['lost']:>6}{p50:>8.1f}{p99:>8.1f}"
            f"{worst:>8.1f}{row['messages']:>6}{row['load']:>11.2f}"
        )
    print()
    p99, base = rows[0]["figures"][1], rows[1]["figures"][1]
    ok = p99 <= GOAL_P99 and rows[0]["lost"] == 0
    print(
        f"ratio p99 default/baseline: {p99 / base:.2f}; goal p99 <= {GOAL_P99:g} s from the "
        f"instant to the first send attempt: {p99:.1f} s {'PASS' if ok else 'FAIL'}"
    )
    print(f"# {load_average()} at the end")


if __name__ == "__main__":
    main()
