"""Managers' pages refuse dates outside the years SLA Ops reasons about with a form error, never
a server error (found by the attack run: years 1 and 9999 overflowed the calendar arithmetic)."""

import pytest
from django.urls import reverse

from tests.factories import office_calendar, policy, tier

pytestmark = pytest.mark.django_db
EXTREMES = ["0001-01-01", "9999-12-30"]


@pytest.fixture
def standard(db):
    tier("Free", default=True)
    return policy("Standard", calendar=office_calendar(), targets=[("first_response", "", 60)])


@pytest.mark.parametrize("day", EXTREMES)
def test_the_report_for_a_day_out_of_range_says_so(manager_client, standard, day):
    response = manager_client.get("/reports/", {"start": day, "end": day, "zone": "UTC"})
    assert response.status_code in (200, 400)
    assert "between the years 2000 and 2100" in response.content.decode()


@pytest.mark.parametrize("start", ["9999-12-31T23:00", "0001-01-01T00:00"])
@pytest.mark.parametrize("page", ["slapolicy_preview", "slapolicy_preview_one", "calendar_preview"])
def test_a_preview_out_of_range_says_so(manager_client, standard, start, page):
    args = (
        []
        if page == "slapolicy_preview"
        else [standard.pk if page.startswith("slapolicy") else standard.calendar_id]
    )
    response = manager_client.get(
        reverse(f"admin:policies_{page}", args=args),
        {"start": start, "zone": "Pacific/Kiritimati", "priority": "normal", "channel": "email"},
    )
    assert response.status_code in (200, 400)
    assert "between the years 2000 and 2100" in response.content.decode()


@pytest.mark.parametrize("day", EXTREMES)
@pytest.mark.parametrize("model", ["slapolicy", "calendar"])
def test_a_whatif_from_a_day_out_of_range_says_so(manager_client, standard, day, model):
    subject = standard.pk if model == "slapolicy" else standard.calendar_id
    response = manager_client.post(
        reverse(f"admin:policies_{model}_whatif", args=[subject]),
        {"since": day, "until": "2026-11-27", "warnings": "", "hours_0": "09:00–17:00"},
    )
    assert response.status_code in (200, 400)
    assert "between the years 2000 and 2100" in response.content.decode()
