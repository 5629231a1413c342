"""Benchmark: threads per second imported by `import_threads` on PostgreSQL.

Baseline in the same run: the same threads told one call at a time through the live services
(thread_create, agent_reply, message_receive, thread_set_status), which is what a naive importer
would do. Goal: >= 5,000 threads/s for the bulk import.

Run from the repository root: .venv/bin/python bench/import_threads.py [threads]
"""

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import setup, truncate_threads  # noqa: E402

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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    n_baseline = max(200, n // 20)
    url = setup(name="import")
    from django.db import connection

    from threads.importer import Importer, ImportReport
    from threads.models import Message, SlaClock, SlaEvent, Thread

    print("$ .venv/bin/python bench/import_threads.py", n)
    print(f"PostgreSQL {connection.pg_version // 10000} at {url}; synthetic helpdesk export")
    rows = synthetic_threads(n)
    lines = [json.dumps(r) for r in rows]
    truncate_threads()
    started = time.perf_counter()
    report = Importer(batch_size=1000).run(lines, ImportReport())
    bulk_seconds = time.perf_counter() - started
    assert report.imported == n and not report.errors, (report.imported, report.errors[:3])
    counts = {m.__name__: m.objects.count() for m in (Thread, Message, SlaClock, SlaEvent)}

    truncate_threads()
    started = time.perf_counter()
    via_services(rows[:n_baseline])
    live_seconds = time.perf_counter() - started

    bulk_rate = n / bulk_seconds
    live_rate = n_baseline / live_seconds
    print(f"rows written by the import: {counts}")
    print()
    print(f"{'path':<38}{'threads':>9}{'seconds':>10}{'threads/s':>12}")
    print("-" * 69)
    print(f"{'import_threads (bulk replay)':<38}{n:>9,}{bulk_seconds:>10.2f}{bulk_rate:>12,.0f}")
    print(
        f"{'baseline: live services, one by one':<38}{n_baseline:>9,}{live_seconds:>10.2f}"
        f"{live_rate:>12,.0f}"
    )
    print()
    verdict = "PASS" if bulk_rate >= GOAL else "FAIL"
    print(
        f"ratio bulk/baseline: {bulk_rate / live_rate:.1f}x; goal >= {GOAL:,} threads/s: "
        f"{bulk_rate:,.0f} {verdict}"
    )
    truncate_threads()


if __name__ == "__main__":
    main()
