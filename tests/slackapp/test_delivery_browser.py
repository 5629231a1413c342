"""In a real browser (headless Chromium), the thread page of a Slack thread: a reply sent while
Slack cannot be reached reads "failed, retrying" with the reason and the next try, and turns to
"sent" with its Slack link when the next attempt gets through; a reply Slack refuses for good
reads "not sent" with the reason in words, and "Try again" posts it. Screenshots at 1280 and
390 px in test-artifacts/screenshots/.

The live server shares the in-memory SQLite connection with the test, so the test writes only
just after a poll of the page has finished."""

import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from slackapp.models import SlackPost
from slackapp.outbox import send_due
from tests.slackapp.conftest import callback, message
from tests.threads.browser import polled, quiet_after_a_poll
from threads.models import Thread

pytestmark = [pytest.mark.browser]


def unreachable_slack() -> str:
    """An address on this machine where nothing listens: Slack down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


@pytest.fixture
def slack_thread(transactional_db, workspace, settings, post_event):
    settings.SLA_LIVE_REFRESH_SECONDS = 2
    post_event(callback(message(time.time() - 60, "Exports fail since 9am")))
    return Thread.objects.get(channel="slack")


def reply(browser, text: str) -> None:
    browser.find("#id_body").send_keys(text)
    browser.click("#send-reply")
    browser.wait_for(lambda: text in browser.text("#timeline"), message="the reply is not shown")


def delivery(browser, text: str) -> dict:
    """The delivery line under the reply that says `text`: its state, words and link."""
    return browser.driver.execute_script(
        """for (const m of document.querySelectorAll("#timeline li.msg")) {
             const d = m.querySelector("[data-delivery-state]"), a = d && d.querySelector("a");
             if (d && m.querySelector(".body").textContent === arguments[0])
               return {state: d.dataset.deliveryState, text: d.textContent,
                       link: a ? a.href : "", retry: d.querySelector("button") ? "yes" : ""};
           }
           return {state: "", text: "", link: "", retry: ""};""",
        text,
    )


def test_a_slack_reply_goes_from_retrying_to_sent_and_a_refused_one_is_sent_by_try_again(
    browser, live_server, slack_thread, slack, settings
):
    url = live_server.url
    browser.sign_in(url, "alex", "pw-alex")
    browser.get(f"{url}/threads/{slack_thread.pk}/")

    settings.SLACK_API_URL = unreachable_slack()
    down = "Looking into it now."
    reply(browser, down)
    line = delivery(browser, down)
    assert line["state"] == "retrying" and not line["retry"]
    assert "failed, retrying" in line["text"] and "Slack could not be reached" in line["text"]
    assert "next try" in line["text"]
    browser.screenshot("slack-reply-retrying")

    settings.SLACK_API_URL = slack.url  # Slack is back
    polled(browser)  # start counting the page's polls
    quiet_after_a_poll(browser)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert send_due() == 1  # the next attempt, 30 s later
    browser.wait_for(lambda: delivery(browser, down)["state"] == "sent", message="not sent")
    line = delivery(browser, down)
    assert "Posted into the customer's Slack thread" in line["text"]
    assert line["link"].startswith("https://slack.com/archives/C0CUSTOMER/p1900000000000001")
    browser.screenshot("slack-reply-sent")

    slack.fail("chat.postMessage", "not_in_channel")
    refused = "Could you send the export file?"
    reply(browser, refused)
    line = delivery(browser, refused)
    assert line["state"] == "failed" and line["retry"]
    assert "not a member of the customer's channel; invite it" in line["text"]
    browser.screenshot("slack-reply-failed")

    quiet_after_a_poll(browser)
    pk = SlackPost.objects.get(message__body=refused).message_id
    browser.click(f"#retry-{pk}")  # Try again (the app was invited meanwhile)
    browser.wait_for(
        lambda: delivery(browser, refused)["state"] == "sent", message="try again did not send"
    )
    assert len(slack.to("chat.postMessage")) == 3  # refused once, then each reply posted once
    assert not browser.csp_violations()
    browser.screenshot("slack-reply-sent-after-try-again")
