"""Benchmark: the inbox for an agent when 1,000,000 threads are open (PostgreSQL).

Seeds the threads and clocks of bench/queue_page.py (every thread a running first-response
clock; 10 % the agent's, 50 % someone else's, 40 % unassigned; 1 % waiting on the customer with
a paused resolution clock) plus one customer message per thread, of which one in 10,000 mentions
"SAML"; then VACUUM ANALYZE, then times the first page in-process with django.test.Client
(force_login): 100 requests per view after 5 warm ones. The page shows 50 threads with their most
urgent clock, the count (capped at 200) and the views. Baseline in the same run: 10,000
threads. Goal: p95 <= 150 ms at 1,000,000 for every view.

Run from the repository root: .venv/bin/python bench/inbox_page.py [sizes…]
(BENCH_REUSE=1 reuses the threads of an earlier run of the same size and keeps them.)
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import PLAIN_STORAGES, setup, time_page, truncate_threads  # noqa: E402
from bench.queue_page import seed as seed_threads  # noqa: E402

REQUESTS = 100
GOAL_MS = 150
VIEWS = [
    ("open, most urgent", ""),
    ("mine", "scope=mine"),
    ("my team's, breaching", "scope=teams&state=breaching"),
    ("unassigned, newest", "scope=unassigned&sort=-created"),
    ("urgent, e-mail", "priority=urgent&channel=email"),
    ("by priority", "sort=priority"),
    ("by subject", "sort=subject"),
    ("search a message word", "q=saml"),
    ("search a subject", "q=number+123457"),
    ("search, mine", "q=saml&scope=mine"),
]


def seed(threads: int, agent_id: int, other_id: int) -> float:
    from django.db import connection

    from threads.models import Thread

    started = time.perf_counter()
    if os.environ.get("BENCH_REUSE") and Thread.objects.count() == threads:
        return 0.0
    seed_threads(threads, agent_id, other_id)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO threads_message (thread_id, author_kind, public, automatic, needs_reply,
              author_teams, body, created_at, external_id)
            SELECT g, 'customer', true, false, true, '[]'::jsonb,
              CASE WHEN g %% 10000 = 7 THEN 'Our SAML certificate expired this morning'
                   ELSE 'Hello, the export of report ' || g || ' fails with an error' END,
              now() - (g %% 600) * interval '1 minute', ''
            FROM generate_series(1, %s) g
            """,
            [threads],
        )
        cursor.execute("VACUUM ANALYZE threads_message")
    return time.perf_counter() - started


def _no_refused_filter(response) -> None:
    assert b'class="messages"' not in response.content, "a filter was refused"


def measure(client, query: str) -> tuple[float, float, int]:
    url = "/inbox/" + (f"?{query}" if query else "")
    return time_page(client, url, REQUESTS, check=_no_refused_filter)


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 1_000_000]
    print("$ .venv/bin/python bench/inbox_page.py", " ".join(map(str, sizes)))
    setup(name="inbox_page")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    agent = get_user_model().objects.get(username="agent")
    other = get_user_model().objects.get(username="manager")
    print(
        f"PostgreSQL {connection.pg_version // 10000}; first page (50 threads) of /inbox/ as "
        f"'{agent.username}', {REQUESTS} requests per view in-process (django.test.Client)"
    )
    results = []
    with override_settings(STORAGES=PLAIN_STORAGES, ALLOWED_HOSTS=["*"]):
        for size in sizes:
            seeded = seed(size, agent.pk, other.pk)
            client = Client()
            client.force_login(agent)
            for name, query in VIEWS:
                p50, p95, queries = measure(client, query)
                results.append((size, name, p50, p95, queries, seeded))
                print(f"  {size:>9,} {name:<26} p95 {p95:.1f} ms", flush=True)
    if not os.environ.get("BENCH_REUSE"):
        truncate_threads()
    print()
    print(f"{'open threads':>13}  {'view':<28}{'p50 ms':>8}{'p95 ms':>8}{'queries':>9}")
    print("-" * 68)
    for size, name, p50, p95, queries, _ in results:
        print(f"{size:>13,}  {name:<28}{p50:>8.1f}{p95:>8.1f}{queries:>9}")
    print()
    seeds = {size: seeded for size, *_, seeded in results}
    print("seeded in " + ", ".join(f"{s:,}: {t:.1f} s" for s, t in seeds.items()))
    big, small = sizes[-1], sizes[0]
    worst = max(p95 for size, _, _, p95, _, _ in results if size == big)
    if big != small:
        p95s = {(size, name): p95 for size, name, _, p95, _, _ in results}
        ratio = max(p95s[big, name] / p95s[small, name] for name, _ in VIEWS)
        print(f"ratio p95 {big:,}/{small:,}: {ratio:.2f} at worst")
    ok = worst <= GOAL_MS
    print(
        f"worst p95 at {big:,}: {worst:.1f} ms (goal <= {GOAL_MS} ms): {'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
