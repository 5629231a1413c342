"""The alert channel form in a real browser (headless Chromium): choosing a kind shows only the
fields that kind uses, under the Content-Security-Policy."""

import pytest

pytestmark = [pytest.mark.browser]


def shown(browser) -> list[str]:
    return [
        name
        for name in ("addresses", "url", "secret")
        if browser.find(f".field-{name}").is_displayed()
    ]


def test_choosing_a_kind_shows_only_its_fields(browser, live_server, transactional_db, manager):
    from selenium.webdriver.support.ui import Select

    browser.sign_in(live_server.url, "maria", "pw-maria")
    browser.get(f"{live_server.url}/admin/policies/alertchannel/add/")
    assert shown(browser) == ["addresses", "url", "secret"]  # no kind chosen yet
    menu = Select(browser.find("#id_kind"))

    menu.select_by_value("slack")
    assert shown(browser) == ["url"]
    menu.select_by_value("webhook")
    assert shown(browser) == ["url", "secret"]
    menu.select_by_value("pagerduty")
    assert shown(browser) == ["url", "secret"]
    assert browser.text(".field-secret label") == "Routing key:"
    menu.select_by_value("teams")
    assert shown(browser) == ["url"]
    menu.select_by_value("slack_app")
    assert shown(browser) == ["addresses"]
    assert browser.text(".field-addresses label") == "Triage channel id:"
    menu.select_by_value("email")
    assert shown(browser) == ["addresses"]
    assert browser.text(".field-addresses label") == "E-mail addresses:"
    assert browser.csp_violations() == []
