"""A team's own clocks (OLAs), told as stories: handed to a team, answered by a member, handed
on, back, removed; never touching the customer's clocks (docs/rules.md, "Team targets")."""

import pytest

from tests.threads.teams.stories import around_the_clock, at, clocks, opened, seconds
from threads.models import ClockState
from threads.services import (
    agent_reply,
    thread_resolve,
    thread_set_status,
    thread_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_a_thread_opened_for_a_team_starts_the_teams_clocks(frontline):
    around_the_clock()
    thread = opened(team=frontline)
    (response,) = clocks(thread, "team_response")
    (resolution,) = clocks(thread, "team_resolution")
    assert response.team == frontline and resolution.team == frontline
    assert response.policy is None
    assert response.due_at == response.started_at + response.target_duration


def test_team_clocks_run_without_any_customer_policy(frontline):
    thread = opened(team=frontline)
    assert thread.policy is None
    assert clocks(thread, "team_response")[0].state == ClockState.PENDING


def test_a_members_internal_note_answers_for_the_team(frontline, agent):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        agent_reply(thread=thread, author=agent, body="looking", public=False)
    assert clocks(thread, "team_response")[0].state == ClockState.ACHIEVED
    assert clocks(thread, "first_response")[0].state == ClockState.PENDING  # a note is no answer


def test_a_message_by_someone_outside_the_team_does_not_stop_its_response(frontline, other_agent):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        agent_reply(thread=thread, author=other_agent, body="on it")
    assert clocks(thread, "team_response")[0].is_running
    assert clocks(thread, "first_response")[0].state == ClockState.ACHIEVED


def test_handoff_stops_the_old_teams_clocks_and_starts_the_new_ones(frontline, tier2, manager):
    around_the_clock()
    thread = opened(team=frontline)
    with at(20):
        thread_update(thread=thread, team=tier2, actor=manager)
    old_response, new_response = clocks(thread, "team_response")
    old_resolution, new_resolution = clocks(thread, "team_resolution")
    assert old_response.state == ClockState.CANCELLED  # time was left
    assert old_resolution.state == ClockState.ACHIEVED  # handed on in time
    assert new_response.team == tier2 and new_response.started_at == old_response.stopped_at


def test_handoff_after_the_team_response_was_due_breaches_it(frontline, tier2, manager):
    around_the_clock()
    thread = opened(team=frontline)
    with at(45):
        thread_update(thread=thread, team=tier2, actor=manager)
    assert clocks(thread, "team_response")[0].state == ClockState.BREACHED


def test_handed_back_to_the_first_team_it_gets_fresh_clocks(frontline, tier2, manager):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        thread_update(thread=thread, team=tier2, actor=manager)
    with at(20):
        thread_update(thread=thread, team=frontline, actor=manager)
    teams = [c.team.name for c in clocks(thread, "team_resolution")]
    assert teams == ["Frontline", "Tier 2", "Frontline"]
    assert [c.is_running for c in clocks(thread, "team_resolution")] == [False, False, True]


def test_team_removed_stops_its_clocks_and_starts_none(frontline, manager):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        thread_update(thread=thread, team=None, actor=manager)
    assert not [
        c
        for c in clocks(thread, "team_response") + clocks(thread, "team_resolution")
        if c.is_running
    ]


def test_a_handoff_never_changes_the_customers_clocks(frontline, tier2, manager):
    around_the_clock()
    thread = opened(team=frontline)
    before = clocks(thread, "resolution")[0]
    with at(10):
        thread_update(thread=thread, team=tier2, actor=manager)
    after = clocks(thread, "resolution")[0]
    assert (after.pk, after.due_at, after.state) == (before.pk, before.due_at, before.state)


def test_team_clocks_pause_with_the_policys_pause_statuses(frontline, manager):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        thread_set_status(thread=thread, status="on_hold", actor=manager, reason="vendor")
    with at(100):
        thread_set_status(thread=thread, status="open", actor=manager)
    resolution = clocks(thread, "team_resolution")[0]
    assert not resolution.paused
    assert (
        resolution.due_at == resolution.running_since + resolution.target_duration - resolution.used
    )


def test_attribution_splits_resolution_time_between_teams_and_statuses(frontline, tier2, manager):
    around_the_clock(pause_statuses=["on_hold"])
    thread = opened(team=frontline)
    with at(10):
        thread_update(thread=thread, team=tier2, actor=manager)
    with at(25):
        thread_set_status(
            thread=thread, status="waiting_on_customer", actor=manager, reason="asked"
        )
    with at(30):
        thread_set_status(thread=thread, status="on_hold", actor=manager, reason="vendor")
    with at(90):
        thread_update(thread=thread, team=None, actor=manager)
        thread_set_status(thread=thread, status="open", actor=manager)
    with at(100):
        thread_resolve(thread=thread, actor=manager)
    resolution = clocks(thread, "resolution")[0]
    parts = seconds(resolution)
    assert parts == {
        f"team:{frontline.pk}": 600,
        f"team:{tier2.pk}": 900,
        "status:waiting_on_customer": 300,
        "no_team": 600,
    }
    assert sum(parts.values()) == resolution.used.total_seconds()


def test_deleting_a_team_takes_its_threads_from_it_by_the_rules(frontline):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        frontline.delete()
    thread.refresh_from_db()
    assert thread.team is None
    response, resolution = clocks(thread, "team_response") + clocks(thread, "team_resolution")
    assert (response.state, resolution.state) == (ClockState.CANCELLED, ClockState.ACHIEVED)
    assert thread.events.filter(details__why="team Frontline deleted").exists()
