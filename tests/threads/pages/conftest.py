"""Fixtures of the agents' pages' tests: a desk with two teams, a busy thread, a notification."""

import pytest

from accounts.models import Account, AgentProfile, Team
from policies.models import NotificationRule
from tests.factories import office_calendar, policy, tier
from tests.threads.pages.helpers import at, berlin, open_thread
from threads import services
from threads.evaluator import evaluate
from threads.models import Notification


@pytest.fixture
def setup(agent, other_agent):
    free = tier("Free", default=True)
    gold = tier("Gold", order=1)
    support = Team.objects.create(name="Support")
    support.members.add(agent)
    billing = Team.objects.create(name="Billing")
    billing.members.add(other_agent)
    standard = policy(
        "Standard",
        calendar=office_calendar(),
        targets=[
            ("first_response", "", 60),
            ("first_response", "urgent", 15),
            ("resolution", "", 480),
        ],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer", "on_hold"],
    )
    AgentProfile.objects.create(user=agent, time_zone="Europe/Berlin")
    return {
        "free": free,
        "gold": gold,
        "support": support,
        "billing": billing,
        "policy": standard,
        "acme": Account.objects.create(name="Acme GmbH", tier=gold),
    }


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def busy_thread(setup, agent):
    """A thread with every kind of message, a warning with its e-mail and a pause."""
    rule = NotificationRule(
        policy=setup["policy"], events=["warning"], to_assignee=True, in_app=True
    )
    rule.save()
    thread = open_thread(berlin(23, 10), "Printer on fire", assignee=agent)
    with at(berlin(23, 10, 5)):
        services.agent_reply(thread=thread, author=None, body="We got it", automatic=True)
        services.agent_reply(thread=thread, author=agent, body="Looks like toner", public=False)
    evaluate(now=berlin(23, 10, 31))
    with at(berlin(23, 10, 40)):
        services.agent_reply(thread=thread, author=agent, body="Please send a photo")
        services.thread_set_status(
            thread=thread, status="waiting_on_customer", reason="asked for a photo", actor=agent
        )
    return thread


@pytest.fixture
def breaching_note(setup, agent):
    rule = NotificationRule(
        policy=setup["policy"], events=["breaching"], to_assignee=True, in_app=True, by_email=False
    )
    rule.save()
    open_thread(berlin(23, 10), "Printer on fire", assignee=agent)
    evaluate(now=berlin(23, 11, 1))
    return Notification.objects.get(user=agent)


@pytest.fixture
def nobody(db, django_user_model):
    return django_user_model.objects.create_user("nobody", "nobody@example.com", "pw-nobody")
