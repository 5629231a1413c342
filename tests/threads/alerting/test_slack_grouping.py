"""A burst to one Slack channel: an incoming webhook takes about one message a second, so the
alerts due for it at once go out as one message listing them, each alert still sent once."""

import pytest

from tests.threads.test_delivery import NOW, breach, channel, configure, run, travel
from threads.models import Delivery, DeliveryAttempt

pytestmark = [pytest.mark.django_db]


def slack_channel(web, answers):
    configure(channels=[channel("slack", url=web.script("/slack", answers))])


def lines(request) -> list[str]:
    return [b["text"]["text"] for b in request.json()["blocks"] if b["type"] == "section"]


def test_five_breaches_due_at_once_reach_slack_as_one_message_naming_each(web):
    slack_channel(web, ["200"])
    threads = [breach(f"outage {i}") for i in range(5)]

    report = run()

    assert report.sent == 5
    [message] = web.to("/slack")
    assert message.json()["blocks"][0]["text"]["text"] == "5 SLA alerts"
    named = lines(message)
    assert len(named) == 5
    for thread in threads:
        assert sum(f"#{thread.pk} outage" in line for line in named) == 1
    # Each alert is recorded sent, with one attempt of its own.
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert DeliveryAttempt.objects.filter(ok=True).count() == 5


def test_a_grouped_message_lists_20_alerts_and_counts_the_rest_with_a_link_to_the_queue(web):
    slack_channel(web, ["200"])
    for i in range(26):
        breach(f"outage {i}")

    assert run().sent == 26

    [message] = web.to("/slack")
    assert len(lines(message)) == 20
    more = message.json()["blocks"][-1]["elements"][0]["text"]
    assert more == "and 6 more: <https://sla.example.com/queue/|open the queue>"


def test_one_alert_alone_still_gets_the_full_message(web):
    slack_channel(web, ["200"])
    breach("Printer on fire")

    run()

    [message] = web.to("/slack")
    assert message.json()["blocks"][0]["text"]["text"].startswith("First response breaching")


def test_a_grouped_message_that_failed_is_retried_whole_and_each_alert_is_sent_once(web):
    slack_channel(web, ["503", "200"])
    for i in range(3):
        breach(f"outage {i}")

    assert run().retrying == 3
    later = max(Delivery.objects.values_list("next_attempt_at", flat=True))
    with travel(later):
        assert run(later).sent == 3

    first, second = web.to("/slack")
    assert len(lines(first)) == len(lines(second)) == 3
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 2)}


def test_a_subject_in_a_grouped_message_cannot_mention_the_channel(web):
    slack_channel(web, ["200"])
    breach("<!channel> wake up")
    breach("second")

    run()

    [message] = web.to("/slack")
    text = " ".join(lines(message)) + message.json()["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_a_burst_of_120_reaches_one_slack_channel_in_messages_of_at_most_50(web, settings):
    settings.SLA_DELIVERY_PER_DESTINATION = 4
    slack_channel(web, ["200"])
    for i in range(120):
        breach(f"outage {i}")

    with travel(NOW):
        assert run().sent == 120

    sizes = [int(r.json()["blocks"][0]["text"]["text"].split()[0]) for r in web.to("/slack")]
    assert sum(sizes) == 120 and max(sizes) <= 50
