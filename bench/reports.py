"""Benchmark: the compliance report over 1,000,000 finished clocks on PostgreSQL.

Seeds threads and clocks with INSERT … SELECT FROM generate_series (three metrics, outcomes
mixed, stopped over 90 days, spread over policies, tiers, teams, agents and channels), then times
everything the report page computes: summary with percentiles, a breakdown, the daily trend and
the breach review, for the whole 90 days. Baseline in the same run: 10,000 clocks.
Goal: <= 2 s at 1,000,000.

Run from the repository root: .venv/bin/python bench/reports.py [sizes…]
"""

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import setup, truncate_threads  # noqa: E402


def seed(clocks: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Team
    from policies.models import SlaPolicy, Tier

    policies = list(SlaPolicy.objects.values_list("pk", flat=True))
    tiers = list(Tier.objects.values_list("pk", flat=True))
    teams = list(Team.objects.values_list("pk", flat=True))
    users = list(get_user_model().objects.values_list("pk", flat=True))
    threads = clocks // 3
    truncate_threads()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO threads_thread (id, subject, channel, priority, status, source,
              external_id, created_at, updated_at, first_response_started, policy_id, tier_id,
              team_id, assignee_id)
            SELECT g, 'report ' || g,
              (ARRAY['email','slack','chat','web','api','phone'])[1 + g %% 6],
              (ARRAY['urgent','high','normal','low'])[1 + g %% 4], 'resolved', 'bench', '',
              now() - (g %% 90) * interval '1 day', now(), true,
              (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s],
              (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s]
            FROM generate_series(1, %s) g
            """,
            [
                policies,
                len(policies),
                tiers,
                len(tiers),
                teams,
                len(teams),
                users,
                len(users),
                threads,
            ],
        )
        cursor.execute(
            """
            INSERT INTO threads_slaclock (id, thread_id, metric, policy_id, target_duration,
              zone, warnings, warnings_passed, started_at, used, paused, ever_paused, state,
              stopped_at, breached_at, escalations, escalations_fired, paused_for, holder_id,
              due_at)
            SELECT g, 1 + (g - 1) %% %s,
              (ARRAY['first_response','next_response','resolution'])[1 + g %% 3],
              (%s::bigint[])[1 + g %% %s], interval '1 hour', 'UTC', '[]'::jsonb, 0,
              now() - (g %% 90) * interval '1 day' - interval '3 hours',
              (g %% 240) * interval '1 minute', false, false,
              CASE WHEN g %% 10 = 0 THEN 'cancelled' WHEN g %% 240 > 60 THEN 'breached'
                   ELSE 'achieved' END,
              now() - (g %% 90) * interval '1 day',
              CASE WHEN g %% 240 > 60 AND g %% 10 <> 0
                   THEN now() - (g %% 90) * interval '1 day' - interval '1 hour' END,
              '[]'::jsonb, 0, (g %% 7) * interval '10 minutes', (%s::bigint[])[1 + g %% %s],
              now() - (g %% 90) * interval '1 day' - interval '2 hours'
            FROM generate_series(1, %s) g
            """,
            [threads, policies, len(policies), users, len(users), clocks],
        )
        cursor.execute("VACUUM ANALYZE threads_thread")
        cursor.execute("VACUUM ANALYZE threads_slaclock")


def time_report(rounds: int = 3) -> float:
    from django.utils import timezone

    from threads.reports import queries as reports

    today = timezone.now().date()
    span = reports.ReportRange(start=today - timedelta(days=90), end=today, zone="Europe/Berlin")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        reports.full_report(span, by="team", per="day", metric=None)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 1_000_000]
    setup(name="reports")
    print("$ .venv/bin/python bench/reports.py", " ".join(map(str, sizes)))
    rows = []
    for size in sizes:
        started = time.perf_counter()
        seed(size)
        seeded = time.perf_counter() - started
        rows.append((size, time_report(), seeded))
    truncate_threads()
    print("Whole report (summary + percentiles, breakdown by team, daily trend, breach review)")
    print("over 90 days, median of 3 runs, PostgreSQL")
    print()
    print(f"{'finished clocks':>16}{'report s':>10}{'seed s':>9}")
    print("-" * 35)
    for size, seconds, seeded in rows:
        print(f"{size:>16,}{seconds:>10.3f}{seeded:>9.1f}")
    print()
    big = rows[-1]
    print(
        f"ratio {big[0]:,}/{rows[0][0]:,}: {big[1] / rows[0][1]:.1f}; goal <= 2 s at "
        f"{big[0]:,}: {big[1]:.3f} s {'PASS' if big[1] <= 2 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
