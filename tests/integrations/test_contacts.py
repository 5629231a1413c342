"""Opening a thread never rewrites who a known customer is: the people an SLA measures cannot
pick a cheaper tier for a thread, rename a contact or move one to another account."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Contact
from accounts.roles import AGENTS
from tests.factories import office_calendar, policy, tier
from tests.integrations.conftest import THREADS, open_thread, person_client
from threads.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(db):
    free = tier("Free", default=True)
    enterprise = tier("Enterprise", order=1)
    calendar = office_calendar()
    policy("Free", calendar=calendar, tiers=[free], targets=[("first_response", "", 960)])
    policy(
        "Enterprise",
        calendar=calendar,
        order=1,
        tiers=[enterprise],
        targets=[("first_response", "", 60)],
    )
    acme = Account.objects.create(name="Acme", tier=enterprise, email_domains=["acme.de"])
    cheap = Account.objects.create(name="Cheap Ltd", tier=free)
    anna = Contact.objects.create(email="anna@acme.de", name="Anna", account=acme)
    return acme, cheap, anna


def test_an_agent_cannot_put_a_known_contacts_thread_under_a_cheaper_account(agent, tiers):
    _, cheap, _ = tiers
    response = person_client(agent).post(
        THREADS,
        {"message": "Help", "contact_email": "anna@acme.de", "account": cheap.pk},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["account"]


def test_a_known_contacts_thread_takes_their_own_account_and_tier(agent, tiers):
    thread = open_thread(person_client(agent), contact_email="anna@acme.de")
    assert thread["policy"] == "Enterprise"


def test_opening_a_thread_does_not_rename_a_known_contact(zendesk, tiers):
    open_thread(zendesk, contact_email="anna@acme.de", contact_name="Renamed By Bridge")
    assert Contact.objects.get(email="anna@acme.de").name == "Anna"


def test_a_new_contact_gets_the_name_given(zendesk, tiers):
    open_thread(zendesk, contact_email="bob@acme.de", contact_name="Bob")
    bob = Contact.objects.get(email="bob@acme.de")
    assert (bob.name, bob.account.name) == ("Bob", "Acme")


@pytest.mark.parametrize("name", ["Anna\r\nBcc: x@evil.example", "Anna\x00", "Anna\u2028x"])
def test_a_contact_name_with_a_line_break_is_a_400_naming_it(zendesk, tiers, name):
    response = zendesk.post(
        THREADS,
        {"message": "Help", "contact_email": "new@acme.de", "contact_name": name},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["contact_name"]


def test_a_subject_with_a_line_break_is_a_400_naming_it(zendesk, tiers):
    response = zendesk.post(
        THREADS, {"message": "Help", "subject": "Hi\nBcc: x@evil.example"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["subject"]


def test_a_key_cannot_relay_a_reply_as_a_superuser(zendesk, tiers, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")
    thread = open_thread(zendesk)
    response = zendesk.post(
        f"{THREADS}{thread['id']}/messages/",
        {"author": "agent", "body": "On it", "author_username": "root"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["author_username"]


def test_a_key_relays_a_reply_for_an_agent(zendesk, tiers, agent):
    assert Group.objects.get(name=AGENTS) in agent.groups.all()
    thread = open_thread(zendesk)
    response = zendesk.post(
        f"{THREADS}{thread['id']}/messages/",
        {"author": "agent", "body": "On it", "author_username": agent.username},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["author_username"] == agent.username


def test_a_customer_message_is_the_threads_contacts_without_reading_the_contact_again(
    zendesk, tiers
):
    thread = open_thread(zendesk, contact_email="anna@acme.de")
    with CaptureQueriesContext(connection) as queries:
        response = zendesk.post(
            f"{THREADS}{thread['id']}/messages/", {"author": "customer"}, format="json"
        )
    assert response.status_code == 201
    assert response.json()["contact_email"] == "anna@acme.de"
    assert Message.objects.get(pk=response.json()["id"]).contact.email == "anna@acme.de"
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if 'FROM "accounts_contact"' in sql]
