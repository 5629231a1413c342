"""Threads in the admin: changes go through the services; re-apply shows a dry run first."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import office_calendar, policy, tier
from threads.models import ClockState, EventKind, SlaClock
from threads.services import thread_create

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BERLIN)


@pytest.fixture
def standard():
    tier("Free", default=True)
    return policy(
        "Standard",
        calendar=office_calendar(),
        targets=[("first_response", "", 240), ("resolution", "", 480)],
        pause_statuses=["on_hold"],
    )


def test_reapply_shows_a_dry_run_and_writes_nothing_until_confirmed(manager_client, standard):
    with time_machine.travel(MONDAY_10, tick=False):
        thread = thread_create(subject="Broken", first_message="help").thread
    target = standard.targets.get(metric="first_response")
    target.duration = timedelta(hours=1)
    target.save()
    url = reverse("admin:policies_slapolicy_changelist")
    with time_machine.travel(MONDAY_10 + timedelta(minutes=10), tick=False):
        page = manager_client.post(url, {"action": "reapply", "_selected_action": [standard.pk]})
        body = page.content.decode()
        assert "1 clock would change" in body and "4h → 1h" in body
        first = SlaClock.objects.get(thread=thread, metric="first_response")
        assert first.target_duration == timedelta(hours=4)  # dry run only
        manager_client.post(
            url, {"action": "reapply", "_selected_action": [standard.pk], "apply": "1"}
        )
    first.refresh_from_db()
    assert first.target_duration == timedelta(hours=1)
    assert first.due_at == MONDAY_10 + timedelta(hours=1)
    assert first.events.filter(kind=EventKind.RETARGETED).count() == 1
    resolution = SlaClock.objects.get(thread=thread, metric="resolution")
    assert not resolution.events.filter(kind=EventKind.RETARGETED).exists()  # unchanged


def change_form(**fields):
    data = {"channel": "email", "reason": "", "team": "", "assignee": "", **fields}
    for prefix in ("clocks", "messages", "events"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_changing_priority_in_the_admin_goes_through_the_rules(manager_client, standard):
    with time_machine.travel(MONDAY_10, tick=False):
        thread = thread_create(subject="Broken", first_message="help").thread
    url = reverse("admin:threads_thread_change", args=[thread.pk])
    with time_machine.travel(MONDAY_10 + timedelta(minutes=5), tick=False):
        response = manager_client.post(url, change_form(priority="urgent", status="on_hold"))
    assert "this status pauses resolution time" in response.content.decode()
    thread.refresh_from_db()
    assert thread.status == "open" and thread.priority == "normal"  # nothing half-written
    with time_machine.travel(MONDAY_10 + timedelta(minutes=5), tick=False):
        manager_client.post(
            url, change_form(priority="urgent", status="on_hold", reason="waiting for vendor")
        )
    thread.refresh_from_db()
    assert (thread.priority, thread.status) == ("urgent", "on_hold")
    resolution = SlaClock.objects.get(thread=thread, metric="resolution")
    assert resolution.paused and resolution.state == ClockState.PENDING
    assert thread.events.filter(kind=EventKind.THREAD_CHANGED, details__field="priority").exists()


def test_thread_pages_open_with_their_history(manager_client, standard):
    with time_machine.travel(MONDAY_10, tick=False):
        thread = thread_create(subject="Broken", first_message="help").thread
    for url in (
        reverse("admin:threads_thread_changelist"),
        reverse("admin:threads_thread_changelist") + "?sla=running",
        reverse("admin:threads_thread_change", args=[thread.pk]),
        reverse("admin:threads_slaclock_changelist"),
        reverse("admin:threads_slaevent_changelist"),
    ):
        assert manager_client.get(url).status_code == 200, url


def test_reapply_after_a_calendar_edit_moves_running_due_times(manager_client, standard):
    from policies.models import OpeningHours

    with time_machine.travel(MONDAY_10, tick=False):
        thread = thread_create(subject="Broken", first_message="help").thread
    first = SlaClock.objects.get(thread=thread, metric="first_response")
    assert first.due_at == MONDAY_10 + timedelta(hours=4)
    calendar = standard.calendar
    OpeningHours.objects.filter(calendar=calendar, weekday=0).update(opens="08:00", closes="12:00")
    calendar.save()  # touched, as the admin does
    url = reverse("admin:policies_slapolicy_changelist")
    with time_machine.travel(MONDAY_10 + timedelta(minutes=5), tick=False):
        manager_client.post(
            url, {"action": "reapply", "_selected_action": [standard.pk], "apply": "1"}
        )
    first.refresh_from_db()
    # Monday now closes at 12:00: 2h on Monday, the other 2h on Tuesday from 09:00.
    assert first.due_at == MONDAY_10 + timedelta(days=1, hours=1)
    assert first.events.filter(kind=EventKind.RETARGETED).count() == 1
