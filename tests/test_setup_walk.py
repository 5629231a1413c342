"""A manager sets SLA Ops up from an empty database by following the admin index's checklist,
in a real browser (headless Chromium), until a test alert reaches a local endpoint and the
preview answers. Screenshots of each step land in test-artifacts/screenshots/ (1280 and 390 px).
"""

import pytest

from tests.threads.servers import http_server

pytestmark = [pytest.mark.browser]


def step(browser, title: str) -> None:
    """Follow the checklist's link for a step from the admin index."""
    from selenium.webdriver.common.by import By

    browser.get(browser.base + "/admin/")
    link = browser.driver.find_element(By.LINK_TEXT, title)
    target = link.get_attribute("href")
    link.click()
    browser.wait_for(
        lambda: (
            browser.driver.current_url.split("?")[0] == target.split("?")[0]
            and browser.driver.execute_script("return document.readyState") == "complete"
        ),
        message=f"did not open {target}",
    )


def states(browser) -> list[str]:
    return [li.get_attribute("class") for li in browser.find_all("#getting-started li")]


def choose(browser, css: str, *, value: str = "", text: str = "") -> None:
    from selenium.webdriver.support.ui import Select

    menu = Select(browser.find(css))
    menu.select_by_value(value) if value else menu.select_by_visible_text(text)


def type_into(browser, css: str, text: str) -> None:
    field = browser.find(css)
    field.clear()
    field.send_keys(text)


def save(browser, css: str = "input[name=_save]") -> None:
    browser.click(css)
    browser.wait_for(lambda: browser.find_all(".messagelist, .errornote"), message="no answer")


@pytest.fixture
def endpoint():
    with http_server({"/sla-alerts": ["200 ok"]}) as server:
        yield server


def test_a_manager_follows_the_checklist_to_a_test_alert(
    browser, live_server, transactional_db, manager, endpoint
):
    from accounts.models import AgentProfile
    from policies.models import AlertChannel, Calendar, Holiday, SlaPolicy, Tier

    AgentProfile.objects.create(user=manager, time_zone="Europe/Berlin")
    browser.base = live_server.url
    browser.sign_in(live_server.url, "maria", "pw-maria")
    browser.get(live_server.url + "/admin/")
    assert "Getting started: 7 steps to go" in browser.text("#getting-started h2")
    assert states(browser)[0] == "next"
    browser.screenshot("setup-01-index-empty")

    # 1. Business hours: the zone is the manager's, the week is one line per day.
    step(browser, "Set your business hours")
    assert browser.attribute("#id_time_zone", "value") == "Europe/Berlin"
    assert browser.attribute("#id_hours_0", "value") == "09:00–17:00"
    type_into(browser, "#id_name", "Support hours")
    type_into(browser, "#id_hours_4", "09:00–15:00")
    browser.screenshot("setup-02-calendar")
    save(browser)
    calendar = Calendar.objects.get()
    assert calendar.time_zone == "Europe/Berlin" and calendar.hours.count() == 5

    # 2. Holidays, by country and region name.
    step(browser, "Import public holidays")
    browser.click("input.action-select")
    choose(browser, "select[name=action]", value="import_holidays")
    browser.click("button[name=index]")
    browser.wait_for(lambda: browser.find_all("#id_country"), message="no import form")
    choose(browser, "#id_country", text="Germany")
    choose(browser, "#id_subdivision", text="Bayern (BY)")
    browser.screenshot("setup-03-holidays")
    browser.click("input[type=submit][value='Import holidays']")
    browser.wait_for(lambda: browser.find_all(".messagelist"), message="no import message")
    assert Holiday.objects.filter(calendar=calendar, source="holidays:DE-BY").exists()

    # 3. Tiers.
    step(browser, "Name your customer tiers")
    browser.click(".object-tools a.addlink")
    browser.wait_for(lambda: "/tier/add/" in browser.driver.current_url, message="not adding")
    type_into(browser, "#id_name", "Gold")
    save(browser)
    assert Tier.objects.filter(name="Gold").exists()

    # 4. Policies from a template, on the calendar, active.
    step(browser, "Create a policy from a template")
    choose(browser, "#id_calendar", text="Support hours (Europe/Berlin)")
    browser.click("#id_active")
    browser.screenshot("setup-04-template")
    browser.click("input[type=submit][value='Create policies']")
    browser.wait_for(lambda: browser.find_all(".messagelist"), message="no policies message")
    assert SlaPolicy.objects.filter(active=True).exists()

    # 5. An alert channel: only the chosen kind's fields show.
    step(browser, "Add an alert channel")
    type_into(browser, "#id_name", "Ops endpoint")
    choose(browser, "#id_kind", value="webhook")
    assert not browser.find(".field-addresses").is_displayed()
    type_into(browser, "#id_url", endpoint.url("/sla-alerts"))
    browser.screenshot("setup-05-channel")
    save(browser)
    channel = AlertChannel.objects.get()

    # 6. The test alert, from the channel's own page, received by the local endpoint.
    step(browser, "Send a test alert")
    browser.driver.find_element("link text", "Ops endpoint").click()
    browser.wait_for(lambda: "/change/" in browser.driver.current_url, message="no channel page")
    browser.wait_for(lambda: browser.find_all("button.send-test"), message="no test button")
    browser.click("button.send-test")
    browser.wait_for(lambda: browser.find_all(".messagelist"), message="no test message")
    assert "Ops endpoint: test alert sent (accepted (200))" in browser.text(".messagelist")
    [received] = endpoint.to("/sla-alerts")
    assert received.json()["type"]
    browser.screenshot("setup-06-test-alert")
    assert channel.pk

    # 7. The preview, in the manager's zone.
    step(browser, "Preview a deadline")
    assert browser.attribute("#id_zone", "value") == "Europe/Berlin"
    browser.screenshot("setup-07-preview")

    browser.get(live_server.url + "/admin/")
    assert "Set-up complete" in browser.text("#getting-started h2")
    assert states(browser) == ["done"] * 7
    browser.screenshot("setup-08-index-done")
    assert Calendar.objects.count() == 1
    assert browser.csp_violations() == []
