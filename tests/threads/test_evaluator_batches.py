"""The evaluator on many threads at once: each due clock moves once, a thread that fails or is
held elsewhere does not stop the others, and a batch's writes are the one-thread writes."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Team
from policies.models import EscalationLevel, NotificationRule
from policies.services import policies_set_active
from tests.factories import office_calendar, policy, tier
from threads.clocks.rules import Clockwork
from threads.evaluator import evaluate
from threads.models import ClockState, Delivery, EventKind, SlaClock, SlaEvent, Thread
from threads.services import thread_create

BERLIN = ZoneInfo("Europe/Berlin")
OPENED = datetime(2026, 11, 23, 10, tzinfo=BERLIN)  # a Monday; first response due at 11:00


@pytest.fixture
def gold(db):
    tier("Free", default=True)
    gold = policy("Gold", calendar=office_calendar(), targets=[("first_response", "", 60)])
    NotificationRule.objects.create(policy=gold, events=["breaching"], to_assignee=True)
    return gold


def open_threads(count, **kwargs):
    with time_machine.travel(OPENED, tick=False):
        return [
            thread_create(subject=f"Printer {n}", first_message="help", **kwargs).thread
            for n in range(count)
        ]


def tick(minutes_after_due=1, **kwargs):
    with time_machine.travel(OPENED + timedelta(hours=1, minutes=minutes_after_due), tick=False):
        return evaluate(**kwargs)


def breaching(thread):
    return SlaEvent.objects.filter(thread=thread, kind=EventKind.BREACHING).count()


pytestmark = pytest.mark.both


@pytest.mark.django_db
@pytest.mark.parametrize("copy_from", [1, 50], ids=["written-by-copy", "written-by-insert"])
def test_every_due_clock_moves_once_over_several_batches(gold, agent, monkeypatch, copy_from):
    monkeypatch.setattr("threads.bulk.COPY_FROM", copy_from)
    threads = open_threads(5, assignee=agent)
    report = tick(batch=2)
    assert (report.threads, report.events, report.failed) == (5, 5, 0)
    assert tick(minutes_after_due=2, batch=2).events == 0
    assert [breaching(t) for t in threads] == [1] * 5
    assert Delivery.objects.filter(event__kind=EventKind.BREACHING).count() == 5
    assert {d.event.thread_id for d in Delivery.objects.select_related("event")} == {
        t.pk for t in threads
    }


@pytest.mark.django_db
def test_a_thread_the_rules_fail_on_is_counted_and_the_others_still_move(gold, agent, monkeypatch):
    threads = open_threads(3, assignee=agent)
    bad = threads[1].pk
    apply = Clockwork.apply

    def failing(work, action):
        if work.thread.pk == bad:
            raise RuntimeError("a broken thread")
        return apply(work, action)

    monkeypatch.setattr(Clockwork, "apply", failing)
    report = tick()
    assert (report.threads, report.failed) == (2, 1)
    assert [breaching(t) for t in threads] == [1, 0, 1]
    monkeypatch.setattr(Clockwork, "apply", apply)
    assert tick(minutes_after_due=2).threads == 1
    assert [breaching(t) for t in threads] == [1, 1, 1]
    assert Delivery.objects.filter(event__kind=EventKind.BREACHING).count() == 3


@pytest.mark.django_db
def test_escalations_that_change_different_fields_save_every_thread(gold, agent):
    escalations = Team.objects.create(name="Escalations")
    EscalationLevel.objects.create(
        policy=gold,
        level=1,
        after=timedelta(minutes=10),
        reassign_team=escalations,
        raise_priority="urgent",
    )
    normal, urgent = open_threads(1), open_threads(1, priority="urgent")
    tick(minutes_after_due=1)
    tick(minutes_after_due=11)  # both escalate; only the normal one's priority changes
    normal, urgent = Thread.objects.get(pk=normal[0].pk), Thread.objects.get(pk=urgent[0].pk)
    assert (normal.team_id, normal.priority) == (escalations.pk, "urgent")
    assert (urgent.team_id, urgent.priority) == (escalations.pk, "urgent")
    assert normal.updated_at == urgent.updated_at > OPENED


@pytest.mark.django_db
def test_many_assignees_are_alerted_each_with_one_address_lookup(gold, django_user_model):
    people = [
        django_user_model.objects.create_user(f"agent{n}", f"agent{n}@example.com")
        for n in range(4)
    ]
    for person in people:
        open_threads(1, assignee=person)
    with CaptureQueriesContext(connection) as captured:
        tick()
    assert sorted(Delivery.objects.values_list("recipient", flat=True)) == [
        f"agent{n}@example.com" for n in range(4)
    ]
    lookups = [q["sql"] for q in captured.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(lookups) == 1


@pytest.mark.django_db
def test_a_clock_of_a_policy_deactivated_since_it_started_breaches_in_its_calendar(gold, agent):
    # Friday 16:30: due at 9:30 on Monday, counted in the office hours of the policy's calendar.
    with time_machine.travel(datetime(2026, 11, 27, 16, 30, tzinfo=BERLIN), tick=False):
        account = Account.objects.create(name="ACME")
        thread = thread_create(
            subject="Printer", first_message="help", assignee=agent, account=account
        ).thread
    policies_set_active(policies=[gold], active=False)
    with time_machine.travel(datetime(2026, 11, 30, 9, 29, tzinfo=BERLIN), tick=False):
        assert evaluate().events == 0
    with time_machine.travel(datetime(2026, 11, 30, 9, 31, tzinfo=BERLIN), tick=False):
        assert evaluate().events == 1
    clock = SlaClock.objects.get(thread=thread)
    assert clock.state == ClockState.BREACHING
    assert clock.breached_at == datetime(2026, 11, 30, 9, 30, tzinfo=BERLIN)
    assert Delivery.objects.get().recipient == agent.email


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_a_thread_held_by_another_transaction_is_skipped_then_moved_once(gold, agent):
    assert connection.vendor == "postgresql"
    held, free = open_threads(2, assignee=agent)
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Thread.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        report = tick()
        assert (report.threads, report.skipped_locked) == (1, 1)
        assert (breaching(held), breaching(free)) == (0, 1)
    finally:
        release.set()
        holder.join(timeout=30)
    assert tick(minutes_after_due=2).threads == 1
    assert (breaching(held), breaching(free)) == (1, 1)
    assert Delivery.objects.filter(event__kind=EventKind.BREACHING).count() == 2


@pytest.mark.django_db
def test_the_garbage_collector_is_paused_for_a_batch_and_back_after_it_even_when_it_fails(
    gold, agent, monkeypatch
):
    import gc

    from threads.clocks import store

    open_threads(2, assignee=agent)
    seen, real = [], store.lock_batch

    def lock_batch(thread_ids, book):
        seen.append(gc.isenabled())
        if len(thread_ids) > 1:
            raise RuntimeError("the batch fails; its threads are retried one by one")
        return real(thread_ids, book)

    monkeypatch.setattr(store, "lock_batch", lock_batch)
    assert gc.isenabled()
    report = tick()
    assert (report.threads, report.failed) == (2, 0)
    assert seen == [False, False, False]
    assert gc.isenabled()


@pytest.mark.django_db
def test_a_metrics_failure_after_the_commit_is_logged_not_a_failed_batch(
    gold, agent, monkeypatch, caplog
):
    open_threads(2, assignee=agent)

    def broken(events):
        raise RuntimeError("the metrics directory is gone")

    monkeypatch.setattr("threads.evaluator.clock_events_recorded", broken)
    report = tick()
    assert (report.threads, report.events, report.failed) == (2, 2, 0)
    assert "retrying its threads one by one" not in caplog.text
    assert "counting the batch's warnings and breaches failed" in caplog.text
