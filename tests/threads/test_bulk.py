"""Writes of many rows at once (threads.bulk): what one save per row would have written."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import office_calendar, policy, tier
from threads.bulk import update_rows
from threads.clocks.store import CLOCK_FIELDS
from threads.models import ClockState, SlaClock
from threads.services import thread_create

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_update_rows_writes_every_field_of_many_rows_with_one_statement(agent):
    tier("Free", default=True)
    policy("Gold", calendar=office_calendar(), targets=[("first_response", "", 60)])
    threads = [thread_create(subject=f"T{n}", first_message="hi").thread for n in range(3)]
    clocks = list(SlaClock.objects.filter(thread__in=threads).order_by("id"))
    now = timezone.now()
    for n, clock in enumerate(clocks):
        clock.state = ClockState.BREACHING
        clock.breached_at = now - timedelta(minutes=n)
        clock.warn_at = None
        clock.holder = agent if n else None
        clock.escalations = [[1, 600 * n, None, "urgent"]]
        clock.escalations_fired = n
        clock.used = timedelta(minutes=5 * n)
        clock.zone = f"Zone/{n}"
    with CaptureQueriesContext(connection) as captured:
        update_rows(SlaClock, clocks, CLOCK_FIELDS)
    if connection.vendor == "postgresql":
        assert len(captured.captured_queries) == 1
    saved = {c.pk: c for c in SlaClock.objects.filter(pk__in=[c.pk for c in clocks])}
    for n, clock in enumerate(clocks):
        row = saved[clock.pk]
        assert row.state == ClockState.BREACHING
        assert row.breached_at == now - timedelta(minutes=n)
        assert row.warn_at is None
        assert row.holder_id == (agent.pk if n else None)
        assert row.escalations == [[1, 600 * n, None, "urgent"]]
        assert (row.escalations_fired, row.used, row.zone) == (
            n,
            timedelta(minutes=5 * n),
            f"Zone/{n}",
        )
        assert row.due_at == clock.due_at  # unchanged fields are written back as they were


def test_many_rows_are_written_by_copy_and_a_second_write_in_the_transaction_stands(agent):
    """From COPY_FROM rows on, PostgreSQL gets the values by a binary COPY into a temporary
    table: every type of the clock's columns arrives as it was, NULLs too, and a second
    update of the same columns before the commit writes its own values, not the first's."""
    from django.db import transaction

    from threads.bulk import COPY_FROM

    tier("Free", default=True)
    policy("Gold", calendar=office_calendar(), targets=[("first_response", "", 60)])
    threads = [
        thread_create(subject=f"T{n}", first_message="hi").thread for n in range(COPY_FROM + 2)
    ]
    clocks = list(SlaClock.objects.filter(thread__in=threads).order_by("id"))
    now = timezone.now()
    with transaction.atomic():
        for n, clock in enumerate(clocks):
            clock.state = ClockState.BREACHING
            clock.breached_at = now - timedelta(seconds=n)
            clock.warn_at = None
            clock.holder = agent if n % 2 else None
            clock.escalations = [[1, n, None, "urgent"]]
            clock.attribution = {"parts": {"agent": n}, "holder": "agent"}
            clock.used = timedelta(seconds=n, microseconds=7)
            clock.paused = bool(n % 3)
            clock.zone = f"Zone/{n}"
        update_rows(SlaClock, clocks, CLOCK_FIELDS)
        SlaClock.objects.filter(pk=clocks[-1].pk).update(zone="Set since")
        for clock in clocks[:3]:
            clock.zone = "Europe/Berlin"
        update_rows(SlaClock, clocks[:-1], CLOCK_FIELDS)
    saved = {c.pk: c for c in SlaClock.objects.filter(pk__in=[c.pk for c in clocks])}
    for n, clock in enumerate(clocks):
        row = saved[clock.pk]
        assert (row.state, row.breached_at, row.warn_at) == (
            ClockState.BREACHING,
            now - timedelta(seconds=n),
            None,
        )
        assert row.holder_id == (agent.pk if n % 2 else None)
        assert row.escalations == [[1, n, None, "urgent"]]
        assert row.attribution == {"parts": {"agent": n}, "holder": "agent"}
        assert (row.used, row.paused) == (timedelta(seconds=n, microseconds=7), bool(n % 3))
    assert [saved[c.pk].zone for c in clocks[:4]] == ["Europe/Berlin"] * 3 + ["Zone/3"]
    assert saved[clocks[-1].pk].zone == "Set since"  # not written again by the second update


