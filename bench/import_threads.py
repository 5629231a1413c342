"""Benchmark: threads per second imported by `import_threads` on PostgreSQL.

Baselines in the same run: the import as it was before plain rows (model instances, one process:
`ModelImporter`) on a sample, which must write exactly the same rows (a checksum of every thread,
message, clock and event of the sample is compared), and the same threads told one call at a
time through the live services (thread_create, agent_reply, message_receive,
thread_set_status), which is what a naive importer would do. Goal: >= 5,000 threads/s for the
bulk import (one worker process per core).

Run from the repository root: .venv/bin/python bench/import_threads.py [threads]
"""

import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import load_average, setup, truncate_threads  # noqa: E402

GOAL = 5000


def synthetic_threads(n: int, seed: int = 7) -> list[dict]:
    """Threads shaped like a helpdesk export: 2-6 messages, a pause now and then, resolved."""
    rng = random.Random(seed)
    emails = [
        "anna@acme.de",
        "hank@globex.com",
        "peter@initech.com",
        "alice@umbrella.co.uk",
        "gavin@hooli.xyz",
        "bruce@wayne.com",
        "rachael@tyrell.com.au",
    ]
    first = datetime(2026, 6, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        at = first + timedelta(minutes=rng.randrange(60 * 24 * 150))
        events = [{"type": "customer_message", "at": at.isoformat(), "body": "It is broken"}]
        for _ in range(rng.randrange(1, 4)):
            at += timedelta(minutes=rng.randrange(5, 600))
            events.append(
                {
                    "type": "agent_reply",
                    "at": at.isoformat(),
                    "author": "agent",
                    "body": "Looking into it",
                }
            )
            if rng.random() < 0.3:
                at += timedelta(minutes=rng.randrange(1, 60))
                events.append(
                    {
                        "type": "status",
                        "at": at.isoformat(),
                        "status": "waiting_on_customer",
                        "reason": "asked for details",
                    }
                )
            at += timedelta(minutes=rng.randrange(5, 900))
            events.append({"type": "customer_message", "at": at.isoformat(), "body": "More"})
            if events[-2]["type"] == "status":
                events.append({"type": "status", "at": at.isoformat(), "status": "open"})
        at += timedelta(minutes=rng.randrange(5, 300))
        events.append(
            {"type": "agent_reply", "at": at.isoformat(), "author": "agent", "body": "Fixed"}
        )
        events.append({"type": "status", "at": at.isoformat(), "status": "resolved"})
        rows.append(
            {
                "source": "bench",
                "external_id": f"B-{i}",
                "subject": f"Bench thread {i}",
                "contact_email": rng.choice(emails),
                "channel": "email",
                "priority": rng.choice(["urgent", "high", "normal", "normal", "low"]),
                "created_at": events[0]["at"],
                "events": events,
            }
        )
    return rows


def via_services(rows: list[dict]) -> None:
    from django.contrib.auth import get_user_model
    from django.utils.dateparse import parse_datetime

    from accounts.models import Contact
    from threads import services

    agent = get_user_model().objects.get(username="agent")
    contacts = {c.email: c for c in Contact.objects.all()}
    for row in rows:
        events = row["events"]
        thread = services.thread_create(
            subject=row["subject"],
            first_message=events[0]["body"],
            contact=contacts[row["contact_email"]],
            priority=row["priority"],
            source="bench-live",
            external_id=row["external_id"],
            created_at=parse_datetime(row["created_at"]),
        ).thread
        for event in events[1:]:
            at = parse_datetime(event["at"])
            if event["type"] == "agent_reply":
                services.agent_reply(
                    thread=thread.pk, author=agent, body=event["body"], created_at=at
                )
            elif event["type"] == "customer_message":
                services.message_receive(thread=thread.pk, body=event["body"], created_at=at)
            else:
                services.thread_set_status(
                    thread=thread.pk, status=event["status"], reason=event.get("reason", ""), at=at
                )


CHECKSUM = """
SELECT md5(string_agg(line, E'\\n' ORDER BY line)) FROM (
  SELECT concat_ws('|', 't', t.external_id, t.subject, t.status, t.channel, t.priority,
    p.name, t.tier_id, c.email, t.first_response_started, t.last_response_at,
    t.last_customer_message_at, t.created_at) AS line
  FROM threads_thread t LEFT JOIN policies_slapolicy p ON p.id = t.policy_id
  LEFT JOIN accounts_contact c ON c.id = t.contact_id WHERE t.external_id = ANY(%(ids)s)
  UNION ALL
  SELECT concat_ws('|', 'm', t.external_id, m.created_at, m.author_kind, m.author_user_id,
    m.contact_id IS NOT NULL, m.public, m.automatic, m.needs_reply, m.body, m.external_id)
  FROM threads_message m JOIN threads_thread t ON t.id = m.thread_id
  WHERE t.external_id = ANY(%(ids)s)
  UNION ALL
  SELECT concat_ws('|', 'c', t.external_id, k.metric, k.policy_id, k.target_id,
    k.target_duration, k.calendar_id, k.zone, k.warnings::text, k.warnings_passed, k.started_at,
    k.used, k.running_since, k.paused, k.ever_paused, k.warn_at, k.due_at, k.state, k.stopped_at,
    k.breached_at, k.escalations::text, k.escalations_fired, k.escalate_at, k.paused_at,
    k.paused_for, k.holder_id)
  FROM threads_slaclock k JOIN threads_thread t ON t.id = k.thread_id
  WHERE t.external_id = ANY(%(ids)s)
  UNION ALL
  SELECT concat_ws('|', 'e', t.external_id, k.metric, k.started_at, e.kind, e.at, e.actor_id,
    e.details::text, e.historical)
  FROM threads_slaevent e JOIN threads_thread t ON t.id = e.thread_id
  LEFT JOIN threads_slaclock k ON k.id = e.clock_id WHERE t.external_id = ANY(%(ids)s)
) AS rows
"""


def checksum(rows: list[dict]) -> str:
    """One digest of everything the import wrote for these threads (keys left out)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM, {"ids": [r["external_id"] for r in rows]})
        return cursor.fetchone()[0]


def backend_seconds() -> float | None:
    """CPU seconds this connection's PostgreSQL backend has used (None if it runs elsewhere)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(importer, lines: list[str]) -> dict[str, float]:
    """CPU per thread (µs) of each step of one process's import, and of its PostgreSQL backend:
    what bounds the rate on a machine whatever else runs on it."""
    from threads.importer import parse_line

    n = len(lines)
    clock = time.process_time
    backend, started = backend_seconds(), clock()
    parsed = [parse_line(number, raw, now=importer.now) for number, raw in enumerate(lines, 1)]
    parse_done = clock()
    plans = [importer._plan(parsed[i : i + 1000]) for i in range(0, n, 1000)]
    replay_done = clock()
    for plan in plans:
        importer._write(plan)
    write_done, backend_done = clock(), backend_seconds()
    split = {
        "parse and check": parse_done - started,
        "replay (plan)": replay_done - parse_done,
        "rows and COPY, client": write_done - replay_done,
    }
    if backend is not None:
        split["PostgreSQL backend"] = backend_done - backend
    return {step: seconds / n * 1e6 for step, seconds in split.items()}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    n_baseline = max(200, n // 20)
    n_model = min(n, max(2000, n // 4))
    url = setup(name="import")
    from django.db import connection

    from threads.importer import Importer, ImportReport
    from threads.importer.run import ModelImporter
    from threads.models import Message, SlaClock, SlaEvent, Thread

    print("$ .venv/bin/python bench/import_threads.py", n)
    print(f"PostgreSQL {connection.pg_version // 10000} at {url}; synthetic helpdesk export")
    rows = synthetic_threads(n)
    lines = [json.dumps(r) for r in rows]
    truncate_threads()
    started = time.perf_counter()
    importer = Importer(batch_size=1000)
    report = importer.run(lines, ImportReport())
    bulk_seconds = time.perf_counter() - started
    assert report.imported == n and not report.errors, (report.imported, report.errors[:3])
    counts = {m.__name__: m.objects.count() for m in (Thread, Message, SlaClock, SlaEvent)}
    sample = rows[:n_model]
    fast_sum = checksum(sample)

    truncate_threads()
    started = time.perf_counter()
    report = ModelImporter(batch_size=1000, workers=1).run(lines[:n_model], ImportReport())
    model_seconds = time.perf_counter() - started
    assert report.imported == n_model and not report.errors
    model_sum = checksum(sample)
    assert fast_sum == model_sum, f"plain rows wrote other rows than model instances: {fast_sum}"

    truncate_threads()
    fast_cpu = cpu_split(Importer(workers=1), lines[:n_model])
    truncate_threads()
    model_cpu = cpu_split(ModelImporter(workers=1), lines[:n_model])

    truncate_threads()
    started = time.perf_counter()
    via_services(rows[:n_baseline])
    live_seconds = time.perf_counter() - started

    bulk_rate = n / bulk_seconds
    live_rate = n_baseline / live_seconds
    model_rate = n_model / model_seconds
    print(f"rows written by the import: {counts}")
    print(f"checksum of the first {n_model:,} threads' rows, both imports: {fast_sum} (same)")
    print()
    print(f"{'path':<38}{'threads':>9}{'seconds':>10}{'threads/s':>12}")
    print("-" * 69)
    label = f"import_threads ({importer.workers} workers)"
    print(f"{label:<38}{n:>9,}{bulk_seconds:>10.2f}{bulk_rate:>12,.0f}")
    print(
        f"{'before: model instances, 1 process':<38}{n_model:>9,}{model_seconds:>10.2f}"
        f"{model_rate:>12,.0f}"
    )
    print(
        f"{'baseline: live services, one by one':<38}{n_baseline:>9,}{live_seconds:>10.2f}"
        f"{live_rate:>12,.0f}"
    )
    print()
    print(f"CPU per thread, one process, {n_model:,} threads (µs){'now':>17}{'before':>10}")
    print("-" * 69)
    for step in fast_cpu:
        print(f"{step:<50}{fast_cpu[step]:>9,.0f}{model_cpu[step]:>10,.0f}")
    total, before = sum(fast_cpu.values()), sum(model_cpu.values())
    print(f"{'total':<50}{total:>9,.0f}{before:>10,.0f}")
    cores = os.cpu_count() or 1
    print(
        f"bound on {cores} cores, every core busy: {cores * 1e6 / total:,.0f} threads/s now, "
        f"{cores * 1e6 / before:,.0f} before"
    )
    print()
    verdict = "PASS" if bulk_rate >= GOAL else "FAIL"
    print(
        f"ratio bulk/before: {bulk_rate / model_rate:.1f}x; "
        f"ratio bulk/baseline: {bulk_rate / live_rate:.1f}x; goal >= {GOAL:,} threads/s: "
        f"{bulk_rate:,.0f} {verdict}"
    )
    print(f"# {load_average()} at the end")
    truncate_threads()


if __name__ == "__main__":
    main()
