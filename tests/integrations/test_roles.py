"""People on the API: their role's model permissions decide, reading included. A signed-in
account without a role is refused everything (finding 2, replayed)."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Account, Contact
from tests.integrations.conftest import THREADS, open_thread, person_client
from threads.models import Message, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(zendesk):
    return open_thread(zendesk, contact_email="ann@acme.com")


def test_an_account_without_a_role_cannot_post_an_agent_reply(nobody, thread):
    response = person_client(nobody).post(
        f"{THREADS}{thread['id']}/messages/", {"author": "agent", "body": "Done!"}, format="json"
    )
    assert response.status_code == 403
    assert Message.objects.count() == 1


def test_an_account_without_a_role_cannot_change_priority(nobody, thread):
    response = person_client(nobody).patch(
        f"{THREADS}{thread['id']}/", {"priority": "low"}, format="json"
    )
    assert response.status_code == 403
    assert Thread.objects.get().priority == "normal"


def test_an_account_without_a_role_cannot_read_threads(nobody, thread):
    api = person_client(nobody)
    assert api.get(THREADS).status_code == 403
    assert api.get(f"{THREADS}{thread['id']}/").status_code == 403
    assert api.get("/api/v1/").status_code == 403


@pytest.mark.parametrize("who", ["nobody", "agent"])
def test_only_managers_move_a_contact_to_another_account(request, thread, who):
    other = Account.objects.create(name="Other")
    response = person_client(request.getfixturevalue(who)).post(
        "/api/v1/contacts/", {"email": "ann@acme.com", "account": other.pk}, format="json"
    )
    assert response.status_code == 403
    assert Contact.objects.get().account_id != other.pk


def test_a_manager_moves_a_contact_to_another_account(manager, thread):
    other = Account.objects.create(name="Other")
    response = person_client(manager).post(
        "/api/v1/contacts/", {"email": "ann@acme.com", "account": other.pk}, format="json"
    )
    assert response.status_code == 200
    assert Contact.objects.get().account_id == other.pk


def test_reading_needs_the_view_permission(nobody, thread):
    nobody.user_permissions.set(
        Permission.objects.filter(codename__in=["change_thread", "add_message"])
    )
    api = person_client(nobody)
    assert api.get(THREADS).status_code == 403
    assert (
        api.patch(f"{THREADS}{thread['id']}/", {"priority": "low"}, format="json").status_code
        == 200
    )


def test_no_reply_needed_needs_the_change_permission_not_add(nobody, thread):
    nobody.user_permissions.set(Permission.objects.filter(codename="add_thread"))
    assert (
        person_client(nobody).post(f"{THREADS}{thread['id']}/no-reply-needed/").status_code == 403
    )


def test_a_deactivated_agent_is_refused(agent, thread):
    api = person_client(agent)
    agent.is_active = False
    agent.save()
    assert api.get(THREADS).status_code in (401, 403)
