"""The deliveries list in a real browser (headless Chromium): whom each alert went to by name,
its thread, the time in the manager's zone, the error in plain words and the raw detail one
click away. Screenshots at 1280 and 390 px in test-artifacts/screenshots/."""

import pytest

from tests.threads.servers import closed_url

pytestmark = [pytest.mark.browser]


def test_a_manager_reads_a_failed_delivery_in_plain_words(
    browser, live_server, transactional_db, manager, monkeypatch
):
    from accounts.models import AgentProfile
    from policies.models import AlertChannel
    from tests.policies.test_admin_alerts import breaching_thread

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    AgentProfile.objects.create(user=manager, time_zone="America/New_York")
    ops = AlertChannel.objects.create(name="Ops room", kind="webhook", url=closed_url("/hook"))
    breaching_thread(ops, subject="Printer on fire")

    browser.sign_in(live_server.url, "maria", "pw-maria")
    browser.get(live_server.url + "/admin/threads/delivery/")
    row = browser.text("#result_list tbody tr")
    assert "Ops room" in row and "Printer on fire" in row and "EST" in row
    assert "channel:" not in browser.driver.page_source
    summary = browser.text(".raw-error summary")
    assert summary == "Could not connect to 127.0.0.1: connection refused"
    assert not browser.find(".raw-error code").is_displayed()
    browser.click(".raw-error summary")
    assert "Errno 111" in browser.text(".raw-error code")
    browser.screenshot("admin-deliveries")
    assert browser.csp_violations() == []
