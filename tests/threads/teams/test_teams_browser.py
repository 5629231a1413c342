"""The teams' clocks in a real browser (headless Chromium): a thread Frontline handed to Tier 2 is
handed back on its page; the page shows each team's clocks and who held every clock's time, and
the inbox badge names Frontline's clock. Screenshots land in test-artifacts/screenshots/.

The live server shares the in-memory SQLite connection with the test, so the history is written
before the browser opens a page (the thread page polls)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AgentProfile
from tests.threads.teams.stories import around_the_clock, team
from threads import services

pytestmark = [pytest.mark.browser]


@pytest.fixture
def handed_on(transactional_db, agent, other_agent, manager):
    """Opened 95 minutes ago for Frontline (Alex's team), answered by Alex, handed to Tier 2
    (Sam's), on hold 10 minutes ("on hold" does not pause this policy's clocks), noted by Sam."""
    around_the_clock(
        targets=[("first_response", "", 60), ("resolution", "", 480)],
        pause_statuses=["waiting_on_customer"],
    )
    frontline = team("Frontline", response=30, resolution=240, members=[agent])
    tier2 = team("Tier 2", response=120, resolution=480, members=[other_agent])
    AgentProfile.objects.create(user=agent, time_zone="Europe/Berlin")
    opened = timezone.now() - timedelta(minutes=95)

    def at(minutes):
        return opened + timedelta(minutes=minutes)

    thread = services.thread_create(
        subject="Payment webhook returns 502",
        first_message="Our webhook endpoint gets 502s since this morning.",
        team=frontline,
        assignee=agent,
        created_at=opened,
    ).thread
    services.agent_reply(thread=thread, author=agent, body="On it.", created_at=at(7))
    services.thread_update(thread=thread, team=tier2, actor=manager, at=at(21))
    services.thread_set_status(
        thread=thread, status="on_hold", reason="waiting on the provider", at=at(33)
    )
    services.thread_set_status(thread=thread, status="open", at=at(43))
    services.agent_reply(
        thread=thread,
        author=other_agent,
        body="Gateway timeout at the provider; fixed on our side.",
        public=False,
        created_at=at(52),
    )
    return {"thread": thread, "frontline": frontline, "tier2": tier2}


def test_a_thread_handed_back_shows_each_teams_clocks_and_who_held_the_time(
    browser, live_server, handed_on
):
    from selenium.webdriver.support.ui import Select

    url, thread = live_server.url, handed_on["thread"]
    browser.sign_in(url, "alex", "pw-alex")
    browser.get(f"{url}/threads/{thread.pk}/")
    Select(browser.find("#id_team")).select_by_visible_text("Frontline")
    browser.find("#details-form button[type=submit]").click()
    browser.wait_for(lambda: browser.find_all("#team-clocks"), message="no team clocks")
    shown = clocks_shown(browser)
    assert shown["team"] == [
        ["Team response — Frontline", "achieved"],
        ["Team resolution — Frontline", "achieved"],
        ["Team response — Tier 2", "achieved"],
        ["Team resolution — Tier 2", "achieved"],
        ["Team response — Frontline", "pending"],
        ["Team resolution — Frontline", "pending"],
    ]
    # One bar a clock that has used time: Frontline's new pair has used none yet.
    assert shown["bars"] >= 6
    # The customer's resolution ran all along: Tier 2 held it longest, then Frontline; the
    # hour on hold is its own part (this policy does not pause for it).
    lines = shown["resolution"]
    assert [line.split(" ")[0] for line in lines] == ["Tier", "Frontline", "On"], lines
    assert lines[2].startswith("On hold 10m ")
    assert browser.csp_violations() == []
    browser.screenshot("thread-team-clocks")

    browser.get(f"{url}/inbox/")
    badge = browser.find(f'#inbox-rows tr[data-thread="{thread.pk}"] td.c-sla')
    assert "Frontline response" in badge.text
    assert badge.get_attribute("title").startswith("Frontline response due in ")
    browser.screenshot("inbox-team-badge")


def clocks_shown(browser) -> dict:
    """The thread page's clocks read in one go (the live poll may swap them between two reads):
    the team clocks' names and states, how many bars, the resolution's legend lines."""
    return browser.driver.execute_script(
        """var team = Array.from(document.querySelectorAll("#team-clocks tr[data-metric]"));
           var res = document.querySelector('#clocks tr[data-metric="resolution"]');
           var held = document.querySelector('tr[data-held-for="' + res.dataset.clock + '"]');
           return {
             team: team.map(function (r) {
               return [r.querySelector(".clock-name").textContent, r.dataset.state]; }),
             bars: document.querySelectorAll("#clocks svg.held-bar").length,
             resolution: Array.from(held.querySelectorAll(".held-legend li")).map(function (li) {
               return li.textContent.replace(/\\s+/g, " ").trim(); })
           };"""
    )
