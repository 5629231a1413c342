"""The account admin: a tier changed there re-matches the open threads, like the API."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Account
from tests.factories import office_calendar, policy, tier
from threads.models import EventKind, SlaEvent
from threads.services import thread_create

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def test_moving_an_account_to_another_tier_in_the_admin_rematches_its_open_threads(
    manager_client, manager
):
    standard = tier("Standard", default=True)
    gold = tier("Gold", order=1)
    calendar = office_calendar()
    policy("Standard", calendar=calendar, tiers=[standard], targets=[("first_response", "", 60)])
    policy("Gold", calendar=calendar, order=1, tiers=[gold], targets=[("first_response", "", 30)])
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=BERLIN), tick=False):
        thread = thread_create(subject="Printer on fire", first_message="Help", account=acme).thread
    assert thread.policy.name == "Standard"

    with time_machine.travel(datetime(2026, 11, 23, 10, 5, tzinfo=BERLIN), tick=False):
        response = manager_client.post(
            f"/admin/accounts/account/{acme.pk}/change/",
            {
                "name": "Acme",
                "email_domains": "acme.com",
                "tier": gold.pk,
                "time_zone": "UTC",
                "contacts-TOTAL_FORMS": "0",
                "contacts-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content[:2000]
    thread.refresh_from_db()
    acme.refresh_from_db()
    assert acme.tier == gold
    assert (thread.tier, thread.policy.name) == (gold, "Gold")
    clock = thread.clocks.get(metric="first_response")
    assert clock.target_duration.total_seconds() == 30 * 60
    change = SlaEvent.objects.get(
        thread=thread, kind=EventKind.THREAD_CHANGED, details__field="tier"
    )
    assert change.actor == manager
