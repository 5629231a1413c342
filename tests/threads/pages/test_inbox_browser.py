"""The inbox in a real browser (headless Chromium): an agent finds a thread by a word of its
message, sorts, assigns three threads at once and works the list with the keyboard. Screenshots
land in test-artifacts/screenshots/inbox-*.png (1280 and 390 px)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AgentProfile, Team
from tests.factories import policy, tier
from threads import services
from threads.models import Thread

pytestmark = [pytest.mark.browser]

SUBJECTS = [
    ("Cannot log in since the update", 70, "high"),
    ("Printer on fire", 50, "urgent"),
    ("Invoice address is wrong", 10, "normal"),
    ("Webhook deliveries delayed", 30, "low"),
    ("Export to CSV is empty", 20, "normal"),
]


@pytest.fixture
def desk(transactional_db, agent, other_agent):
    """A 24/7 policy (business time = wall time, so no travel) and five open threads."""
    tier("Free", default=True)
    support = Team.objects.create(name="Support")
    support.members.add(agent, other_agent)
    policy("Standard", targets=[("first_response", "", 60), ("resolution", "", 480)])
    AgentProfile.objects.create(user=agent, time_zone="Europe/Berlin")
    other_agent.first_name = "Sam"
    other_agent.save(update_fields=["first_name"])
    now = timezone.now()
    threads = {}
    for subject, minutes_ago, priority in SUBJECTS:
        threads[subject] = services.thread_create(
            subject=subject,
            first_message=f"{subject}. Can you help?",
            created_at=now - timedelta(minutes=minutes_ago),
            priority=priority,
            team=support,
        ).thread
    services.message_receive(
        thread=threads["Cannot log in since the update"], body="The SAML certificate expired"
    )
    return threads


def subjects(browser) -> list[str]:
    return [row["subject"] for row in browser.rows("#inbox-rows tr[data-thread]")]


def press(browser, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser.driver).send_keys(keys).perform()


def test_an_agent_works_the_inbox(browser, live_server, desk, agent, other_agent):
    url = live_server.url
    browser.sign_in(url, "alex", "pw-alex")
    assert browser.driver.current_url == f"{url}/inbox/"  # the agents' home
    assert subjects(browser)[0] == "Cannot log in since the update"  # the most urgent first
    assert "due" in browser.text("#inbox-rows tr:first-child td.c-sla")
    browser.screenshot("inbox")

    # A word of a message finds its thread.
    search = browser.find("#inbox-q")
    search.send_keys("saml\n")
    browser.wait_for(lambda: "q=saml" in browser.driver.current_url)
    assert subjects(browser) == ["Cannot log in since the update"]
    browser.screenshot("inbox-search")

    # Sorting by a column heading.
    browser.get(f"{url}/inbox/")
    browser.click("#inbox-table th a[href*='sort=subject']")
    browser.wait_for(lambda: "sort=subject" in browser.driver.current_url)
    assert subjects(browser) == sorted(s for s, _, _ in SUBJECTS)

    # Three threads assigned at once; the view (sorted by subject) stays.
    for box in browser.find_all("#inbox-rows input[name=threads]")[:3]:
        box.click()
    assert browser.text("#bulk-count") == "3 ticked:"
    browser.find("select[name=assignee]").send_keys("Sam")
    browser.click("#bulk-apply")
    browser.wait_for(lambda: "changed" in browser.text(".messages"))
    assert "3 threads changed (assign to)" in browser.text(".messages")
    assert "sort=subject" in browser.driver.current_url
    assert Thread.objects.filter(assignee=other_agent).count() == 3
    browser.screenshot("inbox-bulk")

    # The keyboard: j/j/k moves, ? shows the help, Esc hides it, o opens.
    press(browser, "jjk")
    cursor = browser.find_all("#inbox-rows tr.cursor")
    assert len(cursor) == 1 and cursor[0].get_attribute("data-thread") == (
        browser.find_all("#inbox-rows tr[data-thread]")[0].get_attribute("data-thread")
    )
    press(browser, "j?")
    browser.wait_for(lambda: browser.find("#inbox-help").is_displayed())
    browser.screenshot("inbox-help")
    press(browser, "\ue00c")  # Escape
    browser.wait_for(lambda: not browser.find("#inbox-help").is_displayed())
    second = browser.find_all("#inbox-rows tr[data-thread]")[1].get_attribute("data-thread")
    press(browser, "e")  # resolve the thread under the cursor: it leaves the open inbox
    browser.wait_for(lambda: "set status" in browser.text(".messages"))
    assert Thread.objects.get(pk=second).status == "resolved"
    assert second not in [row["thread"] for row in browser.rows("#inbox-rows tr[data-thread]")]
    first = browser.find_all("#inbox-rows tr[data-thread]")[0].get_attribute("data-thread")
    press(browser, "jo")
    browser.wait_for(lambda: f"/threads/{first}/" in browser.driver.current_url)
    assert browser.csp_violations() == []


def test_bad_input_is_a_message_in_the_browser(browser, live_server, desk, agent):
    url = live_server.url
    browser.sign_in(url, "alex", "pw-alex")
    browser.get(f"{url}/inbox/?sort=size&priority=huge")
    assert "Sort: “size” is not one of the choices; ignored." in browser.text(".messages")
    assert len(subjects(browser)) == len(SUBJECTS)
    browser.screenshot("inbox-bad-input")
