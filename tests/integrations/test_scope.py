"""What an integration key may do: only its own source's threads (others do not exist for it),
past times for their events, replies as the integration or as a named agent; accounts read-only,
contacts only those of its threads. People act now."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Account, Contact
from tests.factories import office_calendar, policy, tier
from tests.integrations.conftest import THREADS, open_thread, person_client
from threads.models import Message, SlaEvent, Thread

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def standard(db):
    free = tier("Free", default=True)
    return policy(
        "Standard",
        calendar=office_calendar(zone="Europe/Berlin"),
        tiers=[free],
        targets=[("first_response", "", 60), ("resolution", "", 480)],
    )


def at(day, hour, minute=0):
    return time_machine.travel(datetime(2026, 11, day, hour, minute, tzinfo=BERLIN), tick=False)


# --------------------------------------------------------------------------- own source


def test_a_key_opens_threads_of_its_own_source(zendesk):
    thread = open_thread(zendesk)
    assert thread["source"] == "zendesk"


def test_a_key_may_name_its_own_source(zendesk):
    assert open_thread(zendesk, source="zendesk")["source"] == "zendesk"


def test_a_key_naming_another_source_is_a_400_naming_source(zendesk):
    response = zendesk.post(THREADS, {"message": "Help", "source": "intercom"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["source"]
    assert not Thread.objects.exists()


@pytest.mark.parametrize("who", ["agent", "manager"])
def test_a_person_cannot_open_a_thread_in_an_integrations_source(zendesk, request, who):
    person = person_client(request.getfixturevalue(who))
    claim = {"message": "Help", "source": "zendesk", "external_id": "ZD-4711"}
    response = person.post(THREADS, claim, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["source"]
    assert "only an integration key" in response.json()["errors"]["source"][0].lower()
    # So Zendesk's own delivery of ZD-4711 opens Zendesk's thread, not one a person planted.
    assert zendesk.post(THREADS, claim, format="json").status_code == 201


def test_a_person_opens_threads_of_source_api(agent):
    assert open_thread(person_client(agent))["source"] == "api"
    assert open_thread(person_client(agent), source="api")["source"] == "api"


def test_another_sources_threads_do_not_exist_for_a_key(zendesk, intercom):
    theirs = open_thread(intercom)
    mine = open_thread(zendesk)
    url = f"{THREADS}{theirs['id']}/"
    assert [t["id"] for t in zendesk.get(THREADS).json()["results"]] == [mine["id"]]
    assert zendesk.get(url).status_code == 404
    assert zendesk.patch(url, {"priority": "urgent"}, format="json").status_code == 404
    assert zendesk.post(f"{url}no-reply-needed/").status_code == 404
    assert zendesk.get(f"{url}messages/").status_code == 404
    reply = zendesk.post(f"{url}messages/", {"author": "agent", "body": "hi"}, format="json")
    assert reply.status_code == 404
    assert Thread.objects.get(pk=theirs["id"]).priority == "normal"
    assert Message.objects.filter(thread_id=theirs["id"]).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"author": "nobody"},  # invalid
        {"author": "customer", "contact_email": "new@example.com"},  # would write a contact
        {"author": "agent", "author_username": "nobody"},  # would look for an agent
        {"author": "customer", "created_at": "2020-01-01T00:00:00Z"},  # before the thread
    ],
)
def test_a_message_to_another_sources_thread_is_a_404_before_its_body_is_read(
    zendesk, intercom, body
):
    theirs = open_thread(intercom)
    reply = zendesk.post(f"{THREADS}{theirs['id']}/messages/", body, format="json")
    assert reply.status_code == 404
    assert not Contact.objects.filter(email="new@example.com").exists()
    assert Message.objects.filter(thread_id=theirs["id"]).count() == 1


def test_a_message_to_a_thread_that_does_not_exist_is_a_404(zendesk):
    reply = zendesk.post(f"{THREADS}999999/messages/", {"author": "agent"}, format="json")
    assert reply.status_code == 404


def test_the_same_external_id_in_another_source_is_another_thread(zendesk, intercom):
    theirs = open_thread(intercom, external_id="42")
    mine = zendesk.post(THREADS, {"message": "Help", "external_id": "42"}, format="json")
    assert mine.status_code == 201
    assert mine.json()["id"] != theirs["id"]


def test_a_key_changes_its_own_threads(zendesk):
    mine = open_thread(zendesk)
    response = zendesk.patch(f"{THREADS}{mine['id']}/", {"priority": "urgent"}, format="json")
    assert response.status_code == 200
    changed = SlaEvent.objects.get(kind="thread_changed", details__field="priority")
    assert changed.actor is None  # no person did it


def test_a_key_may_give_past_times(zendesk, standard):
    with at(30, 12):
        response = zendesk.post(
            THREADS, {"message": "Help", "created_at": "2026-11-27T16:30:00+01:00"}, format="json"
        )
    assert response.status_code == 201
    first = next(c for c in response.json()["clocks"] if c["metric"] == "first_response")
    assert first["due_at"] == "2026-11-30T08:30:00Z"


# ------------------------------------------------------------------ replies through a key


def test_a_reply_through_a_key_without_an_author_is_from_the_integration(zendesk, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    with at(23, 10, 30):
        response = zendesk.post(
            f"{THREADS}{thread['id']}/messages/",
            {"author": "agent", "body": "On it"},
            format="json",
        )
    assert response.status_code == 201
    assert (response.json()["author"], response.json()["author_username"]) == ("agent", None)
    achieved = SlaEvent.objects.get(kind="achieved")
    assert achieved.actor is None


def test_a_reply_through_a_key_may_name_the_agent_who_wrote_it(zendesk, agent, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    with at(23, 10, 30):
        response = zendesk.post(
            f"{THREADS}{thread['id']}/messages/",
            {"author": "agent", "body": "On it", "author_username": "alex"},
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["author_username"] == "alex"
    assert SlaEvent.objects.get(kind="achieved").actor == agent


@pytest.mark.parametrize("who", ["ghost", "nobody", "retired"])
def test_a_key_cannot_credit_a_reply_to_someone_who_is_not_an_active_agent(
    zendesk, nobody, django_user_model, who
):
    django_user_model.objects.create_user("retired", is_active=False)
    thread = open_thread(zendesk)
    response = zendesk.post(
        f"{THREADS}{thread['id']}/messages/",
        {"author": "agent", "body": "On it", "author_username": who},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["author_username"]
    assert Message.objects.count() == 1


# ---------------------------------------------------------------- accounts and contacts


def test_a_key_reads_accounts_but_cannot_create_or_change_them(zendesk):
    acme = Account.objects.create(name="Acme")
    assert zendesk.get("/api/v1/accounts/").status_code == 200
    assert zendesk.post("/api/v1/accounts/", {"name": "Evil"}, format="json").status_code == 403
    gold = tier("Gold")
    moved = zendesk.patch(f"/api/v1/accounts/{acme.pk}/", {"tier": gold.pk}, format="json")
    assert moved.status_code == 403
    assert Account.objects.get(pk=acme.pk).tier is None


def test_a_key_cannot_move_a_contact_to_another_account(zendesk):
    ann = Contact.objects.create(email="ann@acme.com", account=Account.objects.create(name="Acme"))
    other = Account.objects.create(name="Other")
    response = zendesk.post(
        "/api/v1/contacts/", {"email": "ann@acme.com", "account": other.pk}, format="json"
    )
    assert response.status_code == 403
    assert Contact.objects.get(pk=ann.pk).account.name == "Acme"


def test_a_key_reads_only_the_contacts_of_its_threads(zendesk, intercom):
    open_thread(zendesk, contact_email="ann@acme.com")
    open_thread(intercom, contact_email="bob@acme.com")
    emails = [c["email"] for c in zendesk.get("/api/v1/contacts/").json()["results"]]
    assert emails == ["ann@acme.com"]
    bob = Contact.objects.get(email="bob@acme.com")
    assert zendesk.get(f"/api/v1/contacts/{bob.pk}/").status_code == 404


def contact_emails(client) -> list[str]:
    response = client.get("/api/v1/contacts/")
    assert response.status_code == 200
    return [c["email"] for c in response.json()["results"]]


def account_names(client, **lookup) -> list[str]:
    response = client.get("/api/v1/accounts/", lookup)
    assert response.status_code == 200
    return [a["name"] for a in response.json()["results"]]


def test_naming_another_sources_contact_in_a_message_does_not_make_it_readable(
    zendesk, intercom, standard
):
    open_thread(intercom, contact_email="vip@globex.com", contact_name="Very Important")
    vip = Contact.objects.get(email="vip@globex.com")
    ours = open_thread(zendesk, contact_email="ann@acme.com")
    named = zendesk.post(
        f"{THREADS}{ours['id']}/messages/",
        {"author": "customer", "body": "Hi", "contact_email": "vip@globex.com"},
        format="json",
    )
    assert named.status_code == 201
    assert named.json()["contact"] == vip.pk  # linked, as the message says
    assert "Very Important" not in named.content.decode()
    assert contact_emails(zendesk) == ["ann@acme.com"]
    assert zendesk.get(f"/api/v1/contacts/{vip.pk}/").status_code == 404


def test_opening_a_thread_for_another_sources_contact_does_not_make_it_readable(
    zendesk, intercom, standard
):
    open_thread(intercom, contact_email="vip@globex.com", contact_name="Very Important")
    open_thread(zendesk, contact_email="vip@globex.com")
    assert contact_emails(zendesk) == []
    assert contact_emails(intercom) == ["vip@globex.com"]


def test_a_contact_a_person_added_is_not_readable_by_a_key(zendesk, manager, standard):
    person_client(manager).post(
        "/api/v1/contacts/", {"email": "ceo@acme.com", "name": "The CEO"}, format="json"
    )
    ours = open_thread(zendesk, contact_email="ceo@acme.com")
    assert ours["contact"] == Contact.objects.get(email="ceo@acme.com").pk
    assert contact_emails(zendesk) == []


def test_a_key_reads_the_contact_its_source_brought_in_on_a_message(zendesk, standard):
    ours = open_thread(zendesk, contact_email="ann@acme.com")
    zendesk.post(
        f"{THREADS}{ours['id']}/messages/",
        {"author": "customer", "body": "Me too", "contact_email": "bob@acme.com"},
        format="json",
    )
    assert contact_emails(zendesk) == ["ann@acme.com", "bob@acme.com"]


def test_a_key_lists_only_the_accounts_of_its_sources_threads(zendesk, intercom, standard):
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    globex = Account.objects.create(name="Globex", email_domains=["globex.com"])
    open_thread(zendesk, contact_email="ann@acme.com")
    open_thread(intercom, contact_email="vip@globex.com")
    assert account_names(zendesk) == ["Acme"]
    assert zendesk.get(f"/api/v1/accounts/{acme.pk}/").status_code == 200
    assert zendesk.get(f"/api/v1/accounts/{globex.pk}/").status_code == 404


def test_a_key_finds_any_account_by_its_exact_name_or_domain(zendesk, standard):
    Account.objects.create(name="Globex", email_domains=["globex.com", "globex.de"])
    Account.objects.create(name="Globex Two", email_domains=["globex.co"])
    assert account_names(zendesk) == []
    assert account_names(zendesk, name="globex") == ["Globex"]
    assert account_names(zendesk, domain="GLOBEX.DE") == ["Globex"]
    assert account_names(zendesk, domain="globex") == []  # a domain, not a part of one
    assert account_names(zendesk, name="Glob") == []
    assert account_names(zendesk, name="Globex", domain="globex.co") == []


def test_a_blank_account_look_up_is_a_400_naming_it(zendesk):
    response = zendesk.get("/api/v1/accounts/?name=")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]


# ------------------------------------------------------------------------ people act now


def test_an_agent_cannot_back_date_a_reply_to_1990(zendesk, agent, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    response = person_client(agent).post(
        f"{THREADS}{thread['id']}/messages/",
        {"author": "agent", "body": "On it", "created_at": "1990-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["created_at"]
    assert Message.objects.count() == 1


def test_an_agent_cannot_date_a_reply_at_all(zendesk, agent, standard):
    with at(23, 10):
        thread = open_thread(zendesk)
    with at(23, 11):
        response = person_client(agent).post(
            f"{THREADS}{thread['id']}/messages/",
            {"author": "agent", "body": "On it", "created_at": "2026-11-23T10:05:00+01:00"},
            format="json",
        )
    assert response.status_code == 400
    assert "only integration keys" in response.json()["errors"]["created_at"][0]
    assert Message.objects.count() == 1


def test_an_agent_cannot_open_a_thread_in_the_past(agent):
    response = person_client(agent).post(
        THREADS, {"message": "Help", "created_at": "2026-11-01T09:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["created_at"]
    assert not Thread.objects.exists()


def test_an_agent_replies_as_themselves_only(zendesk, agent, other_agent):
    thread = open_thread(zendesk)
    response = person_client(agent).post(
        f"{THREADS}{thread['id']}/messages/",
        {"author": "agent", "body": "Sam says hi", "author_username": "sam"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["author_username"]


def test_a_person_acting_through_the_api_is_named_in_the_history(zendesk, agent):
    thread = open_thread(zendesk)
    person_client(agent).patch(f"{THREADS}{thread['id']}/", {"priority": "high"}, format="json")
    assert SlaEvent.objects.get(kind="thread_changed", details__field="priority").actor == agent


def test_a_key_is_told_it_may_only_read_accounts(zendesk):
    response = zendesk.post("/api/v1/accounts/", {"name": "Evil"}, format="json")
    assert response.json()["detail"] == "Integration keys may only read here."
