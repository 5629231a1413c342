"""A strict API, as an integrator meets it: a misspelt field is refused by name and nothing
changes; a pushed thread is found again by its source and external id; an address without its
trailing slash says where the endpoint is instead of dropping the body."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import URLPattern, get_resolver
from rest_framework.test import APIClient

from accounts.models import Account, Contact
from integrations.models import IntegrationKey
from objectives.models import Objective
from policies.models import BreachReason
from tests.factories import office_calendar, policy, tier
from threads.models import Message, SlaClock, SlaEvent, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]
THREADS = "/api/v1/threads/"
MONDAY = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def standard():
    return policy(
        "Standard",
        calendar=office_calendar(),
        tiers=[tier("Free", default=True)],
        targets=[("first_response", "", 60), ("resolution", "", 480)],
    )


def key_client(source: str) -> APIClient:
    _, secret = IntegrationKey.objects.create_key(name=f"{source} bridge", source=source)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


@pytest.fixture
def api(db):
    return key_client("zendesk")


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_login(manager)
    return client


def push(api, external_id="ZD-4711", **fields):
    with time_machine.travel(MONDAY, tick=False):
        response = api.post(
            THREADS,
            {"subject": "Printer on fire", "message": "Help", "external_id": external_id, **fields},
            "json",
        )
    assert response.status_code == 201, response.content
    return response.json()


# ------------------------------------------------------------------------- unknown fields


def test_a_patch_with_a_misspelt_field_is_refused_naming_it_and_nothing_changes(api, standard):
    thread = push(api)
    events = SlaEvent.objects.count()

    response = api.patch(f"{THREADS}{thread['id']}/", {"priorty": "urgent", "subject": "X"}, "json")

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["priorty"]
    assert body["errors"]["priorty"][0].startswith("Unknown field: this endpoint accepts status,")
    assert "priority" in body["errors"]["priorty"][0]
    assert body["detail"] == "Invalid input: see errors by field."
    unchanged = Thread.objects.get()
    assert (unchanged.priority, unchanged.subject) == ("normal", "Printer on fire")
    assert SlaEvent.objects.count() == events


def test_an_unknown_field_and_a_bad_one_are_named_together(api, standard):
    thread = push(api)
    response = api.patch(f"{THREADS}{thread['id']}/", {"colour": "red", "priority": "asap"}, "json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"colour", "priority"}


# Every endpoint that reads a body: (name of its route, method, a body it would accept).
WRITES = {
    ("api:thread-list", "post"): {"subject": "Printer on fire", "message": "Help"},
    ("api:thread-detail", "patch"): {"priority": "high"},
    ("api:thread-no-reply-needed", "post"): {"reason": "A thank-you"},
    ("api:thread-message-list", "post"): {"author": "agent", "body": "On it"},
    ("api:thread-message-retry", "post"): {},
    ("api:account-list", "post"): {"name": "Initech"},
    ("api:account-detail", "patch"): {"name": "Acme Ltd"},
    ("api:account-detail", "put"): {"name": "Acme Ltd"},
    ("api:contact-list", "post"): {"email": "bob@acme.com"},
    ("api:thread-clock-reason", "post"): {"reason": 1},
    ("api:thread-clock-override", "post"): {"extend_by": "1h", "reason": "Asked"},
    ("api:objective-list", "post"): {
        "name": "FRT",
        "metric": "first_response",
        "target_percent": 95,
        "period": "month",
    },
    ("api:objective-detail", "patch"): {"target_percent": 90},
    ("api:objective-detail", "put"): {
        "name": "FRT",
        "metric": "first_response",
        "target_percent": 95,
        "period": "month",
    },
    ("api:breach-reason-list", "post"): {"name": "Understaffed"},
    ("api:breach-reason-detail", "patch"): {"name": "Short-staffed"},
}


def _reply(thread) -> int:
    """A public reply of the thread (its delivery state is irrelevant: the field is refused
    first)."""
    found = Message.objects.filter(thread_id=thread["id"], author_kind="agent").first()
    return (found or Message.objects.create(thread_id=thread["id"], author_kind="agent")).pk


def _path(name: str, world) -> str:
    thread, account = world
    clock = SlaClock.objects.filter(thread_id=thread["id"]).first()
    objective = Objective.objects.first() or Objective.objects.create(
        name="Kept", metric="first_response", target_percent=95
    )
    reason = BreachReason.objects.first() or BreachReason.objects.create(name="Queue")
    clock_path = f"{THREADS}{thread['id']}/clocks/{clock.pk}"
    return {
        "api:thread-clock-reason": f"{clock_path}/reason/",
        "api:thread-clock-override": f"{clock_path}/override/",
        "api:objective-list": "/api/v1/objectives/",
        "api:objective-detail": f"/api/v1/objectives/{objective.pk}/",
        "api:breach-reason-list": "/api/v1/breach-reasons/",
        "api:breach-reason-detail": f"/api/v1/breach-reasons/{reason.pk}/",
        "api:thread-list": THREADS,
        "api:thread-detail": f"{THREADS}{thread['id']}/",
        "api:thread-no-reply-needed": f"{THREADS}{thread['id']}/no-reply-needed/",
        "api:thread-message-list": f"{THREADS}{thread['id']}/messages/",
        "api:thread-message-retry": f"{THREADS}{thread['id']}/messages/{_reply(thread)}/retry/",
        "api:account-list": "/api/v1/accounts/",
        "api:account-detail": f"/api/v1/accounts/{account.pk}/",
        "api:contact-list": "/api/v1/contacts/",
    }[name]


@pytest.fixture
def world(api, standard):
    return push(api), Account.objects.create(name="Acme")


def _state():
    return (
        list(Thread.objects.values_list("subject", "priority", "status")),
        Message.objects.count(),
        SlaEvent.objects.count(),
        list(Account.objects.values_list("name", flat=True)),
        Contact.objects.count(),
        list(Objective.objects.values_list("name", "target_percent")),
        list(BreachReason.objects.values_list("name", flat=True)),
        list(SlaClock.objects.values_list("due_at", "breach_reason_id")),
    )


@pytest.mark.parametrize(("name", "method"), list(WRITES))
def test_every_writing_endpoint_refuses_an_unknown_field_by_name(world, manager, name, method, api):
    client = APIClient()
    client.force_login(manager)
    path = _path(name, world)
    body = dict(WRITES[(name, method)])
    if name == "api:thread-clock-reason":
        body["reason"] = BreachReason.objects.first().pk  # ids differ between databases
    before = _state()

    response = getattr(client, method)(path, {**body, "colour": "red"}, "json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["colour"]
    assert response.json()["errors"]["colour"][0].startswith("Unknown field")
    assert _state() == before


def test_every_writing_endpoint_has_a_strictness_case():
    """A write endpoint added later without a row in WRITES fails here."""
    found = set()
    for pattern in get_resolver("threads.api.urls").url_patterns:
        actions = getattr(getattr(pattern, "callback", None), "actions", None)
        if (
            not isinstance(pattern, URLPattern)
            or not actions
            or "format" in pattern.pattern.regex.groupindex
        ):
            continue
        found |= {(f"api:{pattern.name}", m) for m in actions if m in ("post", "put", "patch")}
    assert found == set(WRITES)


@pytest.mark.parametrize("field", ["id", "created_at"])
def test_a_read_only_field_in_a_body_is_refused_as_read_only(manager_api, field):
    account = Account.objects.create(name="Acme")
    response = manager_api.patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "Acme Ltd", field: 5}, "json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {field: ["Read-only: it cannot be set."]}
    assert Account.objects.get().name == "Acme"


def test_a_form_encoded_body_is_held_to_the_same_fields(api, standard):
    response = api.post(THREADS, {"subject": "S", "message": "M", "colour": "red"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["colour"]


# ---------------------------------------------------------------- lookup by integration key


def test_an_integrator_finds_its_thread_by_source_and_external_id(api, standard):
    mine = push(api, "ZD-4711")
    push(api, "ZD-4712")

    response = api.get(THREADS, {"source": "zendesk", "external_id": "ZD-4711"})

    assert response.status_code == 200
    found = response.json()
    assert found["count"] == 1 and found["results"][0]["id"] == mine["id"]
    assert found["results"][0]["external_id"] == "ZD-4711"


def test_the_lookup_is_an_exact_match(api, standard):
    push(api, "ZD-4711")
    for near in ("zd-4711", "ZD-471", "ZD-4711 ", "ZD-47%"):
        response = api.get(THREADS, {"source": "zendesk", "external_id": near})
        assert response.status_code == 200 and response.json()["count"] == 0, near


def test_another_integration_finds_nothing_under_the_same_key(api, standard):
    push(api, "ZD-4711")
    intercom = key_client("intercom")
    for source in ("zendesk", "intercom"):
        response = intercom.get(THREADS, {"source": source, "external_id": "ZD-4711"})
        assert response.status_code == 200 and response.json()["count"] == 0


def test_the_lookup_combines_with_the_other_filters(api, standard):
    push(api, "ZD-4711")
    query = {"source": "zendesk", "external_id": "ZD-4711"}
    assert api.get(THREADS, {**query, "status": "open"}).json()["count"] == 1
    assert api.get(THREADS, {**query, "status": "resolved"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"source": "zendesk"}, "external_id"),
        ({"external_id": "ZD-4711"}, "source"),
        ({"source": "", "external_id": "ZD-4711"}, "source"),
        ({"source": "zendesk", "external_id": "  "}, "external_id"),
        ({"source": "z" * 41, "external_id": "ZD-4711"}, "source"),
        ({"source": "zendesk", "external_id": "x" * 201}, "external_id"),
        ({"source": "zendesk", "external_id": "ZD\x004711"}, "external_id"),
    ],
)
def test_a_bad_lookup_is_a_400_naming_the_parameter(api, query, field):
    response = api.get(THREADS, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == [field]


def test_both_keys_blank_is_refused_not_a_list_of_everything(api, standard):
    push(api)
    response = api.get(THREADS, {"source": "", "external_id": ""})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"source", "external_id"}


def test_the_schema_documents_the_lookup(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"]["/api/v1/threads/"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert {"source", "external_id"} <= set(params)
    assert "With external_id" in params["source"]["description"]
    assert "source and external_id together" in listing["description"]


# ------------------------------------------------------------------ a missing trailing slash


def test_a_post_without_the_trailing_slash_is_pointed_to_the_address_with_it(api, standard):
    body = {"subject": "Printer on fire", "message": "Help"}

    response = api.post("/api/v1/threads?page=1", body, "json")

    assert response.status_code == 308
    assert response["Location"] == "/api/v1/threads/?page=1"
    assert response["Content-Type"] == "application/json"
    assert "/api/v1/threads/" in response.json()["detail"]
    assert Thread.objects.count() == 0  # nothing done at the wrong address
    assert api.post(response["Location"], body, "json").status_code == 201


def test_a_patch_without_the_trailing_slash_keeps_its_method_when_followed(api, standard):
    thread = push(api)
    path = f"{THREADS}{thread['id']}"
    response = api.patch(path, {"priority": "high"}, "json", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{path}/", 308)]
    assert Thread.objects.get().priority == "high"


def test_an_unknown_address_without_a_slash_is_still_a_json_404(api):
    response = api.post("/api/v1/nothing-here", {}, "json")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("Not found")
