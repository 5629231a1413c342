"""Benchmark: one evaluator tick with 1,000 due clocks among 10k, 100k and 1M running ones.

PostgreSQL, seeded with INSERT … SELECT FROM generate_series (threads and clocks), then
VACUUM ANALYZE. The tick finds the due clocks through partial indexes, so its time should not
grow with the running clocks it does not touch. Goal: <= 200 ms at 1M and 1M/10k ratio <= 1.2.

The due rows are the first 1,000 (--scattered: every running/1,000th row, spread over the
whole table). Each size is timed twice: with the due threads nobody's, so the tick writes no
outbox rows (the shape of the earlier figures and of the goal), and with them the demo agent's,
in their team, so each breach is alerted as the demo policies say (an e-mail and an in-app
notification).

The seeded rows are kept and reused by the next run of the same size (the table comment says
what was seeded; BENCH_RESEED=1 seeds again). Each measured tick starts from the same state: a
warm-up tick, then before every tick the due threads and clocks are set back to their seeded
values with one UPDATE each, their events and outbox rows are deleted, and the two tables are
vacuumed (index entries included), so every tick moves the same 1,000 clocks exactly once. The
tick is timed TICKS times and the median reported, with the CPU time of this process (the
Python side; the rest is the database and waiting); --phases adds a per-phase breakdown
(bench/evaluator_phases.py).

Run from the repository root:
  .venv/bin/python bench/evaluator.py [--phases] [--scattered] [sizes…]
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import load_average, setup, truncate_threads  # noqa: E402

DUE = 1000
TICKS = 5
GOAL_S = 0.2
GOAL_RATIO = 1.2
SEED_VERSION = "evaluator bench v3"

# Every column the seed writes (and the reset writes back), as SQL of the row number {g}. The
# DUE clocks where {due} holds are a minute past due; the others are due 30 days and more from
# the seed, so a
# kept database stays valid for weeks (reuse checks it).
THREAD = {
    "subject": "'bench ' || {g}",
    "channel": "'email'",
    "priority": "'normal'",
    "status": "'open'",
    "source": "'bench'",
    "external_id": "''",
    "created_at": "now() - interval '2 hours'",
    "updated_at": "now()",
    "first_response_started": "true",
    "last_response_at": "NULL",
    "last_customer_message_at": "NULL",
    "account_id": "NULL",
    "assignee_id": "CASE WHEN {due} THEN {agent}::integer END",
    "contact_id": "NULL",
    "policy_id": "{policy}",
    "team_id": "CASE WHEN {due} THEN {team}::bigint END",
    "tier_id": "NULL",
    "update_cycles": "0",
}
CLOCK = {
    "thread_id": "{g}",
    "metric": "'first_response'",
    "policy_id": "{policy}",
    "target_id": "{target}",
    "target_duration": "interval '1 hour'",
    "calendar_id": "{calendar}",
    "zone": "'Europe/Berlin'",
    "warnings": "'[]'::jsonb",
    "warnings_passed": "0",
    "started_at": "now() - interval '2 hours'",
    "used": "interval '0'",
    "running_since": "now() - interval '2 hours'",
    "paused": "false",
    "ever_paused": "false",
    "warn_at": "NULL",
    "due_at": (
        "CASE WHEN {due} THEN now() - interval '1 minute' "
        "ELSE now() + interval '30 days' + ({g} %% 5000) * interval '1 minute' END"
    ),
    "state": "'pending'",
    "stopped_at": "NULL",
    "breached_at": "NULL",
    "escalations": "'[]'::jsonb",
    "escalations_fired": "0",
    "escalate_at": "NULL",
    "paused_at": "NULL",
    "paused_for": "interval '0'",
    "holder_id": "NULL",
    "override_reason": "''",
    "exempt": "false",
    "counted_as": "''",
    "scope_priority": "''",
    "scope_channel": "''",
    "breach_note": "''",
    "breach_reason_confirmed": "false",
    "reopens": "0",
    # Who held the time: a fresh clock's, held since its start by the thread's holder.
    "attribution": """'{{"parts": {{}}, "holder": "no_team"}}'::jsonb""",
}


SCATTERED = False  # --scattered: every (running / DUE)th row is due, not the first DUE


def _due(running: int) -> str:
    """Which rows are due, as SQL of the row number {g}."""
    return f"mod({{g}}, {running // DUE}) = 0" if SCATTERED else f"{{g}} <= {DUE}"


def _configuration(running: int, alerted: bool = False) -> dict:
    from django.contrib.auth import get_user_model

    from policies.models import SlaPolicy, SlaTarget

    policy = SlaPolicy.objects.filter(name="Standard").first() or SlaPolicy.objects.first()
    target = SlaTarget.objects.filter(policy=policy, metric="first_response").first()
    agent = get_user_model().objects.filter(username="agent").first()
    team = agent.teams.first() if agent else None
    return {
        "policy": policy.pk,
        "target": target.pk if target else "NULL",
        "calendar": policy.calendar_id or "NULL",
        "due": _due(running),
        # Only the due threads have these, and a reset writes them: not part of the marker.
        "agent": agent.pk if agent and alerted else "NULL",
        "team": team.pk if team and alerted else "NULL",
    }


def _values(columns: dict, row: str, names: dict) -> str:
    due = names["due"].format(g=row)
    return ", ".join(sql.format(g=row, **{**names, "due": due}) for sql in columns.values())


def _marker(running: int, names: dict) -> str:
    kept = {k: v for k, v in names.items() if k not in ("agent", "team")}
    return f"{SEED_VERSION}: {running} running, " + " ".join(f"{k}={v}" for k, v in kept.items())


def _seeded(running: int, names: dict) -> bool:
    """The database holds this bench's rows for this size and configuration, still not due."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description('threads_slaclock'::regclass, 'pg_class')")
        if cursor.fetchone()[0] != _marker(running, names):
            return False
        cursor.execute(
            "SELECT (SELECT count(*) FROM threads_slaclock), "
            "(SELECT min(due_at) > now() + interval '1 day' FROM threads_slaclock "
            f"WHERE NOT {names['due'].format(g='id')})"
        )
        count, future = cursor.fetchone()
    return count == running and bool(future)


