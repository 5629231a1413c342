"""Secrets stay secret at every layer: no admin list answers a lookup its screen does not declare,
and what is stored is encrypted, never queryable, readable only with the configured keys."""

import io
from contextlib import contextmanager

import pytest
from django.contrib import admin
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from mail.models import Mailbox
from policies.models import AlertChannel
from slackapp.models import SlackApp
from slaops.admin_lookups import is_secret_field, path_is_secret
from slaops.checks import secrets_readable
from slaops.secrets import encrypt_stored, secret_fields, undecryptable

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def channel(db):
    return AlertChannel.objects.create(
        name="Ops hook", kind="webhook", url="https://hooks.example.com/x", secret=SECRET
    )


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_manager_cannot_read_a_signing_secret_through_a_list_lookup(manager_client, channel):
    # The replayed attack: a count of 1 or 0 told one character of the secret at a time.
    url = "/admin/policies/alertchannel/"
    hit = manager_client.get(url, {"id": channel.pk, "secret__regex": "^whsec_M"})
    miss = manager_client.get(url, {"id": channel.pk, "secret__regex": "^whsec_X"})
    assert hit.status_code == miss.status_code == 400
    assert hit.content == miss.content


@pytest.mark.parametrize(
    "query",
    [
        {"url__startswith": "https://hooks"},
        {"name__regex": "^Ops"},  # not a declared filter either: lists filter what they show
        {"kind__exact": "webhook", "secret__isnull": "False"},
    ],
)
def test_an_undeclared_lookup_is_refused(manager_client, channel, query):
    assert manager_client.get("/admin/policies/alertchannel/", query).status_code == 400


def test_the_filters_a_list_declares_still_work(manager_client, channel):
    response = manager_client.get("/admin/policies/alertchannel/", {"kind__exact": "webhook"})
    assert response.status_code == 200
    assert b"Ops hook" in response.content


def test_a_manager_cannot_filter_users_by_their_password_hash(manager_client, admin_user):
    # Managers may see the user list (agents and teams): the hash must not leak through it.
    url = "/admin/auth/user/"
    for pattern in ("^md5", "^pbkdf2", "^x"):
        response = manager_client.get(url, {"password__regex": pattern})
        assert response.status_code in (400, 403)


def test_a_manager_cannot_sort_a_list_by_a_secret(manager_client, channel):
    # ?o= picks shown columns by number: every number answers the same page or is ignored.
    pages = {
        manager_client.get("/admin/policies/alertchannel/", {"o": n}).status_code for n in range(9)
    }
    assert pages <= {200}


def test_a_mailbox_password_cannot_be_searched(manager_client, db):
    Mailbox.objects.create(name="Support", address="support@acme.example", imap_password="hunter2")
    response = manager_client.get("/admin/mail/mailbox/", {"q": "hunter2"})
    assert b"0 mailboxes" in response.content or b"0 results" in response.content


def test_every_admin_of_the_site_is_guarded():
    unguarded = [
        f"{model._meta.label}"
        for model, model_admin in admin.site._registry.items()
        if not getattr(model_admin, "slaops_lookups_guarded", False)
    ]
    assert unguarded == []


