"""Benchmark: messages per second through the REST API (gunicorn, 2 workers, PostgreSQL).

Each request adds a message to a thread through POST /api/v1/threads/{id}/messages/, customer
and agent messages alternating, so clocks start and stop on every request. Baseline in the same
run: the same requests on threads that no SLA policy matches (no clock work), which shows what
the SLA rules cost on top of Django and DRF. Goal: >= 300 messages/s with clocks.

Run from the repository root: .venv/bin/python bench/api_ingest.py [seconds per row]
"""

import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import setup, truncate_threads  # noqa: E402

PORT = 8765
CLIENTS = 8
THREADS_PER_ROW = 200
GOAL = 300
SOURCE = "bench"  # the threads' source, the one the benchmark's API key may change


def prepare(channel: str) -> list[int]:
    from datetime import timedelta

    from django.utils import timezone

    from threads import services

    start = timezone.now() - timedelta(hours=1)
    return [
        services.thread_create(
            subject=f"bench {i}",
            first_message="hello",
            channel=channel,
            created_at=start,
            source=SOURCE,
        ).thread.pk
        for i in range(THREADS_PER_ROW)
    ]


def load(thread_ids: list[int], token: str, seconds: float) -> tuple[int, list[float], int]:
    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        turn = seed % 2
        while time.monotonic() < stop_at:
            thread_id = rng.choice(thread_ids)
            author = "customer" if turn else "agent"
            turn ^= 1
            body = json.dumps({"author": author, "body": "bench message"})
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            try:
                conn.request(
                    "POST",
                    f"/api/v1/threads/{thread_id}/messages/",
                    body,
                    {"Authorization": f"Api-Key {token}", "Content-Type": "application/json"},
                )
                response = conn.getresponse()
                response.read()
                ok = response.status == 201
            except OSError:
                ok = False
            finally:
                conn.close()
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[0] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(latencies), latencies, errors[0]


WRK_SCRIPT = """
local ids = {%(ids)s}
local n = 0
request = function()
  n = n + 1
  local author = (n %% 2 == 0) and "agent" or "customer"
  return wrk.format("POST", "/api/v1/threads/" .. ids[math.random(#ids)] .. "/messages/",
    {["Authorization"] = "Api-Key %(token)s", ["Content-Type"] = "application/json"},
    '{"author": "' .. author .. '", "body": "bench message"}')
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%f %%f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def load_with_wrk(thread_ids, token, seconds):
    """wrk (C, from Debian's package) leaves the two cores to the server, unlike Python."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"ids": ", ".join(map(str, thread_ids)), "token": token})
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CLIENTS}",
            f"-d{seconds:g}s",
            "-s",
            script.name,
            f"http://127.0.0.1:{PORT}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    os.unlink(script.name)
    _, requests, errors, p50, p95 = next(
        line for line in out.splitlines() if line.startswith("RESULT")
    ).split()
    return int(requests) - int(errors), float(p50), float(p95), int(errors)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    url = setup(name="api")
    from integrations.models import IntegrationKey
    from policies.models import SlaPolicy

    print(f"$ .venv/bin/python bench/api_ingest.py {seconds:g}")
    truncate_threads()
    # The demo policies all take e-mail; phone threads match none when channels are limited.
    SlaPolicy.objects.update(channels=["email", "slack", "chat", "web", "api"])
    with_sla = prepare("email")
    without_sla = prepare("phone")
    IntegrationKey.objects.filter(name="bench").delete()
    _, token = IntegrationKey.objects.create_key(name="bench", source=SOURCE)
    # The benchmark measures throughput, not the rate limit.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SLA_API_RATE_KEY": "1000000/min",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "slaops.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        load(with_sla[:10], token, 1.0)  # warm both workers
        rows = []
        for label, ids in (
            ("with SLA clocks", with_sla),
            ("baseline: no policy matches", without_sla),
        ):
            if shutil.which("wrk"):
                count, p50, p95, errors = load_with_wrk(ids, token, seconds)
            else:
                count, latencies, errors = load(ids, token, seconds)
                latencies.sort()
                p50 = statistics.median(latencies) * 1000
                p95 = latencies[int(len(latencies) * 0.95)] * 1000
            rows.append((label, count / seconds, p50, p95, errors))
        # An honest baseline: its threads matched no policy and grew no clock, before and after.
        from threads.models import SlaClock, Thread

        assert not Thread.objects.filter(pk__in=without_sla, policy__isnull=False).exists()
        assert not SlaClock.objects.filter(thread_id__in=without_sla).exists()
        assert SlaClock.objects.filter(thread_id__in=with_sla).exists()
    finally:
        server.terminate()
        server.wait(timeout=15)
        SlaPolicy.objects.update(channels=[])
        truncate_threads()
    print(
        f"gunicorn 2 sync workers, PostgreSQL, {CLIENTS} connections from "
        + ("wrk" if shutil.which("wrk") else "a Python client (apt-get install wrk: less noise)")
        + ", "
        f"{seconds:g} s per row"
    )
    print()
    print(f"{'requests':<30}{'msgs/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    print("-" * 65)
    for label, rate, p50, p95, errors in rows:
        print(f"{label:<30}{rate:>9,.0f}{p50:>9.1f}{p95:>9.1f}{errors:>8}")
    print()
    rate = rows[0][1]
    print(
        f"ratio with/without clocks: {rate / rows[1][1]:.2f}; goal >= {GOAL} msgs/s with clocks: "
        f"{rate:,.0f} {'PASS' if rate >= GOAL else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