def test_an_event_built_quickly_is_the_event_the_model_would_make(agent):
    """SlaEvent.recorded (threads/models/loading.py) makes what SlaEvent(…) makes: the same
    values, related objects and state, and both save the same row."""
    from threads.models import SlaEvent

    tier("Free", default=True)
    policy("Gold", calendar=office_calendar(), targets=[("first_response", "", 60)])
    thread = thread_create(subject="T", first_message="hi").thread
    clock = SlaClock.objects.filter(thread=thread).first()
    at = timezone.now()
    values = dict(
        thread=thread, clock=clock, kind="breaching", at=at, actor=agent, details={"a": 1}
    )
    quick = SlaEvent.recorded(**values, historical=False)
    slow = SlaEvent(**values, historical=False)
    names = [f.attname for f in SlaEvent._meta.concrete_fields if f.attname != "recorded_at"]
    assert [getattr(quick, n) for n in names] == [getattr(slow, n) for n in names]
    assert (quick.thread, quick.clock, quick.actor) == (thread, clock, agent)
    assert (quick._state.adding, quick._state.db) == (True, None)
    quick.save()
    saved = SlaEvent.objects.get(pk=quick.pk)
    assert (saved.thread_id, saved.clock_id, saved.actor_id, saved.details) == (
        thread.pk,
        clock.pk,
        agent.pk,
        {"a": 1},
    )


def test_a_receiver_of_the_init_signals_still_hears_of_clocks_read_and_events_built(agent):
    """Read without __init__ only while nobody listens (threads/models/loading.py)."""
    from django.db.models.signals import post_init

    from threads.models import SlaEvent

    tier("Free", default=True)
    policy("Gold", calendar=office_calendar(), targets=[("first_response", "", 60)])
    thread = thread_create(subject="T", first_message="hi").thread
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(sender)

    post_init.connect(receiver, sender=SlaClock)
    post_init.connect(receiver, sender=SlaEvent)
    try:
        clock = SlaClock.objects.filter(thread=thread).first()
        SlaEvent.recorded(
            thread=thread,
            clock=clock,
            kind="breaching",
            at=timezone.now(),
            actor=None,
            details={},
            historical=False,
        )
    finally:
        post_init.disconnect(receiver, sender=SlaClock)
        post_init.disconnect(receiver, sender=SlaEvent)
    assert heard == [SlaClock, SlaEvent]
    assert clock.thread_id == thread.pk and not clock._state.adding


def test_outbox_rows_built_quickly_take_the_defaults_the_model_gives(agent):
    """threads/models/loading.built fills the columns not given with the model's defaults: the
    constant ones as they are, the callable ones (a new uid, now) called for each row."""
    from threads.models import Delivery, Notification, SlaEvent
    from threads.models.loading import built

    tier("Free", default=True)
    policy("Gold", calendar=office_calendar(), targets=[("first_response", "", 60)])
    thread = thread_create(subject="T", first_message="hi").thread
    event = SlaEvent.objects.filter(thread=thread).first()
    given = {"event_id": event.pk, "kind": "email", "recipient": "a@example.com"}
    quick = [
        built(Delivery, {**given, "recipient": to, "user_id": agent.pk}, {"event": event})
        for to in ("a@example.com", "b@example.com")
    ]
    slow = Delivery(event=event, kind="email", recipient="a@example.com", user_id=agent.pk)
    varying = {"uid", "created_at", "next_attempt_at"}
    names = [f.attname for f in Delivery._meta.concrete_fields if f.attname not in varying]
    assert [getattr(quick[0], n) for n in names] == [getattr(slow, n) for n in names]
    assert quick[0].uid != quick[1].uid and quick[0].event is event
    note = built(
        Notification,
        {"user_id": agent.pk, "event_id": event.pk, "thread_id": thread.pk, "title": "Due"},
        {"event": event, "thread": thread},
    )
    assert (note.body, note.read_at, note.objective_event_id) == ("", None, None)
    for row in (*quick, note):
        row.save()
    assert Delivery.objects.filter(event=event).count() == 2
