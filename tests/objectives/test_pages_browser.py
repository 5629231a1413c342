"""In a real browser (headless Chromium): a manager opens the objectives page and sees "FRT 95%
monthly" at risk with its burn-down; an agent opens the thread that missed and gives a reason,
which waits for a manager. Screenshots at 1280 and 390 px in test-artifacts/screenshots/.

The process is travelled to the 20th of a month ahead (ticking: the browser keeps its own clock,
and a session cookie set in the past would have expired for it)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from objectives.models import Objective
from policies.models import BreachReason
from tests.factories import policy, tier
from threads import services
from threads.models import SlaClock

pytestmark = [pytest.mark.browser]


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def missed_month(transactional_db, agent, manager):
    policy("Standard", tiers=[tier("Free", default=True)], targets=[("first_response", "", 60)])
    ahead = timezone.now() + timedelta(days=40)
    day = datetime(ahead.year, ahead.month, 20, 12, tzinfo=UTC)
    for n in range(19):  # the 1st to the 19th: one answered in time each day
        moment = day.replace(day=n + 1, hour=9)
        with at(moment):
            thread = services.thread_create(subject=f"Question {n + 1}", first_message="Hi").thread
        with at(moment + timedelta(minutes=20)):
            services.agent_reply(thread=thread, body="Answered")
    with at(day.replace(day=19, hour=14)):
        late = services.thread_create(
            subject="Export fails every night", first_message="Help", assignee=agent
        ).thread
    with at(day.replace(day=19, hour=16)):
        services.agent_reply(thread=late, body="Sorry for the wait")
    with at(day - timedelta(minutes=10)):  # waiting for its first answer: at risk, marked
        services.thread_create(subject="Cannot log in", first_message="Locked out", priority="high")
    Objective.objects.create(
        name="FRT 95% monthly", metric="first_response", target_percent=95, time_zone="UTC"
    )
    BreachReason.objects.create(name="Understaffed")
    BreachReason.objects.create(name="Customer unreachable", excused=True)
    with time_machine.travel(day, tick=True):
        yield late


def test_a_manager_sees_the_objective_at_risk_and_an_agent_gives_a_reason(
    browser, live_server, missed_month
):
    url = live_server.url
    browser.sign_in(url, "maria", "pw-maria")
    browser.get(f"{url}/objectives/")
    card = browser.find(".objective")
    assert card.get_attribute("data-status") == "at_risk"
    assert "At risk" in browser.text(".objective-status")
    assert browser.text("dd.budget") == "0"  # 1 miss of the 1 twenty clocks allow
    dots = browser.find_all("svg.burn-down circle.burn-dot")
    assert len(dots) == 20  # the 1st to today, the 20th
    assert browser.csp_violations() == []
    browser.screenshot("objectives-at-risk")
    browser.sign_out()

    browser.sign_in(url, "alex", "pw-alex")
    browser.get(f"{url}/threads/{missed_month.pk}/")
    clock = SlaClock.objects.get(thread=missed_month, metric="first_response")
    from selenium.webdriver.support.ui import Select

    Select(browser.find(f"#reason-form-{clock.pk} select[name=reason]")).select_by_visible_text(
        "Understaffed"
    )
    browser.find(f"#reason-form-{clock.pk} input[name=note]").send_keys("Two off sick")
    browser.click(f"#reason-form-{clock.pk} button[type=submit]")
    browser.wait_for(lambda: "waiting for a manager" in browser.text(".messages"))
    notes = browser.text(".breach-reason")
    assert "Understaffed" in notes and "Two off sick" in notes and "waiting for a manager" in notes
    assert browser.csp_violations() == []
    browser.screenshot("thread-breach-reason")
    browser.get(f"{url}/breaches/unexplained/")
    assert "Every breach has a reason." in browser.text("#unexplained")
    browser.get(f"{url}/inbox/")
    first = browser.find("#inbox-rows tr")
    assert "Cannot log in" in first.text and "FRT 95% monthly: at risk" in first.text
    browser.screenshot("inbox-objectives")
    browser.sign_out()
