"""The history names the integration key a change came through: every manual action on a clock
is an event with who (a person, or the key by name and public prefix, never its secret) and why."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from integrations.models import IntegrationKey
from tests.factories import office_calendar, policy, tier
from tests.integrations.conftest import THREADS, open_thread, person_client
from threads.models import SlaEvent

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
# Caused by time passing, not by whoever made the rules catch up.
BY_TIME = {"warning", "breaching", "escalated"}


@pytest.fixture
def standard(db):
    return policy(
        "Standard",
        calendar=office_calendar(zone="Europe/Berlin"),
        tiers=[tier("Free", default=True)],
        targets=[("first_response", "", 60), ("resolution", "", 480)],
    )


def at(day, hour, minute=0):
    return time_machine.travel(datetime(2026, 11, day, hour, minute, tzinfo=BERLIN), tick=False)


def zendesk_label() -> str:
    return IntegrationKey.objects.get(name="Zendesk bridge").label()


def by_cell(page: str, kind: str) -> str:
    row = page[page.index(f'data-kind="{kind}"') :].split("</tr>")[0]
    return row[row.index('class="muted by"') :]


def test_a_key_is_named_by_its_name_and_public_prefix(zendesk):
    key = IntegrationKey.objects.get(name="Zendesk bridge")
    assert key.label() == f"Zendesk bridge ({key.prefix}…)"
    assert key.prefix.startswith("slaops_")


def test_every_event_of_a_change_through_a_key_names_the_key(zendesk, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    url = f"{THREADS}{thread['id']}/"
    with at(23, 10, 5):
        zendesk.patch(url, {"priority": "urgent", "status": "on_hold"}, format="json")
        zendesk.post(f"{url}messages/", {"author": "customer", "body": "Any news?"}, format="json")
        zendesk.post(f"{url}no-reply-needed/", format="json")
        zendesk.post(f"{url}messages/", {"author": "agent", "body": "On it"}, format="json")
    events = SlaEvent.objects.filter(thread_id=thread["id"]).exclude(kind__in=BY_TIME)
    kinds = {e.kind for e in events}
    assert {"policy_matched", "started", "thread_changed", "no_reply_needed"} <= kinds
    assert {(e.actor, e.details.get("via")) for e in events} == {(None, zendesk_label())}


def test_the_keys_secret_is_nowhere_in_the_history(standard):
    _, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    thread = open_thread(client)
    body = client.get(f"{THREADS}{thread['id']}/").content.decode()
    assert zendesk_label() in body
    assert secret not in body
    assert secret.split(".")[1] not in str(list(SlaEvent.objects.values_list("details")))


def test_the_api_returns_the_key_in_each_events_details(zendesk, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    events = zendesk.get(f"{THREADS}{thread['id']}/").json()["events"]
    assert {(e["actor"], e["details"]["via"]) for e in events} == {(None, zendesk_label())}


def test_a_person_acting_through_the_api_names_no_key(zendesk, agent, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    with at(23, 10, 5):
        person_client(agent).patch(f"{THREADS}{thread['id']}/", {"priority": "high"}, "json")
        person_client(agent).post(f"{THREADS}{thread['id']}/no-reply-needed/", format="json")
    events = SlaEvent.objects.filter(thread_id=thread["id"], actor=agent)
    assert {"thread_changed", "no_reply_needed"} <= {e.kind for e in events}
    assert not [e for e in events if "via" in e.details]


def test_a_thread_a_person_opens_through_the_api_names_no_key(agent, standard):
    thread = open_thread(person_client(agent))
    events = SlaEvent.objects.filter(thread_id=thread["id"])
    assert events.exists()
    assert not [e for e in events if "via" in e.details]


def test_a_reply_a_key_relays_for_an_agent_names_both(zendesk, agent, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    with at(23, 10, 30):
        zendesk.post(
            f"{THREADS}{thread['id']}/messages/",
            {"author": "agent", "body": "On it", "author_username": "alex"},
            format="json",
        )
    achieved = SlaEvent.objects.get(kind="achieved")
    assert (achieved.actor, achieved.details["via"]) == (agent, zendesk_label())


def test_the_thread_page_names_the_key_where_no_person_acted(zendesk, agent, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    with at(23, 10, 30):
        zendesk.post(
            f"{THREADS}{thread['id']}/messages/",
            {"author": "agent", "body": "On it", "author_username": "alex"},
            format="json",
        )
        page = person_client(agent).get(f"/threads/{thread['id']}/").content.decode()
    opened = by_cell(page, "policy_matched")
    assert zendesk_label() in opened and "integration key" in opened
    assert "system" not in opened
    replied = by_cell(page, "achieved")
    assert "alex" in replied and f"via {zendesk_label()}" in replied
