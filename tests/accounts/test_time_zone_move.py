"""An account moved to another time zone: running clocks of policies that read the calendar in
the customer's zone are rescheduled there, in the admin and through the API alike."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Account
from tests.factories import office_calendar, policy, tier
from threads.models import EventKind, SlaClock, SlaEvent
from threads.services import thread_create

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def acme():
    tier("Standard", default=True)
    local = policy("Local hours", calendar=office_calendar(), targets=[("first_response", "", 60)])
    local.use_customer_time_zone = True
    local.save()
    return Account.objects.create(
        name="Acme", email_domains=["acme.com"], time_zone="Europe/Berlin"
    )


def open_thread(account):
    # Monday 16:30 in Berlin: 30 minutes of the 1h target left today, due Tuesday 09:30.
    with time_machine.travel(datetime(2026, 11, 23, 16, 30, tzinfo=BERLIN), tick=False):
        return thread_create(subject="Printer", first_message="Help", account=account).thread


def test_moving_an_account_to_new_york_in_the_admin_reschedules_its_running_clocks(
    acme, manager_client, manager
):
    thread = open_thread(acme)
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    assert clock.due_at == datetime(2026, 11, 24, 9, 30, tzinfo=BERLIN)
    with time_machine.travel(datetime(2026, 11, 23, 16, 40, tzinfo=BERLIN), tick=False):
        response = manager_client.post(
            f"/admin/accounts/account/{acme.pk}/change/",
            {
                "name": "Acme",
                "email_domains": "acme.com",
                "tier": "",
                "time_zone": "America/New_York",
                "contacts-TOTAL_FORMS": "0",
                "contacts-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content[:2000]
    clock.refresh_from_db()
    # 10 minutes used in Berlin's office day; 16:40 Berlin is 10:40 in New York, office open:
    # the 50 minutes left run to 11:30 New York time.
    assert clock.zone == "America/New_York"
    assert clock.due_at == datetime(2026, 11, 23, 11, 30, tzinfo=NEW_YORK)
    moved = SlaEvent.objects.get(clock=clock, kind=EventKind.RETARGETED)
    assert "America/New_York" in moved.details["why"]
    assert moved.actor == manager


def test_an_integrator_moving_the_account_through_the_api_reschedules_the_same_way(acme, manager):
    from rest_framework.test import APIClient

    thread = open_thread(acme)
    api = APIClient()
    api.force_authenticate(manager)
    with time_machine.travel(datetime(2026, 11, 23, 16, 40, tzinfo=BERLIN), tick=False):
        response = api.patch(
            f"/api/v1/accounts/{acme.pk}/", {"time_zone": "America/New_York"}, format="json"
        )
    assert response.status_code == 200, response.content
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    assert clock.due_at == datetime(2026, 11, 23, 11, 30, tzinfo=NEW_YORK)


def test_other_accounts_clocks_and_finished_clocks_do_not_move(acme, agent):
    from threads.services import account_set_time_zone, agent_reply

    other = open_thread(Account.objects.create(name="Other", time_zone="Europe/Berlin"))
    answered = open_thread(acme)
    with time_machine.travel(datetime(2026, 11, 23, 16, 35, tzinfo=BERLIN), tick=False):
        agent_reply(thread=answered, author=agent, body="on it")
    before = {
        c.pk: (c.zone, c.due_at, c.state) for c in SlaClock.objects.filter(metric="first_response")
    }
    with time_machine.travel(datetime(2026, 11, 23, 16, 40, tzinfo=BERLIN), tick=False):
        assert account_set_time_zone(account=acme, time_zone="America/New_York") == 0
    after = {
        c.pk: (c.zone, c.due_at, c.state) for c in SlaClock.objects.filter(metric="first_response")
    }
    assert after == before
    assert not SlaEvent.objects.filter(thread=other, kind=EventKind.RETARGETED).exists()
