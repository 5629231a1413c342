"""Benchmark: GET /api/v1/objectives/ with 20 objectives over 1,000,000 finished clocks.

Seeds threads and clocks with INSERT … SELECT FROM generate_series, as bench/reports.py does,
with what objectives count set as live traffic sets it (counted_as, counted_at, the scope
snapshot; missed from the due time; 2 % of the misses with a confirmed excused reason): three
metrics, outcomes decided over the last 100 days, spread over policies, tiers, teams, priorities
and channels. Then 20 objectives with varied metrics, periods (month, quarter, rolling 7/28/30
days), time zones and scopes; the daily rollups built once (timed); then 30 requests after 5
warm ones, in-process with django.test.Client as a manager, and the figures alone (the 20
objectives' `figures()`, 30 rounds). Beside it, as the baseline: the plain compliance report
(threads.reports `summary`, counts and percentiles per metric) over the same rows and the
current month. Goal: p95 <= 300 ms.

Run from the repository root: .venv/bin/python bench/objectives.py [clocks]
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import PLAIN_STORAGES, setup, time_page, truncate_threads  # noqa: E402

REQUESTS = 30
GOAL_MS = 300


def seed(clocks: int) -> float:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Team
    from policies.models import BreachReason, SlaPolicy, Tier

    started = time.perf_counter()
    policies = list(SlaPolicy.objects.values_list("pk", flat=True))
    tiers = list(Tier.objects.values_list("pk", flat=True))
    teams = list(Team.objects.values_list("pk", flat=True))
    users = list(get_user_model().objects.values_list("pk", flat=True))
    reason, _ = BreachReason.objects.get_or_create(
        name="Third-party outage", defaults={"excused": True}
    )
    threads = clocks // 3
    truncate_threads()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE objectives_objectiveday, threads_countchange")
        cursor.execute(
            """
            INSERT INTO threads_thread (id, subject, channel, priority, status, source,
              external_id, created_at, updated_at, first_response_started, policy_id, tier_id,
              team_id, assignee_id)
            SELECT g, 'objective ' || g,
              (ARRAY['email','slack','chat','web','api','phone'])[1 + g %% 6],
              (ARRAY['urgent','high','normal','low'])[1 + g %% 4], 'resolved', 'bench', '',
              now() - (g %% 100) * interval '1 day' - interval '4 hours', now(), true,
              (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s],
              (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s]
            FROM generate_series(1, %s) g
            """,
            [policies, len(policies), tiers, len(tiers), teams, len(teams), users, len(users)]
            + [threads],
        )
        # g %% 240 > 60: a miss (counted at its due time, an hour after the start); g %% 10 = 0:
        # cancelled; else achieved (counted at its stop). Decided instants spread over the last
        # 100 days and the minutes of a day, so today has its share of live clocks.
        cursor.execute(
            """
            INSERT INTO threads_slaclock (id, thread_id, metric, policy_id, target_duration,
              zone, warnings, warnings_passed, started_at, used, paused, ever_paused, state,
              stopped_at, breached_at, escalations, escalations_fired, paused_for, holder_id,
              due_at, original_due_at, override_reason, exempt, missed_at, counted_as,
              counted_at, scope_tier, scope_account, scope_team, scope_priority, scope_channel,
              breach_reason_id, breach_note, breach_reason_confirmed)
            SELECT g, c.thread, c.metric, t.policy_id, interval '1 hour', 'UTC', '[]'::jsonb,
              0, c.started, (g %% 240) * interval '1 minute', false, false, c.state,
              c.started + (g %% 240) * interval '1 minute',
              CASE WHEN c.state = 'breached' THEN c.started + interval '1 hour' END,
              '[]'::jsonb, 0, interval '0', t.assignee_id, c.started + interval '1 hour',
              c.started + interval '1 hour', '', false,
              CASE WHEN c.state = 'breached' THEN c.started + interval '1 hour' END,
              c.counted_as,
              CASE WHEN c.state = 'breached' THEN c.started + interval '1 hour'
                   ELSE c.started + (g %% 240) * interval '1 minute' END,
              t.tier_id, t.account_id, t.team_id, t.priority, t.channel,
              CASE WHEN c.state = 'breached' AND g %% 50 = 7 THEN %s END, '',
              c.state = 'breached' AND g %% 50 = 7
            FROM generate_series(1, %s) g
            CROSS JOIN LATERAL (
              SELECT 1 + (g - 1) %% %s AS thread,
                (ARRAY['first_response','next_response','resolution'])[1 + g %% 3] AS metric,
                now() - (g %% 100) * interval '1 day' - (g %% 1380) * interval '1 minute'
                  - interval '4 hours' AS started,
                CASE WHEN g %% 10 = 0 THEN 'cancelled' WHEN g %% 240 > 60 THEN 'breached'
                     ELSE 'achieved' END AS state,
                CASE WHEN g %% 10 = 0 THEN 'cancelled' WHEN g %% 240 > 60 THEN 'missed'
                     ELSE 'achieved' END AS counted_as
            ) c
            JOIN threads_thread t ON t.id = c.thread
            """,
            [reason.pk, clocks, threads],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('threads_thread', 'id'), %s)", [threads]
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('threads_slaclock', 'id'), %s)", [clocks]
        )
        cursor.execute("VACUUM ANALYZE threads_thread")
        cursor.execute("VACUUM ANALYZE threads_slaclock")
    return time.perf_counter() - started


def objectives() -> list:
    """20 objectives: every metric, period and several zones; scopes over teams, tiers,
    policies, priorities and channels."""
    from accounts.models import Team
    from objectives.models import Objective
    from policies.models import SlaPolicy, Tier

    Objective.objects.all().delete()
    teams = list(Team.objects.values_list("pk", flat=True))
    tiers = list(Tier.objects.values_list("pk", flat=True))
    policies = list(SlaPolicy.objects.values_list("pk", flat=True))
    metrics = ["first_response", "next_response", "resolution"]
    periods = ["month", "month", "quarter", "rolling_7d", "rolling_28d", "rolling_30d"]
    zones = ["UTC", "America/Los_Angeles", "Europe/Berlin", "Pacific/Auckland"]
    scopes = [
        {},
        {"teams": teams[:1]},
        {"priorities": ["urgent", "high"]},
        {"channels": ["email", "chat"]},
        {"tiers": tiers[:1]},
        {"policies": policies[:1]},
        {"teams": teams[1:2], "priorities": ["normal"]},
    ]
    made = []
    for n in range(20):
        made.append(
            Objective(
                name=f"Objective {n + 1:02}",
                metric=metrics[n % 3],
                target_percent=[95, 90, 99.5, 80][n % 4],
                period=periods[n % len(periods)],
                time_zone=zones[n % len(zones)],
                scope=scopes[n % len(scopes)],
            )
        )
    Objective.objects.bulk_create(made)
    return list(Objective.objects.all())


def build_rollups(made) -> float:
    from django.utils import timezone

    from objectives.figures import figures

    started = time.perf_counter()
    now = timezone.now()
    for objective in made:
        figures(objective, now)
    return time.perf_counter() - started


def time_figures(made, rounds: int = REQUESTS) -> tuple[float, float]:
    from django.utils import timezone

    from objectives.figures import figures

    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        now = timezone.now()
        for objective in made:
            figures(objective, now)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def time_report(rounds: int = REQUESTS) -> tuple[float, float]:
    """The plain report over the same rows: the compliance summary for the current month."""
    from django.utils import timezone

    from threads.reports import queries as reports

    today = timezone.now().date()
    span = reports.ReportRange(start=today.replace(day=1), end=today, zone="UTC")
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        reports.summary(span)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    clocks = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"$ .venv/bin/python bench/objectives.py {clocks}")
    setup(name="objectives")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    from objectives.models import ObjectiveDay

    seeded = seed(clocks)
    made = objectives()
    built = build_rollups(made)
    days = ObjectiveDay.objects.count()
    manager = get_user_model().objects.get(username="manager")

    def twenty(response):
        assert response.json()["count"] == 20

    with override_settings(STORAGES=PLAIN_STORAGES, ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(manager)
        api = time_page(client, "/api/v1/objectives/", REQUESTS, check=twenty)
    alone = time_figures(made)
    report = time_report()
    truncate_threads()
    print(
        f"PostgreSQL {connection.pg_version // 10000}; {clocks:,} finished clocks seeded in "
        f"{seeded:.1f} s; 20 objectives; {days:,} daily rollups built once in {built:.1f} s"
    )
    print(f"{REQUESTS} requests (after 5 warm ones) in-process as 'manager'")
    print()
    print(f"{'what':<46}{'p50 ms':>8}{'p95 ms':>8}{'queries':>9}")
    print("-" * 71)
    print(f"{'GET /api/v1/objectives/ (20 objectives)':<46}{api[0]:>8.1f}{api[1]:>8.1f}{api[2]:>9}")
    print(f"{'figures() of the 20 objectives':<46}{alone[0]:>8.1f}{alone[1]:>8.1f}")
    print(f"{'baseline: plain report summary, this month':<46}{report[0]:>8.1f}{report[1]:>8.1f}")
    print()
    ok = api[1] <= GOAL_MS
    print(
        f"ratio p95 objectives API / plain report: {api[1] / report[1]:.2f}; goal p95 <= "
        f"{GOAL_MS} ms: {api[1]:.1f} ms {'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
