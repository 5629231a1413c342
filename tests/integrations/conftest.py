"""An integration's view of the API: a Zendesk bridge with its key, and another source's."""

import pytest
from rest_framework.test import APIClient

from integrations.models import IntegrationKey

THREADS = "/api/v1/threads/"


def key_client(source: str, name: str = "bridge") -> APIClient:
    _, secret = IntegrationKey.objects.create_key(name=name, source=source)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def person_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def zendesk(db):
    return key_client("zendesk", "Zendesk bridge")


@pytest.fixture
def intercom(db):
    return key_client("intercom", "Intercom bridge")


@pytest.fixture
def nobody(db, django_user_model):
    """A signed-in account without a role."""
    return django_user_model.objects.create_user("nobody", "nobody@example.com", "pw-nobody")


def open_thread(client, **fields) -> dict:
    response = client.post(THREADS, {"subject": "Printer on fire", "message": "Help", **fields})
    assert response.status_code == 201, response.json()
    return response.json()
