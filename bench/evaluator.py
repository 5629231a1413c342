"""Benchmark: one evaluator tick with 1,000 due clocks among 10k, 100k and 1M running ones.

PostgreSQL, seeded with INSERT … SELECT FROM generate_series (threads and clocks), then
VACUUM ANALYZE. The tick finds the due clocks through partial indexes, so its time should not
grow with the running clocks it does not touch. Goal: <= 1 s at 1M and 1M/10k ratio <= 1.5.

Run from the repository root: .venv/bin/python bench/evaluator.py [sizes…]
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import setup, truncate_threads  # noqa: E402

DUE = 1000


def seed(running: int) -> None:
    from django.db import connection

    from policies.models import SlaPolicy, SlaTarget

    policy = SlaPolicy.objects.filter(name="Standard").first() or SlaPolicy.objects.first()
    target = SlaTarget.objects.filter(policy=policy, metric="first_response").first()
    truncate_threads()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO threads_thread (id, subject, channel, priority, status, source, external_id,
              created_at, updated_at, first_response_started, policy_id, tier_id)
            SELECT g, 'bench ' || g, 'email', 'normal', 'open', 'bench', '',
              now() - interval '2 hours', now(), true, %s, NULL
            FROM generate_series(1, %s) g
            """,
            [policy.pk, running],
        )
        # The first DUE clocks are past due; the others are due days from now.
        cursor.execute(
            """
            INSERT INTO threads_slaclock (id, thread_id, metric, policy_id, target_id,
              target_duration, calendar_id, zone, warnings, warnings_passed, started_at, used,
              running_since, paused, ever_paused, warn_at, due_at, state, escalations,
              escalations_fired, paused_for)
            SELECT g, g, 'first_response', %s, %s, interval '1 hour', %s, 'Europe/Berlin',
              '[]'::jsonb, 0, now() - interval '2 hours', interval '0', now() - interval '2 hours',
              false, false, NULL,
              CASE WHEN g <= %s THEN now() - interval '1 minute'
                   ELSE now() + (g %% 5000 + 60) * interval '1 minute' END,
              'pending', '[]'::jsonb, 0, interval '0'
            FROM generate_series(1, %s) g
            """,
            [policy.pk, target.pk if target else None, policy.calendar_id, DUE, running],
        )
        for table in ("threads_thread", "threads_slaclock"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [running + 1]
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE threads_thread")
        cursor.execute("VACUUM ANALYZE threads_slaclock")


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    setup(name="evaluator")
    from django.db import connection

    from threads.evaluator import evaluate
    from threads.models import SlaEvent

    print("$ .venv/bin/python bench/evaluator.py", " ".join(map(str, sizes)))
    print(f"PostgreSQL {connection.pg_version // 10000}; {DUE:,} clocks due in every row")
    rows = []
    for running in sizes:
        started = time.perf_counter()
        seed(running)
        seeded = time.perf_counter() - started
        evaluate(limit=10)  # warm caches (policies, calendar) on a few threads
        started = time.perf_counter()
        report = evaluate()
        seconds = time.perf_counter() - started
        breaching = SlaEvent.objects.filter(kind="breaching").count()
        rows.append((running, seconds, report.events, breaching, seeded))
    truncate_threads()
    print()
    print(f"{'running clocks':>15}{'tick s':>9}{'events':>9}{'breaching':>11}{'seed s':>9}")
    print("-" * 53)
    for running, seconds, events, breaching, seeded in rows:
        print(f"{running:>15,}{seconds:>9.3f}{events:>9,}{breaching:>11,}{seeded:>9.1f}")
    print()
    ratio = rows[-1][1] / rows[0][1]
    ok = rows[-1][1] <= 1.0 and ratio <= 1.5
    print(
        f"ratio {rows[-1][0]:,}/{rows[0][0]:,}: {ratio:.2f} (goal <= 1.5); "
        f"tick at {rows[-1][0]:,}: {rows[-1][1]:.3f} s (goal <= 1 s): {'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
