"""A set-up that guides: the index says where to start and ticks each step from the data; zones
are picked, not typed blind; lists and messages read right."""

import re

import pytest
from django.urls import reverse

from accounts.models import AgentProfile
from policies.models import Calendar, SlaPolicy, Tier
from slaops.fields import TimeZoneFormField, canonical_zones
from tests.factories import office_calendar, policy, tier

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def index(client) -> str:
    return client.get(reverse("admin:index")).content.decode()


def steps(page: str) -> list[tuple[str, str]]:
    """(title, "done" / "next" / "") of each checklist step."""
    return [
        (title, state)
        for state, title in re.findall(
            r'<li class="(done|next|)" data-step="\d+">\s*<span><a href="[^"]*">([^<]+)</a>', page
        )
    ]


def test_an_empty_index_says_where_to_start(manager_client):
    page = index(manager_client)
    assert "Getting started: 7 steps to go" in page
    assert steps(page)[0] == ("Set your business hours", "next")
    assert "start here" in page
    assert [state for _, state in steps(page)[1:]] == [""] * 6


def test_each_step_is_ticked_from_the_data(manager_client):
    calendar = office_calendar()
    calendar.holidays.create(date="2026-12-25", name="Christmas")
    tier("Free", default=True)
    tier("Gold")
    policy("Standard", calendar=calendar, active=True)
    page = index(manager_client)
    assert steps(page)[:5] == [
        ("Set your business hours", "done"),
        ("Import public holidays", "done"),
        ("Name your customer tiers", "done"),
        ("Create a policy from a template", "done"),
        ("Add an alert channel", "next"),
    ]
    assert "1 calendar" in page and "2 tiers" in page and "1 policy, 1 active" in page


def test_the_sla_screens_come_first_on_the_index(manager_client):
    page = index(manager_client)
    apps = re.findall(r'<div class="app-(\w+) module', page)
    assert apps[:2] == ["policies", "threads"]


def test_an_agent_sees_no_checklist(client, agent):
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    client.force_login(agent)
    assert "Getting started" not in index(client)


def test_the_zone_picker_lists_canonical_zones_only():
    zones = canonical_zones()
    assert "Europe/Berlin" in zones and "America/New_York" in zones and "UTC" in zones
    assert not {"W-SU", "Zulu", "US/Eastern", "Etc/GMT+5"} & set(zones)


def test_an_old_zone_name_is_answered_with_its_current_name():
    field = TimeZoneFormField()
    with pytest.raises(Exception, match="“W-SU” is an old name of a time zone; pick Europe/Moscow"):
        field.clean("W-SU")
    assert field.clean("Europe/Berlin") == "Europe/Berlin"


def test_a_new_calendar_starts_in_the_managers_zone(manager_client, manager):
    AgentProfile.objects.update_or_create(user=manager, defaults={"time_zone": "Asia/Tokyo"})
    page = manager_client.get(reverse("admin:policies_calendar_add")).content.decode()
    assert re.search(
        r'name="time_zone"[^>]*value="Asia/Tokyo"|value="Asia/Tokyo"[^>]*name="time_zone"', page
    )
    assert 'list="id_time_zone-zones"' in page and '<option value="W-SU"' not in page


def test_a_calendar_with_an_unknown_zone_is_refused_naming_the_field(manager_client):
    response = manager_client.post(
        reverse("admin:policies_calendar_add"),
        {"name": "Office", "time_zone": "Mars/Olympus", "description": ""},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "time_zone" in errors and "Mars/Olympus" in errors["time_zone"][0]
    assert not Calendar.objects.exists()


def test_which_policy_applies_defaults_to_the_managers_zone(manager_client, manager):
    AgentProfile.objects.update_or_create(user=manager, defaults={"time_zone": "Asia/Tokyo"})
    response = manager_client.get(reverse("admin:policies_slapolicy_preview"))
    assert response.context["form"]["zone"].value() == "Asia/Tokyo"


def test_targets_are_listed_urgent_high_normal_low(manager_client):
    tier("Free", default=True)
    policy(
        "Standard",
        targets=[("first_response", p, 60) for p in ("low", "high", "", "normal", "urgent")],
    )
    page = manager_client.get(reverse("admin:policies_slapolicy_changelist")).content.decode()
    shown = re.findall(r"First response \((\w+)\)", page)
    assert shown == ["Urgent", "High", "Normal", "Low"]


def test_activating_one_policy_says_one_policy(manager_client):
    tier("Free", default=True)
    standard = policy("Standard", active=False)
    response = manager_client.post(
        reverse("admin:policies_slapolicy_changelist"),
        {"action": "activate", "_selected_action": [standard.pk]},
        follow=True,
    )
    assert "1 policy activated." in response.content.decode()
    assert SlaPolicy.objects.get().active


def test_only_the_default_tier_is_marked(manager_client):
    tier("Free", default=True)
    tier("Gold")
    page = manager_client.get(reverse("admin:policies_tier_changelist")).content.decode()
    assert page.count("Default tier") == 1
    assert "icon-no.svg" not in page
    assert Tier.objects.count() == 2


def test_a_new_calendar_offers_office_hours_one_line_per_day(manager_client):
    form = manager_client.get(reverse("admin:policies_calendar_add")).context["adminform"].form
    assert [form[f"hours_{d}"].value() for d in range(7)] == ["09:00–17:00"] * 5 + ["closed"] * 2


def test_the_week_is_saved_from_its_seven_lines(manager_client):
    from tests.policies.test_admin import calendar_post

    data = calendar_post([])
    data.update({"hours_0": "09:00-12:00, 13:00-17:00", "hours_4": "22:00–06:00"})
    response = manager_client.post(reverse("admin:policies_calendar_add"), data)
    assert response.status_code == 302
    hours = [(h.weekday, str(h.opens), str(h.closes)) for h in Calendar.objects.get().hours.all()]
    assert sorted(hours) == [
        (0, "09:00:00", "12:00:00"),
        (0, "13:00:00", "17:00:00"),
        (4, "22:00:00", "06:00:00"),
    ]


def test_a_badly_typed_day_is_refused_naming_the_day(manager_client):
    from tests.policies.test_admin import calendar_post

    data = calendar_post([(0, "09:00", "17:00")])
    data["hours_2"] = "nine to five"
    response = manager_client.post(reverse("admin:policies_calendar_add"), data)
    errors = response.context["adminform"].form.errors
    assert "“nine to five” is not an interval" in errors["hours_2"][0]
    assert not Calendar.objects.exists()


def test_every_zone_typed_in_the_admin_uses_the_picker(manager_client):
    for url in (reverse("admin:policies_calendar_add"), reverse("admin:accounts_account_add")):
        page = manager_client.get(url).content.decode()
        assert 'class="zone-picker"' in page and "<datalist" in page, url
