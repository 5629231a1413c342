"""Benchmark: messages per second from a mailbox (a real Dovecot over IMAP, PostgreSQL) into
threads with their SLA clocks, against the same messages sent through the REST API (gunicorn,
2 workers, 8 clients) in the same run.

2,000 messages: 1,500 customers opening a conversation and 500 answers to them (In-Reply-To),
so both new threads and next messages are measured. Goal: >= 200 messages/s from the mailbox;
mailbox to queue <= 60 s p99 with the default schedule (a poll every minute).

Run from the repository root: .venv/bin/python bench/mail_ingest.py [messages]
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["SLA_ALLOW_PRIVATE_DESTINATIONS"] = "true"  # Dovecot listens on 127.0.0.1
os.environ["SLA_DELIVER_ON_COMMIT"] = "false"
from bench.django_setup import setup, truncate_threads  # noqa: E402

PORT = 8766
CLIENTS = 8
GOAL = 200
SCHEDULE_SECONDS = 60


def messages(count: int) -> list[tuple[bytes, dict]]:
    """(raw e-mail, the same as an API request) pairs; every fourth answers an earlier one."""
    from email.message import EmailMessage

    out = []
    opened = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = f"Customer {n} <customer{n}@bench-{n % 50}.example>"
        message["To"] = "support@bench.example"
        message["Message-ID"] = f"<bench-{n}@bench.example>"
        answers = opened[n // 4 - 1] if n % 4 == 3 and opened else None
        if answers is not None:
            message["Subject"] = f"Re: Case {answers}"
            message["In-Reply-To"] = f"<bench-{answers}@bench.example>"
            message["References"] = f"<bench-{answers}@bench.example>"
        else:
            message["Subject"] = f"Case {n}"
            opened.append(n)
        message.set_content(f"Hello,\nsomething is broken ({n}).\nThanks")
        api = {"answers": answers, "n": n, "email": f"customer{n}@bench-{n % 50}.example"}
        out.append((message.as_bytes(), api))
    return out


def reset() -> None:
    from django.db import connection

    truncate_threads()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE mail_attachment, mail_inboundemail, mail_outboundemail CASCADE")


def from_mailbox(batch) -> tuple[float, list[float]]:
    from mail.imap import poll
    from mail.models import InboundEmail, Mailbox
    from tests.mail.dovecot import dovecot

    with tempfile.TemporaryDirectory() as tmp, dovecot(Path(tmp), {"support": "pw"}) as server:
        for start in range(0, len(batch), 200):
            server.deliver("support", *[raw for raw, _ in batch[start : start + 200]])
        Mailbox.objects.filter(name="bench").delete()
        mailbox = Mailbox.objects.create(
            name="bench",
            address="support@bench.example",
            imap_host=server.host,
            imap_port=server.port,
            imap_security="none",
            imap_user="support",
            imap_password="pw",
        )
        started = time.perf_counter()
        wall = time.time()
        result = poll(mailbox, limit=len(batch))
        elapsed = time.perf_counter() - started
        assert result.new == len(batch), (result.new, result.refused[:3])
        # When each message's thread or message was committed, after the poll began.
        delays = [
            (at.timestamp() - wall)
            for at in InboundEmail.objects.values_list(
                "thread_message__thread__updated_at", flat=True
            )
        ]
        assert server.unread("support") == 0
    return elapsed, delays


def through_api(batch) -> float:
    from integrations.models import IntegrationKey

    IntegrationKey.objects.filter(name="bench-mail").delete()
    _, token = IntegrationKey.objects.create_key(name="bench-mail", source="bench-mail")
    env = {**os.environ, "LOG_LEVEL": "WARNING", "SLA_API_RATE_KEY": "1000000/min"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "slaops.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "2", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    headers = {"Authorization": f"Api-Key {token}", "Content-Type": "application/json"}
    thread_of: dict[int, int] = {}
    ready = {n: threading.Event() for _, api in batch for n in [api["n"]]}
    errors = [0]

    def post(conn, path, body) -> dict:
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        data = response.read()
        if response.status not in (200, 201):
            errors[0] += 1
            return {}
        return json.loads(data)

    def client(part) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        for _, api in part:
            if api["answers"] is None:
                made = post(
                    conn,
                    "/api/v1/threads/",
                    {"subject": f"Case {api['n']}", "message": "Hello, something is broken.",
                     "contact_email": api["email"], "external_id": f"<bench-{api['n']}>",
                     "source": "bench-mail"},
                )  # fmt: skip
                thread_of[api["n"]] = made.get("id", 0)
            else:
                ready[api["answers"]].wait(30)
                post(
                    conn,
                    f"/api/v1/threads/{thread_of.get(api['answers'], 0)}/messages/",
                    {"author": "customer", "body": "More detail", "external_id": f"m{api['n']}"},
                )
            ready[api["n"]].set()
        conn.close()

    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        parts = [batch[i::CLIENTS] for i in range(CLIENTS)]
        started = time.perf_counter()
        workers = [threading.Thread(target=client, args=(part,)) for part in parts]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=15)
    if errors[0]:
        print(f"  (the API answered {errors[0]} requests with an error)")
    return elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    setup(name="mail")
    from django.conf import settings

    print(f"$ .venv/bin/python bench/mail_ingest.py {count}")
    batch = messages(count)
    reset()
    mail_seconds, delays = from_mailbox(batch)
    reset()
    api_seconds = through_api(batch)
    reset()
    delays.sort()
    in_poll_p99 = delays[int(len(delays) * 0.99) - 1]
    # A message waits for the next poll (up to the schedule's interval, uniformly) and then
    # for its place in that poll's batch.
    tick = settings.MAIL_POLL_TICK_SECONDS or SCHEDULE_SECONDS
    p99_to_queue = 0.99 * tick + in_poll_p99
    mail_rate, api_rate = count / mail_seconds, count / api_seconds
    print(
        f"{count} messages ({count - count // 4} new conversations, {count // 4} answers), "
        f"PostgreSQL, Dovecot on 127.0.0.1, MAIL_INGEST_WORKERS={settings.MAIL_INGEST_WORKERS}"
    )
    print()
    print(f"{'path':<44}{'seconds':>9}{'msgs/s':>9}")
    print("-" * 62)
    print(f"{'mailbox (IMAP poll, one batch)':<44}{mail_seconds:>9.1f}{mail_rate:>9,.0f}")
    print(f"{'REST API (gunicorn 2 workers, 8 clients)':<44}{api_seconds:>9.1f}{api_rate:>9,.0f}")
    print()
    print(
        f"ratio mailbox/API: {mail_rate / api_rate:.2f}; goal >= {GOAL} msgs/s from the mailbox: "
        f"{mail_rate:,.0f} {'PASS' if mail_rate >= GOAL else 'FAIL'}"
    )
    print(
        f"mailbox to queue p99 with the default schedule (a run a minute, a poll every "
        f"{tick} s in it): {p99_to_queue:.1f} s "
        f"(in-poll p99 {in_poll_p99:.1f} s, median {statistics.median(delays):.1f} s) "
        f"{'PASS' if p99_to_queue <= 60 else 'FAIL'}"
    )
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
