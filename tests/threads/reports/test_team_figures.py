"""The report's team figures: each team's targets kept or missed, who held the breached
resolution time, which team held the thread at a breach, first against full resolution and the
reopen rate; on the page and as CSV (docs/rules.md, "Reports: teams and resolution")."""

import pytest
from django.urls import reverse

from tests.threads.reports.test_reports import csv_rows
from tests.threads.teams.stories import START, around_the_clock, at, team
from threads.reports import queries as reports
from threads.reports import resolution, teams
from threads.services import (
    agent_reply,
    thread_catch_up,
    thread_create,
    thread_reopen,
    thread_resolve,
    thread_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]
QUERY = {"start": "2026-11-01", "end": "2026-11-30", "zone": "UTC", "by": "team", "per": "day"}
SPAN = reports.ReportRange(START.date().replace(day=1), START.date().replace(day=30))


@pytest.fixture
def month(agent, other_agent, manager):
    """24/7, resolution 8 h (first and full). "Export fails" opens with Frontline (response
    30 m, resolution 2 h), goes to Tier 2 (response 1 h, resolution 4 h) at 50 m, back to
    Frontline at 500 m, is resolved at 540 m, reopened at 600 m and resolved again at 620 m.
    "Quick one" has no team and is resolved in 100 m."""
    around_the_clock(
        targets=[("first_response", "", 60), ("resolution", "", 480), ("first_resolution", "", 480)]
    )
    frontline = team("Frontline", members=[agent])
    tier2 = team("Tier 2", response=60, resolution=240, members=[other_agent])
    with at(0):
        export = thread_create(subject="Export fails", first_message="Help", team=frontline).thread
        quick = thread_create(subject="Quick one", first_message="Hi").thread
    with at(50):
        thread_update(thread=export, team=tier2, actor=manager)
    with at(70):
        agent_reply(thread=export, author=other_agent, body="looking", public=False)
    with at(100):
        thread_resolve(thread=quick, actor=agent)
    with at(500):
        thread_update(thread=export, team=frontline, actor=manager)
    with at(540):
        thread_resolve(thread=export, actor=agent)
    with at(600):
        thread_reopen(thread=export, actor=agent)
    with at(620):
        thread_resolve(thread=export, actor=agent)
    return frontline, tier2


def now():
    return at(24 * 60)


def test_each_teams_own_targets_are_counted_for_the_team_that_held_the_thread(month):
    with now():
        rows = teams.team_targets(SPAN)
    found = {(r.team, r.metric): (r.achieved, r.breached, r.cancelled) for r in rows}
    assert found == {
        # late at 50 m and at 540 m (40 m after it came back); in time after the reopen
        ("Frontline", "team_response"): (1, 2, 0),
        # handed on at 50 m, resolved at 540 m and at 620 m: each within its 2 h
        ("Frontline", "team_resolution"): (3, 0, 0),
        ("Tier 2", "team_response"): (1, 0, 0),  # a member's note at 70 m
        ("Tier 2", "team_resolution"): (0, 1, 0),  # held 450 m of its 240 m
    }


def test_the_breached_resolution_time_is_split_between_the_teams_that_held_it(month):
    with now():
        rows = teams.time_held(SPAN)
    assert [(r.label, r.seconds) for r in rows] == [
        ("Tier 2", 450 * 60),  # 50 m to 500 m
        ("Frontline", 110 * 60),  # 0–50 m, 500–540 m and 600–620 m after the reopen
    ]
    assert sum(r.seconds for r in rows) == 560 * 60  # the clock's used time, to the second


def test_the_team_holding_the_thread_at_each_breach_is_counted(month):
    with now():
        rows = teams.teams_at_breach(SPAN)
    # first response at 60 m, resolution and first resolution at 480 m: Tier 2 held them; the
    # quick one's first response (never answered) breached with no team
    assert [(r.team, r.breaches, r.share) for r in rows] == [
        ("Tier 2", 3, 0.75),
        ("(no team)", 1, 0.25),
    ]


def test_a_hand_over_at_the_breach_instant_counts_for_the_new_team(manager):
    around_the_clock()
    frontline, tier2 = team("Frontline"), team("Tier 2")
    with at(0):
        thread = thread_create(subject="On the edge", first_message="Hi", team=frontline).thread
    with at(60):  # the first response is due now: it breaches after this instant
        thread_update(thread=thread, team=tier2, actor=manager)
    with at(90):
        thread_catch_up(thread=thread)
        rows = teams.teams_at_breach(SPAN)
    assert [(r.team, r.breaches) for r in rows] == [("Tier 2", 1)]


def test_first_and_full_resolution_and_the_reopen_rate(month):
    with now():
        figures = resolution.resolution_figures(SPAN)
    assert (figures.first_achieved, figures.first_breached) == (1, 1)
    assert (figures.full_achieved, figures.full_breached) == (1, 1)
    assert (figures.reopened, figures.resolved, figures.reopen_rate) == (1, 2, 0.5)


def test_the_manager_reads_the_team_figures_on_the_report_page(month, manager_client):
    with now():
        page = manager_client.get(reverse("reports:compliance"), QUERY)
    assert page.status_code == 200
    text = page.content.decode()
    for section in ("team-targets", "time-held", "teams-at-breach", "resolution"):
        assert f'id="{section}"' in text
    assert "Reopen rate: <strong>50%</strong> (1 of 2 resolved)" in text


def test_the_time_held_downloads_as_csv(month, manager_client):
    with now():
        response = manager_client.get(reverse("reports:compliance"), {**QUERY, "csv": "time_held"})
    assert csv_rows(response) == [
        ["held by", "business time", "minutes", "seconds", "share %"],
        ["Tier 2", "7h 30m", "450", "27000", "80.4"],
        ["Frontline", "1h 50m", "110", "6600", "19.6"],
    ]


def test_an_agent_cannot_read_the_team_figures(month, client, agent):
    client.force_login(agent)
    response = client.get(reverse("reports:compliance"), {**QUERY, "csv": "time_held"})
    assert response.status_code == 403


@pytest.mark.parametrize("table", ["team_targets", "teams_at_breach", "resolution"])
def test_each_team_table_downloads(month, manager_client, table):
    with now():
        response = manager_client.get(reverse("reports:compliance"), {**QUERY, "csv": table})
    assert response.status_code == 200 and len(csv_rows(response)) > 1


def test_a_team_name_that_looks_like_a_formula_is_text_in_the_csv(manager_client, manager):
    around_the_clock()
    evil = team("=HYPERLINK(1)", response=1)
    with at(0):
        thread = thread_create(subject="x", first_message="Hi", team=evil).thread
    with at(70):
        thread_catch_up(thread=thread)
        response = manager_client.get(
            reverse("reports:compliance"), {**QUERY, "csv": "teams_at_breach"}
        )
    assert csv_rows(response)[1][0] == "'=HYPERLINK(1)"


def test_nothing_breached_means_empty_team_figures():
    with at(60):
        assert teams.time_held(SPAN) == [] and teams.teams_at_breach(SPAN) == []
