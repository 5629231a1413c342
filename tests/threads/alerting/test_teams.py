"""Microsoft Teams against a local stand-in of a Workflows webhook: one Adaptive Card per alert,
foreign text kept plain, rate limits honoured."""

from datetime import datetime, timedelta

import pytest

from accounts.models import Account
from tests.threads.test_delivery import BERLIN, NOW, breach, channel, configure, run
from threads.alerting.delivery import send_test_alert
from threads.alerting.transports.teams import CARD_TYPE
from threads.models import Delivery

pytestmark = [pytest.mark.django_db, pytest.mark.both]

FRIDAY_1650 = datetime(2026, 11, 27, 16, 50, tzinfo=BERLIN)
MONDAY_9 = datetime(2026, 11, 30, 9, tzinfo=BERLIN)
FLOW = "/workflows/3f2a/triggers/manual/paths/invoke"


def card_of(request) -> dict:
    message = request.json()
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == CARD_TYPE == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def texts(card) -> list[str]:
    """What the card shows, block by block: TextRuns joined, facts as "title: value"."""
    shown = []
    for block in card["body"]:
        if block["type"] == "RichTextBlock":
            assert all(run["type"] == "TextRun" for run in block["inlines"])  # never Markdown
            shown.append("".join(run["text"] for run in block["inlines"]))
        elif block["type"] == "FactSet":
            shown.extend(f"{fact['title']}: {fact['value']}" for fact in block["facts"])
        else:
            raise AssertionError(block["type"])
    return shown


def test_teams_receives_one_adaptive_card_with_the_thread_metric_state_due_time_and_link(web):
    configure(channels=[channel("teams", url=web.script(FLOW, ["202"]))])
    account = Account.objects.create(name="Acme")
    thread = breach(account=account)

    assert run().sent == 1
    run(NOW + timedelta(minutes=1))  # nothing sent twice

    [request] = web.to(FLOW)
    card = card_of(request)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert texts(card) == [
        f"First response breaching: #{thread.pk} Printer on fire",
        "Metric: First response",
        "State: Breaching",
        "Due: Mon 23 Nov 2026 11:00 CET",
        "Time left: overdue by 5m (business time)",
        "Priority: Normal",
        "Account: Acme",
    ]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the thread",
            "url": f"https://sla.example.com/threads/{thread.pk}/",
        }
    ]
    assert Delivery.objects.get().response_code == 202


def test_a_subject_stays_plain_text_in_the_card(web):
    configure(channels=[channel("teams", url=web.script(FLOW, ["202"]))])
    subject = (
        "**Urgent** [click here](https://evil.example/) {{DATE(2026-01-01T00:00:00Z)}} <at>all</at>"
    )
    breach(subject=subject)

    run()

    card = card_of(web.to(FLOW)[0])
    title = card["body"][0]["inlines"][0]
    assert title["type"] == "TextRun"  # shown as typed: no bold, no link under a false label
    assert "**Urgent** [click here](https://evil.example/)" in title["text"]
    assert "<at>all</at>" in title["text"]  # a mention only exists in an entities list
    assert "{{" not in title["text"] and "{\u200b{DATE(" in title["text"]
    assert "{{" not in card["fallbackText"]
    assert "msteams" in card and "entities" not in card["msteams"]


def test_a_teams_rate_limit_honours_retry_after(web):
    configure(channels=[channel("teams", url=web.script(FLOW, ["429:Retry-After=90", "202"]))])
    breach()

    assert run().retrying == 1
    waiting = Delivery.objects.get()
    assert waiting.next_attempt_at == NOW + timedelta(seconds=90)
    assert waiting.last_error == "Teams answered 429 Too Many Requests"
    assert run(NOW + timedelta(seconds=90)).sent == 1


@pytest.mark.parametrize(
    "answer, disables",
    [
        ('400 {"error":{"code":"TriggerInputSchemaMismatch","message":"x"}}', False),
        ("403", False),
        ("404", True),
    ],
)
def test_a_teams_client_error_is_final(web, answer, disables):
    teams = channel("teams", url=web.script(FLOW, [answer]))
    configure(channels=[teams])
    breach()

    assert run().dead == 1
    teams.refresh_from_db()
    assert teams.enabled is not disables
    error = Delivery.objects.get().last_error
    assert error.startswith("Teams answered 4")
    if answer.startswith("400"):
        assert error.endswith(": TriggerInputSchemaMismatch")


def test_a_teams_server_error_is_retried(web):
    configure(channels=[channel("teams", url=web.script(FLOW, ["502", "202"]))])
    breach()

    assert run().retrying == 1
    assert run(Delivery.objects.get().next_attempt_at).sent == 1


def test_teams_alerts_wait_for_the_calendar_like_slack(web):
    url = web.script(FLOW, ["202"])
    configure(channels=[channel("teams", url=url)], page_24_7=False, minutes=10)
    breach(opened=FRIDAY_1650, at=FRIDAY_1650 + timedelta(minutes=15))

    assert run(FRIDAY_1650 + timedelta(minutes=15)).sent == 0
    held = Delivery.objects.get()
    assert held.held_for_quiet_hours and held.next_attempt_at == MONDAY_9
    assert run(MONDAY_9).sent == 1 and len(web.to(FLOW)) == 1


def test_a_teams_test_alert_is_one_card(web):
    [result] = send_test_alert(channel=channel("teams", url=web.script(FLOW, ["202"])))

    assert result.ok and result.message == "accepted (202)"
    assert texts(card_of(web.to(FLOW)[0]))[0] == "Test alert from SLA Ops"


def test_a_retry_after_of_unicode_digits_is_ignored_not_a_crash(web):
    configure(channels=[channel("teams", url=web.script(FLOW, ["429:Retry-After=²", "202"]))])
    breach()

    assert run().retrying == 1
    waiting = Delivery.objects.get()
    assert waiting.last_error == "Teams answered 429 Too Many Requests"
    assert waiting.next_attempt_at > NOW
