"""Alerts a manager can check: deliveries name whom they went to and say in plain words what
went wrong; a channel is tested from its own page; a URL is checked for its kind."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AgentProfile
from policies.models import AlertChannel, NotificationRule
from tests.factories import office_calendar, policy, tier
from tests.threads.servers import closed_url, http_server
from threads.alerting.delivery import deliver_due
from threads.alerting.wording import plain_error
from threads.models import Delivery
from threads.services import thread_catch_up, thread_create

pytestmark = [pytest.mark.django_db, pytest.mark.both]

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BERLIN)
NOW = MONDAY_10 + timedelta(hours=1, minutes=5)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


def breaching_thread(channel, subject="Printer on fire"):
    tier("Free", default=True)
    standard = policy("Standard", calendar=office_calendar(), targets=(("first_response", "", 60),))
    rule = NotificationRule.objects.create(policy=standard, events=["breaching"], in_app=False)
    rule.channels.set([channel])
    with time_machine.travel(MONDAY_10, tick=False):
        thread = thread_create(subject=subject, first_message="help").thread
    with time_machine.travel(NOW, tick=False):
        thread_catch_up(thread=thread)
        deliver_due()
    return thread


@pytest.mark.parametrize(
    ("raw", "url", "plain"),
    [
        (
            "Slack unreachable: connection failed: [Errno 111] Connection refused",
            "https://hooks.slack.com/services/T/B/x",
            "Could not connect to hooks.slack.com: connection refused",
        ),
        (
            "<urlopen error [Errno 111] Connection refused>",
            "https://hooks.slack.com/services/T/B/x",
            "Could not connect to hooks.slack.com: connection refused",
        ),
        (
            "Endpoint unreachable: cannot resolve alerts.example.org: [Errno -2] Name or "
            "service not known",
            "",
            "Could not find alerts.example.org: the name does not resolve (check the URL)",
        ),
        (
            "Slack answered 404 Not Found: no_service",
            "https://hooks.slack.com/services/T/B/x",
            "hooks.slack.com says this webhook no longer exists: paste a new URL and enable the "
            "channel again",
        ),
        (
            "Endpoint answered 503 Service Unavailable",
            "https://ops.example.com/hook",
            "ops.example.com had a problem on its side (it answered 503)",
        ),
        (
            "Endpoint unreachable: connection timed out",
            "",
            "Could not connect to the receiving end: no answer in time",
        ),
    ],
)
def test_a_delivery_error_reads_in_plain_words(raw, url, plain):
    assert plain_error(raw, url=url) == plain


def test_an_error_with_no_plain_words_is_shown_as_it_is():
    assert plain_error("Dropped: no longer true, the clock is achieved now.") == (
        "Dropped: no longer true, the clock is achieved now."
    )


def test_deliveries_name_the_channel_link_the_thread_and_explain_the_error(manager_client, manager):
    AgentProfile.objects.update_or_create(user=manager, defaults={"time_zone": "America/New_York"})
    ops = AlertChannel.objects.create(name="Ops room", kind="webhook", url=closed_url("/hook"))
    thread = breaching_thread(ops)
    row = Delivery.objects.get()
    assert row.recipient.startswith("channel:")

    page = manager_client.get(reverse("admin:threads_delivery_changelist")).content.decode()

    assert "Ops room" in page and "channel:" not in page
    assert reverse("admin:threads_thread_change", args=[thread.pk]) in page
    assert "Could not connect to 127.0.0.1: connection refused" in page
    assert "<details" in page and "Errno 111" in page  # the raw detail, one click away
    assert "EST" in page  # created, in the manager's zone (New York in November)


def test_the_channel_page_sends_a_test_alert_that_the_endpoint_receives(manager_client):
    with http_server({"/hook": ["200 ok"]}) as server:
        ops = AlertChannel.objects.create(name="Ops hook", kind="webhook", url=server.url("/hook"))
        page = manager_client.get(reverse("admin:policies_alertchannel_change", args=[ops.pk]))
        assert "Send a test alert" in page.content.decode()

        response = manager_client.post(
            reverse("admin:policies_alertchannel_test", args=[ops.pk]), follow=True
        )

        assert len(server.to("/hook")) == 1
    assert "Ops hook: test alert sent (accepted (200))" in response.content.decode()


def test_a_failed_test_alert_says_why_in_plain_words(manager_client):
    ops = AlertChannel.objects.create(name="Ops hook", kind="webhook", url=closed_url("/hook"))

    response = manager_client.post(
        reverse("admin:policies_alertchannel_test", args=[ops.pk]), follow=True
    )

    assert "Could not connect to 127.0.0.1: connection refused" in response.content.decode()


def test_the_test_alert_button_only_answers_a_post(manager_client):
    ops = AlertChannel.objects.create(name="Ops hook", kind="webhook", url=closed_url("/hook"))
    response = manager_client.get(reverse("admin:policies_alertchannel_test", args=[ops.pk]))
    assert response.status_code == 405


def test_an_agent_cannot_send_a_test_alert(client, agent):
    ops = AlertChannel.objects.create(name="Ops hook", kind="webhook", url=closed_url("/hook"))
    client.force_login(agent)
    response = client.post(reverse("admin:policies_alertchannel_test", args=[ops.pk]))
    assert response.status_code in (302, 403)


def test_a_slack_channel_refuses_a_url_that_is_not_slacks(manager_client, settings):
    settings.SLA_HTTP_ALLOWED_HOSTS = []
    response = manager_client.post(
        reverse("admin:policies_alertchannel_add"),
        {"name": "Support", "kind": "slack", "url": "https://example.com/hook", "enabled": "on"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "hooks.slack.com" in errors["url"][0]
    assert not AlertChannel.objects.exists()
