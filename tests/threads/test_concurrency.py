"""Messages racing on PostgreSQL: the thread lock keeps the clock rules true."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tests.factories import office_calendar, policy, tier
from threads.models import SlaClock
from threads.services import agent_reply, message_receive, thread_create

BERLIN = ZoneInfo("Europe/Berlin")


def race(n, work):
    barrier = threading.Barrier(n)
    errors = []

    def run(i):
        try:
            barrier.wait(timeout=10)
            work(i)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors, errors


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_two_customer_messages_at_once_start_one_next_response_clock():
    assert connection.vendor == "postgresql"
    tier("Free", default=True)
    policy(
        "Standard",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("next_response", "", 120)],
    )
    start = datetime(2026, 11, 23, 10, tzinfo=BERLIN)
    for round_ in range(5):
        thread = thread_create(
            subject=f"race {round_}", first_message="hi", created_at=start
        ).thread
        agent_reply(thread=thread, body="hello", created_at=start.replace(minute=5))
        race(
            4,
            lambda i, t=thread: message_receive(
                thread=t.pk, body=f"ping {i}", created_at=start.replace(minute=10 + i)
            ),
        )
        running = SlaClock.objects.filter(thread=thread, metric="next_response")
        assert running.count() == 1, f"round {round_}: {running.count()} next response clocks"
        assert thread.messages.count() == 6