def test_no_admin_declares_a_filter_search_or_column_over_a_secret(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    found = []
    for model, model_admin in admin.site._registry.items():
        filters = [
            f if isinstance(f, str) else f[0]
            for f in model_admin.list_filter
            if isinstance(f, (str, tuple, list))
        ]
        searches = [
            s.lstrip("^=@") for s in type(model_admin).get_search_fields(model_admin, request)
        ]
        for path in [*filters, *searches]:
            if isinstance(path, str) and path_is_secret(model, path):
                found.append(f"{model._meta.label}: {path}")
        for column in model_admin.list_display:
            if isinstance(column, str):
                try:
                    if is_secret_field(model._meta.get_field(column)):
                        found.append(f"{model._meta.label}: column {column}")
                except Exception:
                    pass
    assert found == []


def test_secrets_are_stored_encrypted(db, channel):
    mailbox = Mailbox.objects.create(
        name="Support",
        address="support@acme.example",
        imap_password="hunter2",
        smtp_password="s3cret",
    )
    app = SlackApp.objects.create(
        team_id="T1", bot_token="xoxb-123-abc", signing_secret="8f742231b10e8888abcd99yyyzzz85a5"
    )
    stored = [
        _raw("policies_alertchannel", "secret", channel.pk),
        _raw("policies_alertchannel", "url", channel.pk),
        _raw("mail_mailbox", "imap_password", mailbox.pk),
        _raw("mail_mailbox", "smtp_password", mailbox.pk),
        _raw("slackapp_slackapp", "bot_token", app.pk),
        _raw("slackapp_slackapp", "signing_secret", app.pk),
    ]
    assert all(value.startswith("gAAAAA") for value in stored)
    assert not any(secret in " ".join(stored) for secret in ("hunter2", "xoxb", "whsec", "hooks"))
    reread = Mailbox.objects.get(pk=mailbox.pk)
    assert (reread.imap_password, reread.smtp_password) == ("hunter2", "s3cret")
    assert AlertChannel.objects.get(pk=channel.pk).secret == SECRET


def test_an_empty_secret_stays_empty(db):
    mailbox = Mailbox.objects.create(name="Hook only", address="in@acme.example")
    assert _raw("mail_mailbox", "imap_password", mailbox.pk) == ""
    assert Mailbox.objects.filter(imap_password="").count() == 1


def test_no_query_can_compare_a_secret_with_a_guess(db, channel):
    for lookup in ("regex", "startswith", "contains", "gt", "in"):
        with pytest.raises(FieldError):
            list(AlertChannel.objects.filter(**{f"secret__{lookup}": "whsec_M"}))
    # exact compares against a fresh token: never true for a guess, even the right one
    assert not AlertChannel.objects.filter(secret=SECRET).exists()


def test_a_secret_saved_in_clear_is_encrypted_by_the_migration_step(db):
    mailbox = Mailbox.objects.create(name="Old", address="old@acme.example")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE mail_mailbox SET imap_password = 'plain-old' WHERE id = %s", [mailbox.pk]
        )
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == "plain-old"  # read as it is
    assert encrypt_stored(Mailbox, ["imap_password", "smtp_password"]) == 1
    assert _raw("mail_mailbox", "imap_password", mailbox.pk).startswith("gAAAAA")
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == "plain-old"


@contextmanager
def keys(settings, salts):
    """Encrypt and decrypt with these FIELD_ENCRYPTION_KEYS (the fields cache their keys)."""
    old = settings.SALT_KEY

    def forget():
        for field in secret_fields():
            field.__dict__.pop("keys", None)
            field.__dict__.pop("f", None)

    settings.SALT_KEY = salts
    forget()
    try:
        yield
    finally:
        settings.SALT_KEY = old
        forget()


def test_a_secret_no_key_opens_reads_as_empty_and_the_check_names_it(db, settings):
    mailbox = Mailbox.objects.create(name="Support", address="s@acme.example", smtp_password="pw")
    with keys(settings, ["a key this installation does not have"]):
        Mailbox.objects.filter(pk=mailbox.pk).update(smtp_password="pw")
    assert Mailbox.objects.get(pk=mailbox.pk).smtp_password == ""  # never the token itself
    assert undecryptable() == [f"mailbox {mailbox.pk}: SMTP password"]
    warnings = secrets_readable(None, databases=["default"])
    assert [w.id for w in warnings] == ["slaops.W101"]
    assert "SMTP password" in warnings[0].msg


def test_rotation_re_encrypts_with_the_new_first_key(db, settings):
    mailbox = Mailbox.objects.create(name="Support", address="s@acme.example", smtp_password="pw")
    before = _raw("mail_mailbox", "smtp_password", mailbox.pk)
    with keys(settings, ["the new key", *settings.SALT_KEY]):
        call_command("encrypt_secrets", stdout=io.StringIO())
    assert _raw("mail_mailbox", "smtp_password", mailbox.pk) != before
    with keys(settings, ["the new key"]):  # the old key retired
        assert Mailbox.objects.get(pk=mailbox.pk).smtp_password == "pw"
