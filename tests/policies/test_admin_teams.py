"""The team's page in the admin, as a manager meets it: the calendar its clocks run on, its own
targets, warnings, escalation levels and alert rules (policies/admin/teams.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Team
from policies.models import AlertChannel, TeamAlertRule, TeamEscalation, TeamTarget, TeamWarning
from tests.factories import office_calendar
from tests.policies.test_admin import inline_management, policy_post

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def team_post(name="Tier 2", targets=(), warnings=(), escalations=(), rules=(), **fields):
    """The team form as the browser sends it: targets (metric, priority, duration),
    warnings (kind, value), escalations (level, after), rules (dicts of a rule's fields)."""
    data = {
        "name": name,
        "members": [],
        "calendar": "",
        **fields,
        **inline_management("targets", len(targets)),
        **inline_management("thresholds", len(warnings)),
        **inline_management("escalations", len(escalations)),
        **inline_management("rules", len(rules)),
    }
    for i, (metric, priority, duration) in enumerate(targets):
        data |= {
            f"targets-{i}-metric": metric,
            f"targets-{i}-priority": priority,
            f"targets-{i}-duration": duration,
        }
    for i, (kind, value) in enumerate(warnings):
        data |= {f"thresholds-{i}-kind": kind, f"thresholds-{i}-value": str(value)}
    for i, (level, after) in enumerate(escalations):
        data |= {f"escalations-{i}-level": str(level), f"escalations-{i}-after": after}
    for i, rule in enumerate(rules):
        data |= {f"rules-{i}-{field}": value for field, value in rule.items()}
    return data


def add_team(client, **kwargs):
    return client.post(reverse("admin:accounts_team_add"), team_post(**kwargs))


def test_a_manager_sets_a_teams_calendar_and_targets_on_its_page(manager_client):
    office = office_calendar()
    response = add_team(
        manager_client,
        calendar=str(office.pk),
        targets=[("team_response", "", "30m"), ("team_resolution", "urgent", "4h")],
        warnings=[("percent_used", 75)],
        escalations=[(1, "1h")],
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    team = Team.objects.get(name="Tier 2")
    assert team.calendar == office
    assert {(t.metric, t.priority, t.duration) for t in team.targets.all()} == {
        ("team_response", "", timedelta(minutes=30)),
        ("team_resolution", "urgent", timedelta(hours=4)),
    }
    assert [(w.kind, w.value) for w in TeamWarning.objects.filter(team=team)] == [
        ("percent_used", 75)
    ]
    assert TeamEscalation.objects.get(team=team).after == timedelta(hours=1)


def test_a_teams_alert_rule_names_the_teams_own_metrics_and_channels(manager_client):
    channel = AlertChannel.objects.create(name="Ops", kind="email", addresses="ops@acme.com")
    rule = {
        "events": ["breaching", "escalated"],
        "metrics": ["team_response"],
        "escalation_levels": ["1"],
        "to_team": "on",
        "in_app": "on",
        "channels": [str(channel.pk)],
    }
    response = add_team(manager_client, targets=[("team_response", "", "30m")], rules=[rule])
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = TeamAlertRule.objects.get()
    assert saved.events == ["breaching", "escalated"] and saved.metrics == ["team_response"]
    assert saved.escalation_levels == [1] and list(saved.channels.all()) == [channel]


def test_a_team_target_offers_only_team_metrics(manager_client):
    page = manager_client.get(reverse("admin:accounts_team_add")).content.decode()
    assert 'value="team_response"' in page and 'value="team_resolution"' in page
    assert 'value="first_response"' not in page and 'value="periodic_update"' not in page

    response = add_team(manager_client, targets=[("first_response", "", "1h")])
    assert response.status_code == 200
    assert not TeamTarget.objects.exists()


def test_a_policy_offers_no_team_metric_for_its_targets_or_rules(manager_client):
    page = manager_client.get(reverse("admin:policies_slapolicy_add")).content.decode()
    assert 'value="periodic_update"' in page and 'value="first_resolution"' in page
    assert 'value="team_response"' not in page and 'value="team_resolution"' not in page

    response = manager_client.post(
        reverse("admin:policies_slapolicy_add"), policy_post(targets=[("team_response", "", "1h")])
    )
    assert response.status_code == 200  # refused: not a policy's metric


def test_a_warning_that_does_not_fit_the_teams_shortest_target_is_refused(manager_client):
    response = add_team(
        manager_client, targets=[("team_response", "", "30m")], warnings=[("minutes_before", 45)]
    )
    assert response.status_code == 200
    assert "is not shorter than the shortest target" in response.content.decode()
    assert not Team.objects.exists()


def test_the_team_list_shows_calendar_and_targets(manager_client):
    team = Team.objects.create(name="Tier 2", calendar=office_calendar())
    TeamTarget.objects.create(team=team, metric="team_response", duration=timedelta(minutes=30))
    page = manager_client.get(reverse("admin:accounts_team_changelist")).content.decode()
    assert "Office" in page and "Team response: <strong>30m</strong>" in page