def seed(running: int) -> float:
    """Seed `running` threads with one clock each, unless the database already holds them."""
    from django.db import connection

    names = _configuration(running)
    if not os.environ.get("BENCH_RESEED") and _seeded(running, names):
        reset(names)
        return 0.0
    started = time.perf_counter()
    truncate_threads()
    with connection.cursor() as cursor:
        for table, columns in (("threads_thread", THREAD), ("threads_slaclock", CLOCK)):
            cursor.execute(
                f"INSERT INTO {table} (id, {', '.join(columns)}) "
                f"SELECT g, {_values(columns, 'g', names)} FROM generate_series(1, %s) g",
                [running],
            )
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [running])
        cursor.execute(f"COMMENT ON TABLE threads_slaclock IS '{_marker(running, names)}'")
        cursor.execute("VACUUM ANALYZE threads_thread")
        cursor.execute("VACUUM ANALYZE threads_slaclock")
    return time.perf_counter() - started


def reset(names: dict) -> None:
    """Put the due threads and clocks back as seeded (one UPDATE each), drop what a tick wrote,
    and vacuum, so the next tick starts from the state the first one did."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE threads_slaevent, threads_delivery, threads_notification CASCADE")
        for table, columns in (("threads_thread", THREAD), ("threads_slaclock", CLOCK)):
            cursor.execute(
                f"UPDATE {table} SET ({', '.join(columns)}) = "
                f"ROW({_values(columns, 'id', names)}) WHERE {names['due'].format(g='id')}",
                [],
            )
        # Index entries too: below 2 % of pages VACUUM would leave them, and the due scans of
        # the next ticks would read every earlier tick's dead entries.
        cursor.execute("VACUUM (ANALYZE, INDEX_CLEANUP ON) threads_thread")
        cursor.execute("VACUUM (ANALYZE, INDEX_CLEANUP ON) threads_slaclock")


def outcome() -> tuple[int, int, int]:
    """(breaching clocks, events, deliveries) after a tick."""
    from threads.models import Delivery, SlaClock, SlaEvent

    return (
        SlaClock.objects.filter(state="breaching").count(),
        SlaEvent.objects.count(),
        Delivery.objects.count(),
    )


def _ticks(running: int, alerted: bool, phases: bool) -> dict:
    """TICKS ticks of one shape, each from the seeded state, after a warm-up tick."""
    from threads.evaluator import evaluate

    names = _configuration(running, alerted)
    reset(names)
    evaluate()  # warm-up: caches (policy book, calendars), plans, the table pages
    ticks, cpu = [], []
    for _ in range(TICKS):
        reset(names)
        started, used = time.perf_counter(), time.process_time()
        report = evaluate()
        ticks.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        breaching, events, deliveries = outcome()
        assert (report.threads, breaching, events) == (DUE, DUE, DUE), (report, breaching, events)
        assert (deliveries > 0) == alerted, deliveries
    row = {
        "median": statistics.median(ticks),
        "min": min(ticks),
        "cpu": statistics.median(cpu),
        "deliveries": deliveries,
    }
    if phases:
        from bench.evaluator_phases import profile_tick

        row["phases"] = profile_tick(evaluate, lambda: reset(names))
    reset(names)
    return row


def main() -> None:
    global SCATTERED
    args = sys.argv[1:]
    phases = "--phases" in args
    SCATTERED = "--scattered" in args
    sizes = [int(s) for s in args if not s.startswith("--")] or [10_000, 100_000, 1_000_000]
    setup(name="evaluator")
    from django.db import connection

    print("$ .venv/bin/python bench/evaluator.py", " ".join(args))
    print(
        f"PostgreSQL {connection.pg_version // 10000}; {DUE:,} clocks due in every row, "
        + ("spread over the table" if SCATTERED else "the first rows")
    )
    rows = []
    for running in sizes:
        seeded = seed(running)
        for alerted in (False, True):
            rows.append({"running": running, "alerted": alerted, "seeded": seeded})
            rows[-1].update(_ticks(running, alerted, phases))
            print(
                f"  {running:>9,} {'alerted' if alerted else 'no alerts'}: "
                f"{rows[-1]['median']:.3f} s  ({load_average()})",
                flush=True,
            )
    print()
    print(
        f"{'running clocks':>15}  {'due threads':<13}{'tick s':>8}{'min s':>8}{'cpu s':>8}"
        f"{'deliveries':>12}{'seed s':>8}"
    )
    print("-" * 74)
    for r in rows:
        print(
            f"{r['running']:>15,}  {'assigned' if r['alerted'] else 'nobody' + chr(39) + 's':<13}"
            f"{r['median']:>8.3f}{r['min']:>8.3f}{r['cpu']:>8.3f}{r['deliveries']:>12,}"
            f"{r['seeded']:>8.1f}"
        )
    print(
        f"(tick s: median of {TICKS} ticks; cpu s: this process's CPU time in a tick; every tick "
        f"records {DUE:,} breaches; seed s 0.0 = the seeded rows were reused)"
    )
    for r in rows if phases else []:
        print()
        print(
            f"phases at {r['running']:,} running clocks, "
            + ("alerted:" if r["alerted"] else "no alerts:")
        )
        print(r["phases"])
    print()
    for alerted in (False, True):
        shape = [r for r in rows if r["alerted"] == alerted]
        first, last = shape[0], shape[-1]
        ratio = last["median"] / first["median"]
        ok = last["median"] <= GOAL_S and ratio <= GOAL_RATIO
        print(
            f"{'alerted' if alerted else 'no alerts'}: ratio {last['running']:,}/"
            f"{first['running']:,}: {ratio:.2f} (goal <= {GOAL_RATIO}); tick at "
            f"{last['running']:,}: {last['median']:.3f} s (goal <= {GOAL_S} s): "
            + ("PASS" if ok else "FAIL")
        )
    print(f"# {load_average()} at the end")


if __name__ == "__main__":
    main()
