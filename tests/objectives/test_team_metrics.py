"""Objectives on a team's own targets (OLAs) are a metric like the others: they count the team
clocks, each for its own team, and a scope naming policies is refused (a team clock has none)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from objectives.figures import figures
from objectives.models import Objective
from policies.models import SlaPolicy
from tests.objectives.test_api import objective
from tests.threads.teams.stories import START, around_the_clock, at, team
from threads import services

pytestmark = [pytest.mark.django_db, pytest.mark.both]


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_login(manager)
    return client


@pytest.fixture
def teams(agent, other_agent):
    around_the_clock()
    return team("Frontline", members=[agent]), team("Tier 2", members=[other_agent])


def test_an_objective_on_team_response_counts_the_team_clocks(teams, agent, manager_api):
    frontline, _ = teams
    with at(0):
        answered = services.thread_create(subject="A", first_message="Hi", team=frontline).thread
        late = services.thread_create(subject="B", first_message="Hi", team=frontline).thread
    with at(10):
        services.agent_reply(thread=answered, author=agent, body="looking", public=False)
    with at(45):  # B's team response (30 m) has breached; its first response (60 m) has not
        services.thread_catch_up(thread=late)
        created = objective(manager_api, name="Team response", metric="team_response")
    assert created.status_code == 201, created.json()
    current = created.json()["current"]
    assert (current["achieved"], current["breached"]) == (1, 1)


def test_a_team_clock_counts_for_its_own_team_though_the_thread_was_handed_on(teams, manager):
    frontline, tier2 = teams
    with at(0):
        thread = services.thread_create(subject="A", first_message="Hi", team=frontline).thread
    with at(40):  # Frontline's response is late: handing it on decides it as a miss
        services.thread_update(thread=thread, team=tier2, actor=manager)
    scoped = Objective.objects.create(
        name="Frontline answers",
        metric="team_response",
        target_percent=90,
        time_zone="UTC",
        scope={"teams": [frontline.pk]},
    )
    tier2_only = Objective.objects.create(
        name="Tier 2 answers",
        metric="team_response",
        target_percent=90,
        time_zone="UTC",
        scope={"teams": [tier2.pk]},
    )
    moment = START + timedelta(minutes=41)
    assert figures(scoped, moment).breached == 1
    assert figures(tier2_only, moment).breached == 0


def test_a_team_metric_scoped_by_policy_is_a_400(teams, manager_api):
    response = objective(manager_api, metric="team_resolution", scope={"policies": [1]})
    assert response.status_code == 400
    assert "team" in str(response.json()["errors"]["scope"])


def test_the_admin_offers_team_metrics_and_refuses_a_policy_scope_for_them(teams, manager_client):
    page = manager_client.get(reverse("admin:objectives_objective_add"))
    assert 'value="team_response"' in page.content.decode()

    answer = manager_client.post(
        reverse("admin:objectives_objective_add"),
        {
            "name": "Team resolution",
            "metric": "team_resolution",
            "target_percent": "90",
            "period": "month",
            "time_zone": "UTC",
            "at_risk_share": "0.5",
            "scope_policies": [SlaPolicy.objects.get().pk],
        },
    )
    assert answer.status_code == 200
    assert "have no policy" in answer.content.decode()
    assert not Objective.objects.exists()
