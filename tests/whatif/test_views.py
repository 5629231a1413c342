"""What-if pages of a policy and a calendar in the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse

from policies.models import SlaTarget
from tests.whatif.helpers import NOW, answered, at, berlin, frt_target, row_counts
from threads.models import SlaClock
from threads.services import thread_create

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def whatif_url(name, subject, *args):
    model = "slapolicy" if hasattr(subject, "targets") else "calendar"
    return reverse(f"admin:policies_{model}_{name}", args=[subject.pk, *args])


def policy_form(standard, **changes):
    return {
        "since": "2026-11-23",
        "until": "2026-11-27",
        f"target_{frt_target(standard).pk}": "2h",
        "warnings": "50%",
        **changes,
    }


def test_the_whatif_pages_open_from_the_policy_and_the_calendar(manager_client, standard, office):
    for subject in (standard, office):
        change = manager_client.get(whatif_url("change", subject))
        assert whatif_url("whatif", subject) in change.content.decode()
        page = manager_client.get(whatif_url("whatif", subject))
        assert page.status_code == 200
    body = manager_client.get(whatif_url("whatif", standard)).content.decode()
    assert "First response (any priority)" in body and 'value="1h"' in body
    body = manager_client.get(whatif_url("whatif", office)).content.decode()
    assert 'value="09:00–17:00"' in body and "Saturday" in body


def test_a_bad_duration_is_refused_with_the_field_named(manager_client, standard):
    with at(NOW):
        response = manager_client.post(
            whatif_url("whatif", standard), policy_form(standard, **{"warnings": "soon"})
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Warnings: “soon” is not a warning" in body
        response = manager_client.post(
            whatif_url("whatif", standard),
            policy_form(standard, **{f"target_{frt_target(standard).pk}": "2 days"}),
        )
    body = response.content.decode()
    assert "First response (any priority): Write days as hours" in body


def test_bad_opening_hours_and_future_days_are_refused(manager_client, office, standard):
    with at(NOW):
        response = manager_client.post(
            whatif_url("whatif", office),
            {
                "since": "2026-11-23",
                "until": "2026-12-05",
                "hours_0": "nine to five",
                "hours_1": "09:00–13:00, 12:00–17:00",
                "holidays_remove": "2026-12-24",
            },
        )
    body = response.content.decode()
    assert "to (inclusive): A what-if replays past threads" in body
    assert "Monday: “nine to five” is not an interval" in body
    assert "Tuesday: 09:00–13:00 and 12:00–17:00 overlap" in body
    assert "Remove holidays: 2026-12-24: not a holiday of this calendar" in body


def test_manager_replays_sees_the_changed_thread_and_applies(
    manager_client, standard, four_threads
):
    before = row_counts()
    with at(NOW):
        response = manager_client.post(whatif_url("whatif", standard), policy_form(standard))
        assert response.status_code == 302
        result = manager_client.get(response["Location"])
    body = result.content.decode()
    assert row_counts() == before  # the run lives in the manager's session, nothing else
    assert 'id="whatif-table"' in body and "75.0%" in body and "50.0%" in body
    assert f"#{four_threads[90].pk} Answered after 90m" in body
    assert "First response (any priority): 1h → 2h" in body
    assert SlaTarget.objects.get(policy=standard).duration == timedelta(hours=1)
    apply_url = response["Location"] + "apply/"
    with at(NOW):
        applied = manager_client.post(apply_url, {})
    assert applied.status_code == 302 and applied["Location"] == whatif_url("change", standard)
    assert SlaTarget.objects.get(policy=standard).duration == timedelta(hours=2)
    assert manager_client.post(apply_url, {}).status_code == 302  # applied once: the run is gone
    assert SlaTarget.objects.get(policy=standard).duration == timedelta(hours=2)


def test_applying_from_the_page_can_reapply_to_running_clocks(manager_client, standard):
    with at(berlin(30, 11)):
        waiting = thread_create(subject="Still waiting", created_at=berlin(30, 11)).thread
    with at(berlin(30, 11, 30)):
        location = manager_client.post(whatif_url("whatif", standard), policy_form(standard))[
            "Location"
        ]
        page = manager_client.get(location).content.decode()
        assert "running clock" in page and 'name="reapply"' in page
        done = manager_client.post(location + "apply/", {"reapply": "1"}, follow=True)
    assert "1 running clocks retargeted" in done.content.decode()
    assert SlaClock.objects.get(thread=waiting).due_at == berlin(30, 13)
    from django.contrib.admin.models import LogEntry

    logged = LogEntry.objects.get(object_id=str(standard.pk))
    assert logged.change_message == (
        "Applied a what-if draft: First response (any priority): 1h → 2h."
    )


def test_the_page_shows_progress_until_the_run_is_finished(
    manager_client, standard, four_threads, monkeypatch
):
    monkeypatch.setattr("whatif.run.CHUNK", 1)
    monkeypatch.setattr("whatif.views.STEP_SECONDS", 0)
    with at(NOW):
        location = manager_client.post(whatif_url("whatif", standard), policy_form(standard))[
            "Location"
        ]
        first = manager_client.get(location).content.decode()
        assert "1 of 4 threads" in first and f'hx-get="{location}"' in first
        steps = [
            manager_client.get(location, headers={"HX-Request": "true"}).content.decode()
            for _ in range(3)
        ]
    assert "2 of 4 threads" in steps[0] and "3 of 4 threads" in steps[1]
    assert 'id="whatif-table"' in steps[2] and "<html" not in steps[2]


def test_calendar_whatif_in_the_admin_lists_the_early_thread(
    manager_client, office, standard, agent
):
    early = answered(berlin(24, 7, 30), 120, agent, "Written at 07:30")
    form = {"since": "2026-11-23", "until": "2026-11-27", "holidays_add": "", "holidays_remove": ""}
    form.update({f"hours_{day}": "08:00–17:00" if day < 5 else "closed" for day in range(7)})
    with at(NOW):
        response = manager_client.post(whatif_url("whatif", office), form)
        body = manager_client.get(response["Location"]).content.decode()
    assert f"#{early.pk} Written at 07:30" in body
    assert "Monday: 09:00–17:00 → 08:00–17:00" in body


def test_an_expired_run_sends_the_manager_back_to_the_form(manager_client, standard):
    response = manager_client.get(whatif_url("whatif_run", standard, "0123456789abcdef"))
    assert response.status_code == 302 and response["Location"] == whatif_url("whatif", standard)
