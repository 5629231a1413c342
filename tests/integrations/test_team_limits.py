"""Team-limited agents (like Zendesk's group restriction): they see and work only their teams'
threads and threads assigned to them, on the pages and the API; everything else is a 404."""

import re

import pytest
from django.test import Client

from accounts.models import Account, AgentProfile, Contact, Team
from tests.factories import policy
from tests.integrations.conftest import THREADS, person_client
from threads import services
from threads.models import Message, Notification, SlaEvent, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(agent):
    AgentProfile.objects.create(user=agent, only_my_teams=True)
    return agent


@pytest.fixture
def threads(agent, other_agent):
    policy("Round the clock", targets=[("first_response", "", 60)])
    billing = Team.objects.create(name="Billing")
    billing.members.add(agent)
    tech = Team.objects.create(name="Tech")

    def thread(subject, **fields):
        return services.thread_create(subject=subject, first_message="Help", **fields).thread

    return {
        "billing": thread("Invoice wrong", team=billing),
        "tech": thread("Server down", team=tech),
        "tech, mine": thread("Server slow", team=tech, assignee=agent),
        "no team, mine": thread("Question", assignee=agent),
        "no team": thread("Hello"),
        "no team, theirs": thread("Other", assignee=other_agent),
    }


VISIBLE = ["billing", "tech, mine", "no team, mine"]
HIDDEN = ["tech", "no team", "no team, theirs"]


def subjects(response) -> set[str]:
    assert response.status_code == 200
    return {t["subject"] for t in response.json()["results"]}


def test_the_api_lists_only_their_teams_and_their_own_threads(limited, threads):
    assert subjects(person_client(limited).get(THREADS)) == {threads[n].subject for n in VISIBLE}


def test_an_agent_without_the_limit_sees_every_thread(agent, threads):
    assert len(subjects(person_client(agent).get(THREADS))) == len(threads)


@pytest.mark.parametrize("name", HIDDEN)
def test_another_teams_thread_does_not_exist_for_them_in_the_api(limited, threads, name):
    api = person_client(limited)
    url = f"{THREADS}{threads[name].pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"priority": "urgent"}, format="json").status_code == 404
    assert api.post(f"{url}no-reply-needed/").status_code == 404
    assert api.get(f"{url}messages/").status_code == 404
    reply = api.post(f"{url}messages/", {"author": "agent", "body": "hi"}, format="json")
    assert reply.status_code == 404
    assert Message.objects.filter(thread=threads[name]).count() == 1
    assert Thread.objects.get(pk=threads[name].pk).priority == "normal"


@pytest.mark.parametrize("name", VISIBLE)
def test_they_work_their_threads_in_the_api(limited, threads, name):
    api = person_client(limited)
    url = f"{THREADS}{threads[name].pk}/"
    assert api.get(url).status_code == 200
    reply = api.post(f"{url}messages/", {"author": "agent", "body": "On it"}, format="json")
    assert reply.status_code == 201


def test_the_queue_shows_only_their_threads(limited, threads):
    client = Client()
    client.force_login(limited)
    page = client.get("/queue/").content.decode()
    for name in VISIBLE:
        assert threads[name].subject in page
    for name in HIDDEN:
        assert threads[name].subject not in page


@pytest.mark.parametrize("name", HIDDEN)
def test_another_teams_thread_page_and_its_actions_are_404(limited, threads, name):
    client = Client()
    client.force_login(limited)
    pk = threads[name].pk
    assert client.get(f"/threads/{pk}/").status_code == 404
    posts = {
        "messages": {"kind": "reply", "body": "hi"},
        "no-reply-needed": {},
        "status": {"status": "resolved"},
        "details": {"priority": "urgent"},
    }
    for action, data in posts.items():
        assert client.post(f"/threads/{pk}/{action}/", data).status_code == 404, action
    thread = Thread.objects.get(pk=pk)
    assert (thread.status, thread.priority, thread.messages.count()) == ("open", "normal", 1)


def test_their_thread_page_opens(limited, threads):
    client = Client()
    client.force_login(limited)
    assert client.get(f"/threads/{threads['billing'].pk}/").status_code == 200


def test_they_open_threads_only_for_their_teams_or_themselves(limited, threads):
    api = person_client(limited)
    billing, tech = threads["billing"].team, threads["tech"].team
    elsewhere = api.post(THREADS, {"message": "Help", "team": tech.pk}, format="json")
    nowhere = api.post(THREADS, {"message": "Help"}, format="json")
    assert (elsewhere.status_code, nowhere.status_code) == (400, 400)
    assert list(elsewhere.json()["errors"]) == ["team"]
    assert (
        api.post(THREADS, {"message": "Help", "team": billing.pk}, format="json").status_code == 201
    )
    mine = api.post(THREADS, {"message": "Help", "assignee": limited.pk}, format="json")
    assert mine.status_code == 201


def test_the_thread_page_forms_post_to_the_pages_not_the_api(limited, threads):
    client = Client()
    client.force_login(limited)
    page = client.get(f"/threads/{threads['billing'].pk}/").content.decode()
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', page))
    assert actions and not any(a.startswith("/api/") for a in actions)


def test_a_thread_moved_to_another_team_leaves_their_notifications(limited, threads):
    for name in ("billing", "tech"):
        event = SlaEvent.objects.filter(thread=threads[name]).first()
        Notification.objects.create(
            user=limited, thread=threads[name], event=event, title=f"About {name}"
        )
    client = Client()
    client.force_login(limited)
    page = client.get("/notifications/").content.decode()
    assert "About billing" in page
    assert "About tech" not in page


@pytest.fixture
def customers(agent):
    """Acme writes to Billing (the limited agent's team), Globex to Tech."""
    policy("Round the clock", targets=[("first_response", "", 60)])
    billing = Team.objects.create(name="Billing")
    billing.members.add(agent)
    tech = Team.objects.create(name="Tech")
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    globex = Account.objects.create(name="Globex", email_domains=["globex.com"])
    ours = services.thread_create(
        subject="Invoice", first_message="Help", team=billing, contact_email="ann@acme.com"
    ).thread
    services.thread_create(
        subject="Down", first_message="Help", team=tech, contact_email="vip@globex.com"
    )
    bob = Contact.objects.create(email="bob@acme.com", account=acme)
    services.message_receive(thread=ours, body="Me too", contact=bob)  # cc'd, writes too
    return {"acme": acme, "globex": globex}


def names(response, field) -> list[str]:
    assert response.status_code == 200
    return [row[field] for row in response.json()["results"]]


def test_the_api_lists_only_the_accounts_and_contacts_of_their_teams_threads(limited, customers):
    api = person_client(limited)
    assert names(api.get("/api/v1/accounts/"), "name") == ["Acme"]
    assert names(api.get("/api/v1/contacts/"), "email") == ["ann@acme.com", "bob@acme.com"]
    globex = customers["globex"]
    assert api.get(f"/api/v1/accounts/{globex.pk}/").status_code == 404
    vip = globex.contacts.get()
    assert api.get(f"/api/v1/contacts/{vip.pk}/").status_code == 404


def test_a_limited_agent_finds_an_account_by_its_exact_name(limited, customers):
    api = person_client(limited)
    assert names(api.get("/api/v1/accounts/", {"name": "Globex"}), "name") == ["Globex"]


def test_an_agent_without_the_limit_lists_every_account_and_contact(agent, customers):
    api = person_client(agent)
    assert names(api.get("/api/v1/accounts/"), "name") == ["Acme", "Globex"]
    assert len(names(api.get("/api/v1/contacts/"), "email")) == 3
