"""The edges of a handoff, told with the time frozen at each step: handed on while paused, twice
within a minute, and a team measured on its own calendar while the customer's clocks keep the
policy's (docs/rules.md, "Team targets")."""

import json
from datetime import time, timedelta

import pytest

from tests.factories import office_calendar, policy, tier
from tests.threads.teams.stories import START, around_the_clock, at, clocks, opened, seconds, team
from threads.importer import ImportReport
from threads.importer.run import Importer
from threads.models import ClockState, Message, Thread
from threads.services import agent_reply, thread_create, thread_set_status, thread_update

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_handed_on_while_paused_the_new_teams_clocks_start_paused(frontline, tier2, manager):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        thread_set_status(thread=thread, status="on_hold", actor=manager, reason="vendor")
    with at(50):
        thread_update(thread=thread, team=tier2, actor=manager)
    old_response, new_response = clocks(thread, "team_response")
    old_resolution, new_resolution = clocks(thread, "team_resolution")
    # The old team's clocks stop with the 10 minutes they ran: paused time is no time.
    assert old_response.state == ClockState.CANCELLED
    assert old_resolution.state == ClockState.ACHIEVED
    assert old_resolution.used == timedelta(minutes=10)
    assert seconds(old_resolution) == {f"team:{frontline.pk}": 600}
    assert new_response.paused and new_resolution.paused
    assert new_resolution.used == timedelta() and new_resolution.due_at is None
    with at(70):
        thread_set_status(thread=thread, status="open", actor=manager)
    (running,) = [c for c in clocks(thread, "team_resolution") if c.is_running]
    assert running.due_at == START + timedelta(minutes=70) + timedelta(minutes=240)


def test_team_changed_twice_within_a_minute(frontline, tier2, manager):
    around_the_clock()
    thread = opened(team=frontline)
    with at(10):
        thread_update(thread=thread, team=tier2, actor=manager)
    with at(10.5):
        thread_update(thread=thread, team=frontline, actor=manager)
    assert [(c.team.name, c.state) for c in clocks(thread, "team_response")] == [
        ("Frontline", ClockState.CANCELLED),
        ("Tier 2", ClockState.CANCELLED),
        ("Frontline", ClockState.PENDING),
    ]
    tier2_resolution = clocks(thread, "team_resolution")[1]
    assert tier2_resolution.used == timedelta(seconds=30)
    assert seconds(tier2_resolution) == {f"team:{tier2.pk}": 30}
    with at(20):
        thread_set_status(thread=thread, status="resolved", actor=manager)
    resolution = clocks(thread, "resolution")[0]
    assert seconds(resolution) == {f"team:{frontline.pk}": 1170, f"team:{tier2.pk}": 30}


def test_a_member_of_the_team_handed_away_no_longer_answers_for_it(
    frontline, tier2, agent, manager
):
    around_the_clock()
    thread = opened(team=frontline)
    with at(5):
        thread_update(thread=thread, team=tier2, actor=manager)
    with at(10):
        agent_reply(thread=thread, author=agent, body="noted", public=False)
    assert clocks(thread, "team_response")[1].is_running  # Frontline's member, Tier 2's clock


def test_a_team_on_its_own_calendar_measures_its_clocks_there(agent, manager):
    """The thread's policy counts office hours in Berlin (9-17); Tier 2 works 7-21 in New York.
    Opened at 16:30 Berlin (10:30 New York) on a Monday: the team's clock runs through the
    Berlin evening, the customer's stops at 17:00."""
    tier("Free", default=True)
    policy(
        "Office",
        calendar=office_calendar(),
        targets=[("resolution", "", 480)],
        pause_statuses=["on_hold"],
    )
    new_york = office_calendar(
        "New York long days", zone="America/New_York", opens=time(7), closes=time(21)
    )
    late_team = team("Tier 2", response=60, resolution=240, calendar=new_york)
    with at(390):  # 16:30 in Berlin, 10:30 in New York
        thread = thread_create(subject="Export fails", first_message="Help", team=late_team).thread
    (response,) = clocks(thread, "team_response")
    assert response.calendar == new_york and response.zone == "America/New_York"
    assert response.due_at == START + timedelta(minutes=450)  # 11:30 in New York
    with at(570):  # 19:30 in Berlin, 13:30 in New York
        thread_set_status(thread=thread, status="resolved", actor=manager)
    (resolution,) = clocks(thread, "resolution")
    (team_resolution,) = clocks(thread, "team_resolution")
    assert resolution.used == timedelta(minutes=30)
    assert team_resolution.used == timedelta(minutes=180)
    assert seconds(team_resolution) == {f"team:{late_team.pk}": 180 * 60}
    assert seconds(resolution) == {f"team:{late_team.pk}": 30 * 60}


def test_an_imported_note_by_a_member_answers_for_the_team_as_live(frontline, agent, tmp_path):
    around_the_clock()
    opened_at, noted_at = START.isoformat(), (START + timedelta(minutes=10)).isoformat()
    line = {
        "external_id": "L-1",
        "subject": "Export fails",
        "team": "Frontline",
        "created_at": opened_at,
        "events": [
            {"type": "customer_message", "at": opened_at, "body": "Help"},
            {"type": "note", "at": noted_at, "author": "alex", "body": "looking"},
        ],
    }
    with at(60):
        report = Importer(workers=1).run([json.dumps(line)], ImportReport())
    assert (report.imported, report.errors) == (1, [])
    thread = Thread.objects.get(external_id="L-1")
    assert clocks(thread, "team_response")[0].state == ClockState.ACHIEVED
    assert Message.objects.get(thread=thread, public=False).author_teams == [frontline.pk]


def test_a_handoff_delivered_after_a_members_later_note_is_put_before_it(frontline, agent):
    """An integration sends the note of 10:00:30 first and the handoff of 10:00 after it: the
    note, written once the thread was the team's, answers for the team."""
    around_the_clock()
    thread = opened()
    with at(60):
        agent_reply(thread=thread, author=agent, body="looking", public=False,
                    created_at=START + timedelta(minutes=30.5))  # fmt: skip
        thread_update(thread=thread, team=frontline, at=START + timedelta(minutes=30))
    (response,) = clocks(thread, "team_response")
    assert response.state == ClockState.ACHIEVED
    assert response.stopped_at == START + timedelta(minutes=30.5)
