"""Screens that need a real browser to be judged (headless Chromium): the nav on a phone, the
inbox's `r` putting the cursor in the reply box, the Slack app's connected channels at 1280 px
and the webhook secret's help after the kind script ran. Screenshots land in
test-artifacts/screenshots/screens-*.png (1280 and 390 px)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account, Team
from tests.factories import policy, tier
from threads import services

pytestmark = [pytest.mark.browser]


def press(browser, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser.driver).send_keys(keys).perform()


@pytest.fixture
def desk(transactional_db, agent, manager):
    tier("Free", default=True)
    support = Team.objects.create(name="Support")
    support.members.add(agent, manager)
    policy("Standard", targets=[("first_response", "", 60), ("resolution", "", 480)])
    return services.thread_create(
        subject="Printer on fire",
        first_message="It is on fire. Help!",
        created_at=timezone.now() - timedelta(minutes=5),
        team=support,
    ).thread


def test_on_a_phone_every_link_of_the_nav_is_on_screen(browser, live_server, desk, manager):
    browser.sign_in(live_server.url, "maria", "pw-maria")
    browser.driver.set_window_size(390, 900)
    try:
        browser.get(f"{live_server.url}/inbox/")
        width = browser.driver.execute_script("return document.documentElement.clientWidth")
        links = browser.driver.execute_script(
            """return Array.from(document.querySelectorAll("header.top nav a")).map(function (a) {
                 var box = a.getBoundingClientRect();
                 return [a.textContent.trim(), box.left, box.right];
               });"""
        )
        assert [name for name, _, _ in links] == [
            "Inbox", "Queue", "Objectives", "Reports", "Admin"
        ]  # fmt: skip
        off = [name for name, left, right in links if left < 0 or right > width]
        assert not off, f"off screen at 390 px: {off}"
        scroll = browser.driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width
        logout = browser.find("header form[action$='/logout/'] button").rect
        assert logout["x"] + logout["width"] <= width
    finally:
        browser.driver.set_window_size(1280, 900)
    browser.screenshot("screens-nav")
    assert browser.csp_violations() == []


def test_r_in_the_inbox_opens_the_thread_with_the_cursor_in_the_reply_box(
    browser, live_server, desk, agent
):
    browser.sign_in(live_server.url, "alex", "pw-alex")
    browser.get(f"{live_server.url}/inbox/")
    press(browser, "jr")
    browser.wait_for(lambda: f"/threads/{desk.pk}/" in browser.driver.current_url)
    browser.wait_for(
        lambda: browser.driver.execute_script(
            "return document.activeElement && document.activeElement.closest('#composer') !== null"
            " && document.activeElement.tagName === 'TEXTAREA'"
        ),
        message="the reply box has no focus",
    )
    press(browser, "Unplug it.")  # typed straight into the reply box
    assert browser.find("#composer textarea").get_attribute("value") == "Unplug it."
    browser.screenshot("screens-reply-focus")
    # On the thread page itself `r` does the same.
    browser.get(f"{live_server.url}/threads/{desk.pk}/")
    press(browser, "r")
    assert browser.driver.execute_script("return document.activeElement.tagName") == "TEXTAREA"
    assert browser.csp_violations() == []


def test_the_slack_apps_connected_channels_fit_at_1280_px(
    browser, live_server, transactional_db, django_user_model
):
    from slackapp.models import SlackApp, SlackChannel

    django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")
    acme = Account.objects.create(name="Acme Corporation International")
    team = Team.objects.create(name="Second-line support")
    app = SlackApp.objects.create(
        name="Acme Slack",
        team_id="T0123ABCD",
        bot_token="xoxb-1234567890-abcdefabcdef",
        signing_secret="abcdef0123456789abcdef0123456789",
    )
    SlackChannel.objects.create(
        app=app,
        channel_id="C0123ABCDEF",
        name="acme-support-shared",
        account=acme,
        team=team,
        priority="high",
    )
    browser.sign_in(live_server.url, "root", "pw-root")
    browser.get(f"{live_server.url}/admin/slackapp/slackapp/{app.pk}/change/")
    edges = browser.driver.execute_script(
        """var group = document.querySelector(".slack-channels");
           var table = group.querySelector("table").getBoundingClientRect();
           return {group: group.getBoundingClientRect().right, table: table.right,
                   page: document.documentElement.clientWidth,
                   scroll: document.documentElement.scrollWidth,
                   cells: Array.from(group.querySelectorAll("tr.has_original td")).map(
                     function (td) {
                       return [td.className, td.getBoundingClientRect().right];
                     })};"""
    )
    assert edges["table"] <= edges["group"] + 1, edges
    assert edges["scroll"] <= edges["page"], edges
    off = [name for name, right in edges["cells"] if right > edges["group"] + 1]
    assert not off, f"cut off at 1280 px: {off}"
    names = " ".join(name for name, _ in edges["cells"])
    assert "field-team" in names and "field-priority" in names and "delete" in names
    browser.screenshot("screens-slack-channels")


def test_a_saved_webhook_secret_is_explained_once_after_the_kind_script_ran(
    browser, live_server, transactional_db, manager
):
    from policies.models import AlertChannel

    channel = AlertChannel.objects.create(
        name="Ops hook",
        kind="webhook",
        url="https://hooks.example.com/sla",
        secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==",
    )
    browser.sign_in(live_server.url, "maria", "pw-maria")
    browser.get(f"{live_server.url}/admin/policies/alertchannel/{channel.pk}/change/")
    helps = [h.text for h in browser.find_all(".field-secret .help") if h.is_displayed()]
    assert len(helps) == 2, helps  # what is saved and how to keep it; what the secret is for
    assert helps[0].startswith("Saved: ••••") and "Leave empty to keep it" in helps[0]
    assert "Signs every alert" in helps[1]
    assert not [h for h in helps if "generated" in h.lower()]
    browser.screenshot("screens-webhook-secret")
    assert browser.csp_violations() == []
