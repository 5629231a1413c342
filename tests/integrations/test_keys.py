"""Integration API keys: hashed at rest, shown once, recognisable, expirable and revocable; the
plain-text DRF tokens are gone."""

import importlib
import re
import time
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.models import KEY_CACHE_SECONDS, IntegrationKey
from tests.integrations.conftest import THREADS

pytestmark = pytest.mark.django_db
KEY_FORMAT = re.compile(r"^slaops_[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$")


def with_key(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def test_a_key_reads_slaops_prefix_dot_secret():
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    assert KEY_FORMAT.match(secret)
    assert secret.startswith(key.prefix + ".")


def test_only_a_hash_of_the_key_is_stored():
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    stored = IntegrationKey.objects.filter(pk=key.pk).values().get()
    assert key.hashed_key.startswith("sha512$$")
    assert all(secret not in str(value) for value in stored.values())
    assert secret.split(".", 1)[1] not in str(stored)


def test_a_key_authenticates_with_the_api_key_header():
    _, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    assert with_key(secret).get(THREADS).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key slaops_AAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "Api-Key ",
        "Api-Key not-a-key",
    ],
)
def test_an_unknown_key_is_a_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(THREADS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_the_right_prefix_with_a_wrong_secret_is_a_401():
    key, _ = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    assert with_key(f"{key.prefix}.{'x' * 32}").get(THREADS).status_code == 401


def test_a_revoked_key_is_a_401_and_cannot_be_unrevoked():
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    key.revoked = True
    key.save()
    assert with_key(secret).get(THREADS).status_code == 401
    key = IntegrationKey.objects.get(pk=key.pk)
    key.revoked = False
    with pytest.raises(Exception, match="revoked"):
        key.save()


def test_an_expired_key_is_a_401():
    _, secret = IntegrationKey.objects.create_key(
        name="Zendesk bridge", source="zendesk", expiry_date=timezone.now() + timedelta(days=1)
    )
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = with_key(secret).get(THREADS)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_last_use_is_written_at_most_every_five_minutes(django_assert_num_queries):
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = with_key(secret)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(THREADS)
    assert IntegrationKey.objects.get(pk=key.pk).last_used_at == start
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        client.get(THREADS)
    assert IntegrationKey.objects.get(pk=key.pk).last_used_at == start
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        client.get(THREADS)
    assert IntegrationKey.objects.get(pk=key.pk).last_used_at == start + timedelta(minutes=6)


def test_drf_tokens_are_not_installed_and_their_header_is_not_accepted():
    assert not apps.is_installed("rest_framework.authtoken")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get(THREADS).status_code == 401


def test_an_old_plain_text_token_table_is_dropped():
    migration = importlib.import_module("integrations.migrations.0002_drop_plain_text_tokens")

    class Editor:  # what the migration uses of a schema editor, inside the test's transaction
        quote_name = staticmethod(connection.ops.quote_name)

        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    editor = Editor()
    editor.execute('CREATE TABLE "authtoken_token" (key varchar(40) PRIMARY KEY)')
    editor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef')")
    migration.drop_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()


# ------------------------------------------------------------------------------- command


def test_the_command_prints_a_working_key_once():
    out, err = StringIO(), StringIO()
    call_command(
        "create_integration_key", source="zendesk", name="Zendesk bridge", stdout=out, stderr=err
    )
    secret = out.getvalue().strip()
    assert KEY_FORMAT.match(secret)
    assert secret not in err.getvalue()  # the note names the prefix only
    key = IntegrationKey.objects.get()
    assert (key.name, key.source, key.expiry_date) == ("Zendesk bridge", "zendesk", None)
    assert with_key(secret).get(THREADS).status_code == 200


def test_the_command_may_set_an_expiry():
    call_command(
        "create_integration_key",
        source="zendesk",
        name="CI",
        expires_in_days=30,
        stdout=StringIO(),
        stderr=StringIO(),
    )
    left = IntegrationKey.objects.get().expiry_date - timezone.now()
    assert timedelta(days=29) < left <= timedelta(days=30)


@pytest.mark.parametrize("source", ["api", "Zendesk", "zen desk", "", "x" * 41])
def test_the_command_refuses_a_source_no_key_may_have(source):
    with pytest.raises(CommandError, match="source"):
        call_command(
            "create_integration_key", source=source, name="x", stdout=StringIO(), stderr=StringIO()
        )
    assert not IntegrationKey.objects.exists()


# --------------------------------------------------------------------------------- admin


def test_a_superuser_creates_a_key_in_the_admin_and_sees_it_once(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")
    client.force_login(root)
    response = client.post(
        "/admin/integrations/integrationkey/add/",
        {"name": "Zendesk bridge", "source": "zendesk"},
        follow=True,
    )
    assert response.status_code == 200
    shown = KEY_FORMAT.pattern.strip("^$")
    found = re.findall(shown, response.content.decode())
    assert len(found) == 1
    key = IntegrationKey.objects.get()
    assert key.created_by == root
    again = client.get(f"/admin/integrations/integrationkey/{key.pk}/change/")
    assert found[0] not in again.content.decode()


def test_the_admin_refuses_the_api_source(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")
    client.force_login(root)
    response = client.post(
        "/admin/integrations/integrationkey/add/", {"name": "Sneaky", "source": "api"}
    )
    assert response.status_code == 200  # the form again, with the error
    assert not IntegrationKey.objects.exists()


def test_a_manager_cannot_see_or_issue_keys_even_with_every_integrations_permission(
    client, manager
):
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="integrations"))
    client.force_login(manager)
    assert client.get("/admin/integrations/integrationkey/").status_code == 403
    add = client.post(
        "/admin/integrations/integrationkey/add/", {"name": "Mine", "source": "zendesk"}
    )
    assert add.status_code == 403
    assert not IntegrationKey.objects.exists()
    assert "integrationkey" not in client.get("/admin/").content.decode()


def test_a_key_is_read_from_the_database_once_within_the_cache_time():
    _, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = with_key(secret)
    client.get(THREADS)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(THREADS).status_code == 200
    assert not any("integrations_integrationkey" in q["sql"] for q in queries.captured_queries)


def test_a_revoked_key_is_refused_at_once_after_it_was_used():
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = with_key(secret)
    assert client.get(THREADS).status_code == 200
    key.revoked = True
    key.save()
    assert client.get(THREADS).status_code == 401


def test_a_key_revoked_by_a_bulk_update_is_refused_at_once():
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = with_key(secret)
    assert client.get(THREADS).status_code == 200
    IntegrationKey.objects.filter(pk=key.pk).update(revoked=True)
    assert client.get(THREADS).status_code == 401


def test_a_key_revoked_in_the_admin_is_refused_at_once(admin_client):
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = with_key(secret)
    assert client.get(THREADS).status_code == 200
    response = admin_client.post(
        f"/admin/integrations/integrationkey/{key.pk}/change/",
        {"name": key.name, "revoked": "on", "expiry_date_0": "", "expiry_date_1": ""},
    )
    assert response.status_code == 302, response.content
    assert client.get(THREADS).status_code == 401


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_time():
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = with_key(secret)
    assert client.get(THREADS).status_code == 200
    with connection.cursor() as cursor:  # another process's write: this one is not told
        table = IntegrationKey._meta.db_table
        cursor.execute(f"UPDATE {table} SET revoked = %s WHERE id = %s", [True, key.pk])
    assert client.get(THREADS).status_code == 200
    later = time.monotonic() + KEY_CACHE_SECONDS
    with mock.patch("integrations.models.time.monotonic", return_value=later):
        assert client.get(THREADS).status_code == 401


def test_a_kept_key_with_a_wrong_secret_is_a_401():
    key, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    assert with_key(secret).get(THREADS).status_code == 200
    assert with_key(f"{key.prefix}.{'x' * 32}").get(THREADS).status_code == 401


def test_a_kept_key_that_expires_is_a_401():
    _, secret = IntegrationKey.objects.create_key(
        name="Zendesk bridge", source="zendesk", expiry_date=timezone.now() + timedelta(hours=1)
    )
    client = with_key(secret)
    assert client.get(THREADS).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert client.get(THREADS).status_code == 401
