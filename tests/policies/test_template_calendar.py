"""“Start from a template” picks the calendar the template describes: business hours for a
business-hours template (created if missing), 24/7 for an on-call one, unless the manager
picks another."""

import pytest
from django.urls import reverse

from accounts.models import AgentProfile
from policies.models import Calendar, SlaPolicy
from tests.factories import office_calendar

pytestmark = pytest.mark.django_db


def start_from(client, template, **form):
    response = client.post(
        reverse("admin:policies_slapolicy_templates"), {"template": template, **form}
    )
    assert response.status_code == 302
    return list(SlaPolicy.objects.select_related("calendar").order_by("order", "id"))


def test_the_form_starts_at_the_templates_own_calendar(manager_client):
    page = manager_client.get(reverse("admin:policies_slapolicy_templates")).content.decode()
    assert '<option value="" selected>As the template says' in page


def test_a_business_hours_template_gets_the_business_hours_calendar_made_for_it(
    manager, manager_client
):
    AgentProfile.objects.update_or_create(user=manager, defaults={"time_zone": "Europe/Vienna"})
    policies = start_from(manager_client, "b2b-tiers")
    calendar = Calendar.objects.get(name="Business hours")
    assert calendar.time_zone == "Europe/Vienna"
    assert sorted(calendar.hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert {p.calendar for p in policies} == {calendar}  # not 24/7


def test_the_business_hours_calendar_is_reused_not_made_twice(manager_client):
    start_from(manager_client, "priority-based")
    start_from(manager_client, "b2b-tiers")
    assert Calendar.objects.filter(name="Business hours").count() == 1
    assert not SlaPolicy.objects.filter(calendar__isnull=True).exists()


def test_an_on_call_template_stays_around_the_clock(manager_client):
    (policy,) = start_from(manager_client, "on-call-24-7")
    assert policy.calendar is None
    assert not Calendar.objects.exists()


def test_a_calendar_or_24_7_picked_by_the_manager_wins(manager_client):
    office = office_calendar("Vienna office")
    (picked,) = start_from(manager_client, "priority-based", calendar=office.pk)
    assert picked.calendar == office
    SlaPolicy.objects.all().delete()
    (round_the_clock,) = start_from(manager_client, "priority-based", calendar="24/7")
    assert round_the_clock.calendar is None
