"""In a real browser (headless Chromium): on a Saturday an agent reads that a clock frozen since
Friday's closing resumes Monday at 09:00, and watches the thread page take in the customer's new
message while the reply they are typing stays in the box. Screenshots at 1280 and 390 px in
test-artifacts/screenshots/.

The whole process (the live server's thread too) is travelled to a Saturday with time-machine,
ticking, and the future: the browser keeps its own clock, and a session cookie set in the past
would have expired for it. The live server shares the in-memory SQLite connection with the test,
so the test writes only just after a poll has finished (the next is two seconds away)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AgentProfile
from tests.factories import office_calendar, policy, tier
from tests.threads.browser import polled, quiet_after_a_poll
from threads import services

pytestmark = [pytest.mark.browser]

BERLIN = ZoneInfo("Europe/Berlin")


def next_saturday(now: datetime) -> datetime:
    local = now.astimezone(BERLIN)
    days = (5 - local.weekday()) % 7 or 7
    return (local + timedelta(days=days)).replace(hour=11, minute=0, second=0, microsecond=0)


@pytest.fixture
def saturday(transactional_db, agent, settings):
    """A thread opened on Friday at 16:30 (Mon–Fri 09–17 Berlin, 1 h first response), read on
    the Saturday after."""
    settings.SLA_LIVE_REFRESH_SECONDS = 2
    settings.SLA_QUEUE_REFRESH_SECONDS = 2
    tier("Free", default=True)
    policy(
        "Office hours",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("resolution", "", 480)],
    )
    AgentProfile.objects.create(user=agent, time_zone="Europe/Berlin")
    day = next_saturday(timezone.now())
    with time_machine.travel((day - timedelta(days=1)).replace(hour=16, minute=30)):
        thread = services.thread_create(
            subject="Printer on fire",
            first_message="The office printer is smoking. Can you help?",
            assignee=agent,
        ).thread
    with time_machine.travel(day, tick=True):
        yield thread


def test_an_agent_sees_a_frozen_clock_resume_monday_and_the_thread_update_live(
    browser, live_server, saturday, agent
):
    url = live_server.url
    browser.sign_in(url, "alex", "pw-alex")
    browser.get(f"{url}/queue/")
    row = browser.find(f'#queue-rows tr[data-thread="{saturday.pk}"]')
    assert "outside business hours · resumes Mon 09:00" in row.text
    assert "due Mon" in row.text and "09:30" in row.text  # 30 min left on Monday, no hover
    browser.screenshot("queue-frozen")

    browser.get(f"{url}/threads/{saturday.pk}/")
    clocks = browser.text("#clocks")
    assert clocks.count("outside business hours · resumes Mon 09:00") == 2
    typed = "Sorry about that! Please unplug it; a technician is on the way."
    browser.find("#id_body").send_keys(typed)
    polled(browser)  # start counting the page's polls
    quiet_after_a_poll(browser)
    services.message_receive(thread=saturday, body="It stopped smoking but smells of toner.")
    browser.wait_for(
        lambda: "smells of toner" in browser.text("#timeline"),
        timeout=10,
        message="the customer's message did not appear",
    )
    assert browser.find("#id_body").get_attribute("value") == typed  # the draft stays
    assert "resumes Mon 09:00" in browser.text("#clocks")  # the clocks were swapped in again
    browser.screenshot("thread-live")
    quiet_after_a_poll(browser)
    browser.sign_out()
