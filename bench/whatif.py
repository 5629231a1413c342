"""Benchmark: a what-if over 10,000 past threads on PostgreSQL.

The threads are the synthetic helpdesk export of bench/import_threads.py (2-6 messages, pauses,
resolved), written with the bulk Importer; urgent ones are made high so that every thread falls
under the "Berlin office" calendar's policies. The draft opens that calendar 08:00-18:00 instead
of 09:00-17:00, so each thread is replayed twice (now and with the draft). Timed the way the admin
page runs it: steps of STEP_SECONDS whose whole state goes through JSON (the manager's session)
between steps. Baseline in the same run: 1,000 threads. Goal: <= 10 s for 10,000 threads.

Run from the repository root: .venv/bin/python bench/whatif.py [threads]
"""

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import setup, truncate_threads  # noqa: E402
from bench.import_threads import synthetic_threads  # noqa: E402

GOAL_SECONDS = 10.0
SINCE = datetime(2026, 5, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 1, tzinfo=UTC)


def load(n: int) -> None:
    from threads.importer import Importer, ImportReport

    rows = synthetic_threads(n)
    for row in rows:
        if row["priority"] == "urgent":
            row["priority"] = "high"  # the 24/7 on-call policy takes urgent threads
    truncate_threads()
    report = Importer(batch_size=1000).run([json.dumps(r) for r in rows], ImportReport())
    assert report.imported == n and not report.errors, (report.imported, report.errors[:3])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after a bulk load: plans need row counts


def timed_run(draft):
    """The what-if in page steps, its state through JSON between steps as the session keeps it."""
    from whatif.run import WhatIfRun
    from whatif.views import STEP_SECONDS

    started = time.perf_counter()
    run = WhatIfRun.start(draft=draft, since=SINCE, until=UNTIL)
    steps = 0
    while not run.finished:
        run = WhatIfRun.from_json(json.loads(json.dumps(run.to_json())))
        run.advance(seconds=STEP_SECONDS)
        steps += 1
    return time.perf_counter() - started, run, steps


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    n_baseline = max(100, n // 10)
    url = setup(name="whatif")
    from django.db import connection

    from policies.models import Calendar, SlaPolicy
    from whatif.draft import Draft

    print("$ .venv/bin/python bench/whatif.py", n)
    print(f"PostgreSQL {connection.pg_version // 10000} at {url}; synthetic helpdesk export")
    berlin = Calendar.objects.get(name="Berlin office")
    weekly = {day: [(clock_time(8), clock_time(18))] if day < 5 else [] for day in range(7)}
    calendar_draft = Draft(calendar_id=berlin.pk, weekly=weekly)
    standard = SlaPolicy.objects.get(name="Standard")
    first = standard.targets.get(metric="first_response", priority="")
    policy_draft = Draft(policy_id=standard.pk, targets={first.pk: timedelta(hours=2)})

    results = []
    for size in (n_baseline, n):
        load(size)
        timed_run(calendar_draft)  # warm: calendars' year tables, the policy book
        seconds, run, steps = timed_run(calendar_draft)
        assert run.total == size and not run.stale, (run.total, size)
        results.append((f"calendar draft, {size:,} threads", size, seconds, steps, run))
    seconds, run, steps = timed_run(policy_draft)
    label = f"policy draft (Standard), {run.total:,} of them"
    results.append((label, run.total, seconds, steps, run))

    print()
    print(f"{'what-if':<44}{'threads':>9}{'steps':>7}{'seconds':>10}{'threads/s':>12}")
    print("-" * 82)
    for label, size, seconds, steps, _ in results:
        print(f"{label:<44}{size:>9,}{steps:>7}{seconds:>10.2f}{size / seconds:>12,.0f}")
    print()
    big = results[1][4]
    for row in big.rows():
        print(
            f"  {row.label:<16} achieved {row.now.achieved:>6,} -> {row.draft.achieved:>6,}   "
            f"breached {row.now.breached:>6,} -> {row.draft.breached:>6,}   rate "
            f"{row.now.rate:.1%} -> {row.draft.rate:.1%}"
        )
    print(f"  outcomes changed: {big.changed:,}")
    print()
    base_rate = results[0][1] / results[0][2]
    big_seconds = results[1][2]
    verdict = "PASS" if big_seconds <= GOAL_SECONDS else "FAIL"
    print(
        f"ratio per-thread time {n:,}/{n_baseline:,}: {base_rate / (n / big_seconds):.2f}; "
        f"goal <= {GOAL_SECONDS:.0f} s for {n:,} threads: {big_seconds:.2f} s {verdict}"
    )
    truncate_threads()


if __name__ == "__main__":
    main()
