"""A team's own clocks (OLAs) alert by the team's rules, typed apart from the customer's clocks:
a webhook reads "team_clock.status_transitioned", titles name the team, quiet hours follow the
team's calendar (docs/rules.md, "Team alerts")."""

from datetime import datetime, timedelta

import pytest
from standardwebhooks import Webhook

from policies.models import NotificationRule, TeamAlertRule
from tests.factories import office_calendar
from tests.threads.teams.stories import START, around_the_clock, team
from tests.threads.test_delivery import BERLIN, channel, travel
from threads.alerting.delivery import deliver_due
from threads.models import Delivery, Notification
from threads.services import thread_catch_up, thread_create, thread_update

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def minutes(n: float) -> datetime:
    return START + timedelta(minutes=n)


def opened(at=START, **kwargs):
    with travel(at):
        return thread_create(subject="Export fails", first_message="Help", **kwargs).thread


def caught_up(thread, at):
    with travel(at):
        thread_catch_up(thread=thread)


def run(at):
    with travel(at):
        return deliver_due()


def team_rule(owner, *, channels=(), **fields):
    fields.setdefault("in_app", False)
    rule = TeamAlertRule.objects.create(team=owner, events=["breaching"], **fields)
    rule.channels.set(channels)
    return rule


def policy_rule(policy, *, channels=(), **fields):
    fields.setdefault("in_app", False)
    rule = NotificationRule.objects.create(policy=policy, events=["breaching"], **fields)
    rule.channels.set(channels)
    return rule


def verified(hook, request, at) -> dict:
    hook.refresh_from_db()
    with travel(at):
        return Webhook(hook.secret).verify(request.body, request.headers)


def test_a_team_ola_breach_reaches_the_teams_webhook_as_a_team_clock_event(web):
    hook = channel("webhook", url=web.script("/team", ["200"]))
    tier2 = team("Tier 2", response=30)
    team_rule(tier2, channels=[hook])
    around_the_clock()
    thread = opened(team=tier2)

    caught_up(thread, minutes(35))
    assert run(minutes(35)).sent == 1

    [request] = web.to("/team")
    body = verified(hook, request, minutes(35))
    assert body["type"] == "team_clock.status_transitioned"
    data = body["data"]
    assert data["event"] == "team_clock.breaching"
    assert data["team"] == {"id": tier2.pk, "name": "Tier 2"}
    assert (data["metric"], data["previous_state"], data["current_state"]) == (
        "team_response",
        "pending",
        "breaching",
    )
    assert data["thread"]["id"] == thread.pk
    assert "policy" not in data


def test_a_customer_policys_rule_never_fires_for_a_team_clock(web):
    customer = channel("webhook", "Customer hook", url=web.script("/customer", ["200"]))
    tier2 = team("Tier 2", response=30)
    policy_rule(around_the_clock(), channels=[customer])  # every metric, no filter
    thread = opened(team=tier2)

    caught_up(thread, minutes(35))  # the team response breaches, first response is in time

    assert not Delivery.objects.exists()
    caught_up(thread, minutes(65))  # now the customer's first response breaches
    run(minutes(65))
    [request] = web.to("/customer")
    assert verified(customer, request, minutes(65))["type"] == "sla.status_transitioned"
    assert request.json()["data"]["metric"] == "first_response"


def test_a_teams_rule_never_fires_for_a_customer_clock(web):
    hook = channel("webhook", url=web.script("/team", ["200"]))
    tier2 = team("Tier 2", response=600, resolution=0)
    team_rule(tier2, channels=[hook])
    around_the_clock()
    thread = opened(team=tier2)

    caught_up(thread, minutes(65))  # first response breaching; the team's response is in time

    assert thread.clocks.get(metric="first_response").state == "breaching"
    assert not Delivery.objects.exists()


def test_the_team_hears_its_breach_by_name_even_after_handing_the_thread_on(
    agent, other_agent, manager
):
    frontline = team("Frontline", response=30, members=[agent])
    tier2 = team("Tier 2", response=30, members=[other_agent])
    team_rule(frontline, to_team=True, in_app=True, by_email=False)
    thread = opened(team=frontline)

    with travel(minutes(40)):  # Frontline's response is breaching; handing on breaches it
        thread_update(thread=thread, team=tier2, actor=manager)

    [note] = Notification.objects.all()
    assert note.user == agent  # Frontline's member, not Tier 2's
    assert note.title == f"Frontline: team response breaching: #{thread.pk} Export fails"


def test_a_team_clocks_slack_alert_waits_for_the_teams_calendar_and_names_the_team(web):
    slack = channel("slack", url=web.script("/slack", ["200"]))
    friday_1650 = datetime(2026, 11, 27, 16, 50, tzinfo=BERLIN)
    monday_9 = datetime(2026, 11, 30, 9, tzinfo=BERLIN)
    tier2 = team("Tier 2 <!channel>", response=10, calendar=office_calendar())
    team_rule(tier2, channels=[slack])
    thread = opened(at=friday_1650, team=tier2)

    caught_up(thread, friday_1650 + timedelta(minutes=15))

    held = Delivery.objects.get()
    assert held.held_for_quiet_hours and held.next_attempt_at == monday_9
    assert run(monday_9).sent == 1
    message = web.to("/slack")[0].json()
    title = f"Tier 2 &lt;!channel&gt;: team response breaching: #{thread.pk} Export fails"
    assert message["blocks"][0]["text"]["text"] == title
    fields = [field["text"] for field in message["blocks"][1]["fields"]]
    assert "*Team*\nTier 2 &lt;!channel&gt;" in fields
    assert "<!channel>" not in str(message)


def test_a_team_deleted_since_its_clock_started_alerts_nobody(web):
    hook = channel("webhook", url=web.script("/team", ["200"]))
    tier2 = team("Tier 2", response=30)
    team_rule(tier2, channels=[hook])
    thread = opened(team=tier2)

    with travel(minutes(5)):
        tier2.delete()  # its clocks end with it, unalerted
    caught_up(thread, minutes(35))

    assert not Delivery.objects.exists()
