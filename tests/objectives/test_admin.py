"""A manager defines an objective in the admin as they read it: the scope picked from lists by
name, never typed as JSON with ids."""

import pytest

from accounts.models import Team
from objectives.models import Objective

pytestmark = pytest.mark.django_db
ADD = "/admin/objectives/objective/add/"


def form(**fields):
    return {
        "name": "Frontline FRT 95%",
        "metric": "first_response",
        "target_percent": "95",
        "period": "month",
        "time_zone": "Europe/Berlin",
        "at_risk_share": "0.50",
        "notify_managers": "on",
        "periods-TOTAL_FORMS": "0",
        "periods-INITIAL_FORMS": "0",
        **fields,
    }


def test_a_manager_picks_the_scope_from_lists(manager_client):
    frontline = Team.objects.create(name="Frontline")
    page = manager_client.get(ADD).content.decode()
    assert "Frontline" in page and "Teams" in page and "Priorities" in page
    response = manager_client.post(
        ADD, form(scope_teams=[frontline.pk], scope_priorities=["urgent", "high"])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    made = Objective.objects.get()
    assert made.scope == {"teams": [frontline.pk], "priorities": ["urgent", "high"]}
    assert made.time_zone == "Europe/Berlin"


def test_nothing_picked_is_every_clock_and_the_choice_shows_again(manager_client):
    manager_client.post(ADD, form())
    made = Objective.objects.get()
    assert made.scope == {}
    team = Team.objects.create(name="Billing")
    made.scope = {"teams": [team.pk]}
    made.save()
    page = manager_client.get(f"/admin/objectives/objective/{made.pk}/change/").content.decode()
    assert f'<option value="{team.pk}" selected>Billing</option>' in page


def test_an_unknown_time_zone_is_refused_naming_the_field(manager_client):
    response = manager_client.post(ADD, form(time_zone="Mars/Olympus"))
    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors
