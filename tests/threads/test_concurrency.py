"""Messages racing on PostgreSQL: the thread lock keeps the clock rules true."""

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

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


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_four_deliveries_of_one_ticket_at_once_answer_one_201_and_three_200s():
    from rest_framework.test import APIClient

    from integrations.models import IntegrationKey
    from threads.models import Thread

    assert connection.vendor == "postgresql"
    tier("Free", default=True)
    policy("Standard", calendar=office_calendar())
    _, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    for round_ in range(3):
        answers = []

        def deliver(i, external_id=f"ZD-{round_}", answers=answers):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
            response = client.post(
                "/api/v1/threads/",
                {"subject": "Printer on fire", "message": f"copy {i}", "external_id": external_id},
                format="json",
            )
            answers.append((response.status_code, response.json()["id"]))

        race(4, deliver)
        assert sorted(code for code, _ in answers) == [200, 200, 200, 201], answers
        assert len({thread_id for _, thread_id in answers}) == 1
        assert Thread.objects.filter(source="zendesk", external_id=f"ZD-{round_}").count() == 1


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_a_message_that_waited_for_the_lock_reads_the_clocks_committed_meanwhile():
    # The lock and the clocks are read in one round trip: the clocks must still be read after
    # the lock is held, not from before the wait.
    assert connection.vendor == "postgresql"
    tier("Free", default=True)
    policy(
        "Standard",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("next_response", "", 120)],
    )
    thread = thread_create(subject="waits", first_message="hi").thread
    agent_reply(thread=thread, body="hello")
    holding = threading.Event()

    def first():
        try:
            with transaction.atomic():
                message_receive(thread=thread.pk, body="first")  # starts next response
                holding.set()
                time.sleep(0.5)  # the second message waits for the lock meanwhile
        finally:
            connection.close()

    worker = threading.Thread(target=first)
    worker.start()
    assert holding.wait(timeout=10)
    message_receive(thread=thread.pk, body="second")
    worker.join(timeout=30)
    assert SlaClock.objects.filter(thread=thread, metric="next_response").count() == 1
