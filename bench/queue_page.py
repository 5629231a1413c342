"""Benchmark: the breach queue page for an agent when 1,000,000 threads are open (PostgreSQL).

Seeds threads and their clocks with INSERT … SELECT FROM generate_series (every thread a running
first-response clock, due from two hours ago to two days ahead; 10 % assigned to the agent, 50 %
to someone else, 40 % unassigned; teams, priorities, tiers and channels spread; 1 % waiting on the
customer with a paused resolution clock and its reason), then VACUUM ANALYZE, then times the
first page in-process with django.test.Client (force_login): 100 requests per view after 5 warm
ones, with and without filters. The page shows 50 running clocks, up to 50 paused ones and the
count per state (capped at 100, see threads/pages/queue.py). Baseline in the same run: the same
pages with 10,000 threads. Goal: p95 <= 150 ms at 1,000,000 for every view.

Run from the repository root: .venv/bin/python bench/queue_page.py [sizes…]
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import PLAIN_STORAGES, setup, time_page, truncate_threads  # noqa: E402

REQUESTS = 100
GOAL_MS = 150
VIEWS = [
    ("no filter", ""),
    ("mine", "scope=mine"),
    ("my teams, breaching", "scope=teams&state=breaching"),
    ("urgent", "priority=urgent"),
    ("unassigned, chat", "scope=unassigned&channel=chat"),
]


# The clocks' NOT NULL columns the seed has no other value for (no database defaults).
CLOCK_DEFAULTS = {
    "override_reason": "''",
    "exempt": "false",
    "counted_as": "''",
    "scope_priority": "''",
    "scope_channel": "''",
    "breach_note": "''",
    "breach_reason_confirmed": "false",
    "reopens": "0",
    "attribution": "'{}'::jsonb",
}
NOT_NULL, NOT_NULL_VALUES = ", ".join(CLOCK_DEFAULTS), ", ".join(CLOCK_DEFAULTS.values())


def seed(threads: int, agent_id: int, other_id: int) -> float:
    """10 % of the threads are the agent's, 50 % someone else's, 40 % unassigned."""
    from django.db import connection

    from accounts.models import Team
    from policies.models import SlaPolicy, SlaTarget, Tier

    started = time.perf_counter()
    policy = SlaPolicy.objects.filter(calendar__isnull=False).order_by("order").first()
    target = SlaTarget.objects.filter(policy=policy, metric="first_response").first()
    resolution = SlaTarget.objects.filter(policy=policy, metric="resolution").first()
    teams = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    tiers = list(Tier.objects.order_by("pk").values_list("pk", flat=True))
    truncate_threads()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO threads_thread (id, subject, channel, priority, status, source,
              external_id, created_at, updated_at, first_response_started, policy_id, tier_id,
              team_id, assignee_id, update_cycles)
            SELECT g, 'Customer problem number ' || g,
              (ARRAY['email','chat','slack','web','api','phone'])[g %% 6 + 1],
              (ARRAY['urgent','high','normal','low'])[g %% 4 + 1],
              CASE WHEN g %% 100 = 0 THEN 'waiting_on_customer' ELSE 'open' END,
              'bench', '', now() - (g %% 600) * interval '1 minute', now(), true, %s,
              (%s::bigint[])[g %% %s + 1], (%s::bigint[])[g %% %s + 1],
              CASE WHEN g %% 10 = 0 THEN %s WHEN g %% 10 <= 5 THEN %s END, 0
            FROM generate_series(1, %s) g
            """,
            [policy.pk, tiers, len(tiers), teams, len(teams), agent_id, other_id, threads],
        )
        # Due from two hours ago to two days ahead, in an order unrelated to the ids; the state
        # follows the due time as the evaluator would have left it.
        cursor.execute(
            f"""
            INSERT INTO threads_slaclock (id, thread_id, metric, policy_id, target_id,
              target_duration, calendar_id, zone, warnings, warnings_passed, started_at, used,
              running_since, paused, ever_paused, warn_at, due_at, state, escalations,
              escalations_fired, paused_for, {NOT_NULL})
            SELECT g, g, 'first_response', %s, %s, interval '8 hours', %s, 'Europe/Berlin',
              '[]'::jsonb, 0, t.created_at, interval '0', t.created_at, false, false, NULL,
              d.due,
              CASE WHEN d.due < now() THEN 'breaching'
                   WHEN d.due < now() + interval '15 minutes' THEN 'imminent_breach'
                   ELSE 'pending' END,
              '[]'::jsonb, 0, interval '0', {NOT_NULL_VALUES}
            FROM generate_series(1, %s) g
            JOIN threads_thread t ON t.id = g
            CROSS JOIN LATERAL (
              SELECT now() + ((g::bigint * 7919) %% 180000 - 7200) * interval '1 second' AS due
            ) d
            """,
            [policy.pk, target.pk, policy.calendar_id, threads],
        )
        cursor.execute(
            f"""
            INSERT INTO threads_slaclock (id, thread_id, metric, policy_id, target_id,
              target_duration, calendar_id, zone, warnings, warnings_passed, started_at, used,
              running_since, paused, ever_paused, warn_at, due_at, state, escalations,
              escalations_fired, paused_for, paused_at, {NOT_NULL})
            SELECT %s + g, g, 'resolution', %s, %s, interval '24 hours', %s, 'Europe/Berlin',
              '[]'::jsonb, 0, now() - interval '3 hours', interval '2 hours', NULL, true, true,
              NULL, NULL, 'pending', '[]'::jsonb, 0, interval '0', now() - interval '1 hour',
              {NOT_NULL_VALUES}
            FROM generate_series(100, %s, 100) g
            """,
            [
                threads,
                policy.pk,
                resolution.pk if resolution else None,
                policy.calendar_id,
                threads,
            ],
        )
        cursor.execute(
            """
            INSERT INTO threads_slaevent (thread_id, clock_id, kind, at, details, historical,
              recorded_at)
            SELECT g, %s + g, 'paused', now() - interval '1 hour',
              jsonb_build_object('reason', 'asked for logs', 'status', 'waiting_on_customer'),
              false, now()
            FROM generate_series(100, %s, 100) g
            """,
            [threads, threads],
        )
        for table in ("threads_thread", "threads_slaclock"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [2 * threads + 1]
            )
        for table in ("threads_thread", "threads_slaclock", "threads_slaevent"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def measure(client, query: str) -> tuple[float, float, int]:
    url = "/queue/" + (f"?{query}" if query else "")
    return time_page(client, url, REQUESTS)


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 1_000_000]
    print("$ .venv/bin/python bench/queue_page.py", " ".join(map(str, sizes)))
    setup(name="queue_page")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    agent = get_user_model().objects.get(username="agent")
    other = get_user_model().objects.get(username="manager")
    print(
        f"PostgreSQL {connection.pg_version // 10000}; first page (50 rows) of /queue/ as "
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
    ratios = [
        b[3] / s[3]
        for s, b in zip(
            [r for r in results if r[0] == small], [r for r in results if r[0] == big], strict=True
        )
    ]
    ok = worst <= GOAL_MS
    print(
        f"ratio p95 {big:,}/{small:,}: {max(ratios):.2f} at worst; "
        f"worst p95 at {big:,}: {worst:.1f} ms (goal <= {GOAL_MS} ms): {'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
