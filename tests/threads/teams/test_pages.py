"""The teams' clocks on the agents' pages: the thread page lists them under the customer's clocks
with who held each clock's time, and the inbox badge names a team's clock when it is the most
urgent one."""

import re

import pytest

from tests.threads.teams.stories import around_the_clock, at, team
from threads.services import agent_reply, thread_create, thread_set_status, thread_update

pytestmark = [pytest.mark.django_db, pytest.mark.both]


@pytest.fixture
def desk(agent, other_agent):
    around_the_clock(targets=[("first_response", "", 60), ("resolution", "", 480)])
    return {
        "frontline": team("Frontline", response=30, resolution=240, members=[agent]),
        "tier2": team("Tier 2", response=120, resolution=480, members=[other_agent]),
    }


@pytest.fixture
def handed_back(desk, manager, other_agent):
    """Opened for Frontline, handed to Tier 2 after 20 minutes, which asks the customer and
    answers, and handed back to Frontline at 90 minutes."""
    with at(0):
        thread = thread_create(
            subject="Export fails", first_message="Help", team=desk["frontline"]
        ).thread
    with at(20):
        thread_update(thread=thread, team=desk["tier2"], actor=manager)
    with at(30):
        thread_set_status(thread=thread, status="on_hold", reason="waiting on the vendor")
    with at(40):
        thread_set_status(thread=thread, status="open")
    with at(50):
        agent_reply(thread=thread, author=other_agent, body="Found it", public=False)
    with at(90):
        thread_update(thread=thread, team=desk["frontline"], actor=manager)
    return thread


def page(client, user, thread, minutes):
    client.force_login(user)
    with at(minutes):
        return client.get(f"/threads/{thread.pk}/").content.decode()


def legend(html: str, clock_name: str) -> list[str]:
    """The attribution legend under the clock called `clock_name`, as "name time pct" lines."""
    start = html.index(f'<strong class="clock-name">{clock_name}</strong>')
    block = html[start : html.index("</ul>", start)]
    keys = re.findall(
        r'<span class="name">([^<]+)</span> <span class="time tnum">([^<]+)</span> '
        r'<span class="pct">([^<]+)</span>',
        block,
    )
    return [" ".join(key) for key in keys]


def test_the_thread_page_lists_the_team_clocks_below_the_customers(client, agent, handed_back):
    html = page(client, agent, handed_back, 100)
    customer = html.index('id="clocks-heading"')
    teams = html.index('id="team-clocks-heading"')
    assert customer < html.index('data-metric="resolution"') < teams
    names = re.findall(r'<strong class="clock-name">([^<]+)</strong>', html[teams:])
    assert names == [
        "Team response — Frontline",
        "Team resolution — Frontline",
        "Team response — Tier 2",
        "Team resolution — Tier 2",
        "Team response — Frontline",
        "Team resolution — Frontline",
    ]


def test_each_clock_shows_who_held_its_time(client, agent, handed_back):
    html = page(client, agent, handed_back, 100)
    # Resolution paused while on hold: 20m Frontline, then Tier 2 60m, then Frontline 10m.
    assert legend(html, "Resolution") == ["Tier 2 1h 67%", "Frontline 30m 33%"]
    assert legend(html, "Team resolution — Tier 2") == ["Tier 2 1h 100%"]


def test_a_status_that_does_not_pause_a_clock_is_its_own_holder(client, agent):
    around_the_clock(pause_statuses=["waiting_on_customer"])  # "on hold" runs on
    frontline = team("Frontline", response=30, resolution=240, members=[agent])
    with at(0):
        thread = thread_create(subject="Export fails", first_message="Help", team=frontline).thread
    with at(45):
        thread_set_status(thread=thread, status="on_hold", reason="vendor")
    html = page(client, agent, thread, 60)
    assert legend(html, "Team resolution — Frontline") == ["Frontline 45m 75%", "On hold 15m 25%"]


def test_the_bar_is_drawn_without_inline_style_or_script(client, agent, handed_back):
    html = page(client, agent, handed_back, 100)
    bars = re.findall(r'<div class="held">.*?</div>', html, re.S)
    assert len(bars) == html.count('class="clock-held"') >= 7
    assert not any("style=" in bar or "<script" in bar for bar in bars)


def test_the_page_costs_the_same_queries_however_often_the_thread_was_handed_on(
    client, agent, desk, manager, handed_back, django_assert_max_num_queries
):
    page(client, agent, handed_back, 100)
    with django_assert_max_num_queries(40) as before:
        page(client, agent, handed_back, 100)
    for minutes in (110, 120, 130):  # three more hand-overs: three more pairs of team clocks
        with at(minutes):
            thread_update(
                thread=handed_back,
                team=desk["tier2"] if minutes != 120 else desk["frontline"],
                actor=manager,
            )
    with django_assert_max_num_queries(40) as after:
        html = page(client, agent, handed_back, 140)
    assert html.count('class="clock-held"') > 10
    assert len(after) == len(before)


def inbox_badge(client, user, minutes) -> str:
    client.force_login(user)
    with at(minutes):
        html = client.get("/inbox/").content.decode()
    cell = re.search(r'<td class="c-sla"(.*?)</td>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()


def test_the_inbox_badge_names_the_team_when_its_clock_is_the_most_urgent(client, agent, desk):
    with at(0):
        thread_create(subject="Export fails", first_message="Help", team=desk["frontline"])
    # Frontline must answer within 30m, the customer within 1h: Frontline's clock comes first.
    assert inbox_badge(client, agent, 10).startswith("Pending 20m Frontline response due ")


def test_the_inbox_badge_shows_the_customers_clock_when_it_is_the_most_urgent(client, agent, desk):
    with at(0):
        thread_create(subject="Export fails", first_message="Help", team=desk["tier2"])
    # Tier 2 has 2h to answer; the customer's first response is due in 1h.
    badge = inbox_badge(client, agent, 10)
    assert badge.startswith("Pending 50m First response due ") and "Tier 2" not in badge


def test_the_inbox_badge_says_in_words_whose_clock_it_is(client, agent, desk):
    with at(0):
        thread_create(subject="Export fails", first_message="Help", team=desk["frontline"])
    client.force_login(agent)
    with at(40):
        html = client.get("/inbox/").content.decode()
    assert 'title="Frontline response overdue by 10m"' in html


def test_the_breach_queue_names_a_team_clocks_team(client, agent, desk):
    with at(0):
        thread_create(subject="Export fails", first_message="Help", team=desk["tier2"])
    client.force_login(agent)
    with at(10):
        html = client.get("/queue/").content.decode()
    assert "Team response — Tier 2" in html and "Team resolution — Tier 2" in html
