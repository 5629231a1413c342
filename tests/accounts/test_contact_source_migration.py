"""Contacts saved before `Contact.source` existed get the source of their first message (or
thread), so integration keys keep reading the contacts their own source brought in."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_agentprofile_only_my_teams"), ("threads", "0010_saved_inbox_views")]
AFTER = [("accounts", "0005_contact_source")]


@pytest.fixture
def back_to_latest():
    """Migrating back leaves later migrations unapplied: put them back for the next tests."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_saved_contact_takes_the_source_of_its_first_message(back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Contact = old.get_model("accounts", "Contact")
    Thread = old.get_model("threads", "Thread")
    Message = old.get_model("threads", "Message")
    ann = Contact.objects.create(email="ann@acme.com")
    vip = Contact.objects.create(email="vip@globex.com")
    Contact.objects.create(email="ceo@acme.com")  # a person added them
    intercom = Thread.objects.create(subject="A", source="intercom", contact=vip)
    Message.objects.create(thread=intercom, author_kind="customer", contact=vip)
    zendesk = Thread.objects.create(subject="B", source="zendesk", contact=ann)
    Message.objects.create(thread=zendesk, author_kind="customer", contact=ann)
    # Named later on Zendesk's thread: still Intercom's.
    Message.objects.create(thread=zendesk, author_kind="customer", contact=vip)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("accounts", "Contact")
    sources = dict(new.objects.values_list("email", "source"))
    assert sources == {"ann@acme.com": "zendesk", "vip@globex.com": "intercom", "ceo@acme.com": ""}
