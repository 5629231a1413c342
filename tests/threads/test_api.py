"""The REST API as an integrator sees it: API key in, JSON out, SLA clocks to the minute."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Account, Contact, Team
from integrations.models import IntegrationKey
from tests.factories import office_calendar, policy, tier
from threads import services
from threads.models import Message, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")
THREADS = "/api/v1/threads/"


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def free():
    return tier("Free", default=True)


@pytest.fixture
def standard(free):
    return policy(
        "Standard",
        calendar=office_calendar(zone="Europe/Berlin"),
        tiers=[free],
        targets=[
            ("first_response", "", 60),
            ("first_response", "urgent", 15),
            ("next_response", "", 120),
            ("resolution", "", 480),
        ],
        pause_statuses=["waiting_on_customer", "on_hold"],
    )


@pytest.fixture
def api(db):
    """An integration (a Zendesk bridge) with its API key."""
    _, key = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def agent_api(agent):
    client = APIClient()
    client.force_login(agent)
    return client


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_login(manager)
    return client


def create(api, **fields):
    return api.post(THREADS, {"subject": "Printer on fire", "message": "Help", **fields}, "json")


def open_thread(api, moment, **fields):
    with at(moment):
        response = create(api, **fields)
    assert response.status_code == 201, response.json()
    return response.json()


def clock_of(thread_json, metric):
    return next(c for c in thread_json["clocks"] if c["metric"] == metric)


def ids(response):
    assert response.status_code == 200, response.json()
    return [t["id"] for t in response.json()["results"]]


# ------------------------------------------------------------------------------- creating


def test_creating_a_thread_returns_its_clocks_with_exact_due_times(api, standard):
    thread = open_thread(api, berlin(27, 16, 30))  # Friday 16:30, 1h first response

    first = clock_of(thread, "first_response")
    assert first["due_at"] == "2026-11-30T08:30:00Z"  # Monday 09:30 Berlin
    assert first["started_at"] == "2026-11-27T15:30:00Z"
    assert first["state"] == "pending"
    assert first["policy"] == "Standard"
    assert (first["target"], first["target_seconds"]) == ("1h", 3600)
    assert (first["used_seconds"], first["left_seconds"]) == (0, 3600)
    assert thread["status"] == "open"
    assert [e["kind"] for e in thread["events"]][:1] == ["policy_matched"]


def test_used_and_left_are_read_at_request_time(api, standard):
    thread = open_thread(api, berlin(27, 16, 30))
    with at(berlin(30, 9, 45)):  # 30m on Friday + 45m on Monday: 15m past due
        first = clock_of(api.get(f"{THREADS}{thread['id']}/").json(), "first_response")
    assert (first["used_seconds"], first["left_seconds"]) == (4500, -900)
    assert (first["used"], first["left"]) == ("1h 15m", "−15m")


def test_created_at_in_the_past_starts_the_clocks_then(api, standard):
    with at(berlin(30, 12)):
        response = create(api, created_at="2026-11-27T16:30:00+01:00")
    assert clock_of(response.json(), "first_response")["due_at"] == "2026-11-30T08:30:00Z"


def test_the_same_external_id_twice_makes_one_thread_with_one_message(api, standard):
    first = open_thread(api, berlin(23, 10), source="zendesk", external_id="ZD-1")
    with at(berlin(23, 10, 5)):
        again = create(api, source="zendesk", external_id="ZD-1", message="Help (resent)")

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert Thread.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_contact_email_links_the_account_by_domain(api, standard):
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    thread = open_thread(api, berlin(23, 10), contact_email="Ann@ACME.com", contact_name="Ann")

    contact = Contact.objects.get()
    assert (contact.email, contact.name, contact.account) == ("ann@acme.com", "Ann", acme)
    assert (thread["account"], thread["contact_email"]) == (acme.pk, "ann@acme.com")


# ------------------------------------------------------------------------------- messages


def test_a_public_agent_reply_achieves_first_response(api, agent_api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 10, 40)):
        response = agent_api.post(
            f"{THREADS}{thread['id']}/messages/", {"author": "agent", "body": "On it"}, "json"
        )
    assert response.status_code == 201
    assert (response.json()["author"], response.json()["author_username"]) == ("agent", "alex")

    first = clock_of(api.get(f"{THREADS}{thread['id']}/").json(), "first_response")
    assert (first["state"], first["stopped_at"]) == ("achieved", "2026-11-23T09:40:00Z")


def test_an_internal_note_does_not_achieve_first_response(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 10, 40)):
        api.post(
            f"{THREADS}{thread['id']}/messages/",
            {"author": "agent", "body": "looking", "public": False},
            "json",
        )
    first = clock_of(api.get(f"{THREADS}{thread['id']}/").json(), "first_response")
    assert first["state"] == "pending"


def test_a_customer_message_after_a_reply_starts_next_response(api, standard):
    thread = open_thread(api, berlin(23, 10))
    url = f"{THREADS}{thread['id']}/messages/"
    with at(berlin(23, 10, 10)):
        api.post(url, {"author": "agent", "body": "Try turning it off"}, "json")
    with at(berlin(23, 11)):
        response = api.post(url, {"author": "customer", "body": "Still burning"}, "json")
    assert response.status_code == 201

    detail = api.get(f"{THREADS}{thread['id']}/").json()
    assert clock_of(detail, "next_response")["due_at"] == "2026-11-23T12:00:00Z"
    messages = api.get(url).json()
    assert messages["count"] == 3
    assert [m["author"] for m in messages["results"]] == ["customer", "agent", "customer"]


def test_a_message_with_a_known_external_id_is_returned_not_added_again(api, standard):
    thread = open_thread(api, berlin(23, 10))
    url = f"{THREADS}{thread['id']}/messages/"
    body = {"author": "customer", "body": "More smoke", "external_id": "m-2"}
    with at(berlin(23, 10, 5)):
        first = api.post(url, body, "json")
        second = api.post(url, body, "json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Message.objects.count() == 2


def test_no_reply_needed_cancels_the_response_clock(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 10, 5)):
        response = api.post(f"{THREADS}{thread['id']}/no-reply-needed/")
    assert response.status_code == 200
    assert clock_of(response.json(), "first_response")["state"] == "cancelled"


def test_no_reply_needed_keeps_the_reason_given(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 10, 5)):
        response = api.post(
            f"{THREADS}{thread['id']}/no-reply-needed/", {"reason": "customer said thanks"}, "json"
        )
    assert response.status_code == 200
    marked = next(e for e in response.json()["events"] if e["kind"] == "no_reply_needed")
    assert marked["details"]["reason"] == "customer said thanks"


def test_no_reply_needed_past_due_stops_the_clock_as_breached(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(26, 10)):  # three days on: long past due
        response = api.post(f"{THREADS}{thread['id']}/no-reply-needed/", {"reason": "x"}, "json")
    assert clock_of(response.json(), "first_response")["state"] == "breached"


def test_a_no_reply_needed_reason_over_500_characters_is_a_400_naming_reason(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 10, 5)):
        response = api.post(
            f"{THREADS}{thread['id']}/no-reply-needed/", {"reason": "x" * 501}, "json"
        )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert clock_of(api.get(f"{THREADS}{thread['id']}/").json(), "first_response")["state"] == (
        "pending"
    )


# -------------------------------------------------------------------------------- changing


def test_waiting_on_customer_without_a_reason_is_refused_naming_reason(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 11)):
        response = api.patch(f"{THREADS}{thread['id']}/", {"status": "waiting_on_customer"}, "json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert Thread.objects.get().status == "open"


def test_waiting_on_customer_with_a_reason_pauses_resolution(api, agent_api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 11)):
        response = agent_api.patch(
            f"{THREADS}{thread['id']}/",
            {"status": "waiting_on_customer", "reason": "asked for logs"},
            "json",
        )
    assert response.status_code == 200
    resolution = clock_of(response.json(), "resolution")
    assert (resolution["paused"], resolution["due_at"], resolution["used"]) == (True, None, "1h")
    paused = next(e for e in response.json()["events"] if e["kind"] == "paused")
    assert (paused["actor"], paused["details"]["reason"]) == ("alex", "asked for logs")


def test_raising_priority_retargets_the_running_clock(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 10, 5)):
        response = api.patch(f"{THREADS}{thread['id']}/", {"priority": "urgent"}, "json")
    first = clock_of(response.json(), "first_response")
    assert (first["target"], first["due_at"]) == ("15m", "2026-11-23T09:15:00Z")
    assert "retargeted" in [e["kind"] for e in response.json()["events"]]


def test_assigning_a_team_and_an_agent(api, standard, other_agent):
    team = Team.objects.create(name="Hardware")
    thread = open_thread(api, berlin(23, 10))
    response = api.patch(
        f"{THREADS}{thread['id']}/", {"team": team.pk, "assignee": other_agent.pk}, "json"
    )
    assert response.status_code == 200
    assert (response.json()["team"], response.json()["assignee_username"]) == (team.pk, "sam")


def test_a_priority_change_keeps_its_reason(api, standard):
    thread = open_thread(api, berlin(23, 10))
    with at(berlin(23, 10, 5)):
        response = api.patch(
            f"{THREADS}{thread['id']}/", {"priority": "urgent", "reason": "outage"}, "json"
        )
    assert response.status_code == 200
    changed = next(e for e in response.json()["events"] if e["kind"] == "thread_changed")
    assert (changed["details"]["field"], changed["details"]["reason"]) == ("priority", "outage")


def test_a_reason_with_nothing_to_change_is_a_400_naming_reason(api, standard):
    thread = open_thread(api, berlin(23, 10))
    response = api.patch(f"{THREADS}{thread['id']}/", {"reason": "just because"}, "json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]


def test_put_is_not_allowed(api, standard):
    thread = open_thread(api, berlin(23, 10))
    response = api.put(f"{THREADS}{thread['id']}/", {"subject": "x", "message": "y"}, "json")
    assert response.status_code == 405


# --------------------------------------------------------------------------------- listing


def test_filters_by_clock_state_and_metric(api, standard, agent):
    answered = open_thread(api, berlin(23, 10))
    waiting = open_thread(api, berlin(23, 10, 10))
    with at(berlin(23, 10, 20)):
        services.agent_reply(thread=answered["id"], author=agent, body="Done")

    assert ids(api.get(THREADS, {"state": "achieved"})) == [answered["id"]]
    assert ids(api.get(THREADS, {"metric": "first_response", "state": "pending"})) == [
        waiting["id"]
    ]
    assert ids(api.get(THREADS, {"metric": "next_response"})) == []


def test_filters_by_priority_and_unassigned(api, standard, agent):
    urgent = open_thread(api, berlin(23, 10), priority="urgent")
    mine = open_thread(api, berlin(23, 10, 5), assignee=agent.pk)

    assert ids(api.get(THREADS, {"priority": "urgent"})) == [urgent["id"]]
    assert ids(api.get(THREADS, {"assignee": "none"})) == [urgent["id"]]
    assert ids(api.get(THREADS, {"assignee": agent.pk})) == [mine["id"]]


def test_due_before_finds_what_breaches_first(api, standard):
    soon = open_thread(api, berlin(23, 10), priority="urgent")  # first response due 10:15
    later = open_thread(api, berlin(23, 10))  # due 11:00

    with at(berlin(23, 10, 5)):
        # "+" written as in a URL a person types: arrives as a space and still means +01:00
        due_soon = api.get(THREADS + "?due_before=2026-11-23T10:30:00+01:00")
        due_later = api.get(
            THREADS, {"due_after": "2026-11-23T09:30:00Z", "metric": "first_response"}
        )
    assert ids(due_soon) == [soon["id"]]
    assert ids(due_later) == [later["id"]]


def test_ordering_next_due_puts_the_earliest_deadline_first(api, standard, agent):
    later = open_thread(api, berlin(23, 10))
    soon = open_thread(api, berlin(23, 10, 30), priority="urgent")
    done = open_thread(api, berlin(23, 9, 30))
    with at(berlin(23, 10, 45)):
        services.thread_resolve(thread=done["id"], actor=agent)
        response = api.get(THREADS, {"ordering": "next_due"})
    assert ids(response) == [soon["id"], later["id"], done["id"]]
    assert ids(api.get(THREADS)) == [soon["id"], later["id"], done["id"]]  # newest first


def test_listing_fifty_threads_costs_a_constant_number_of_queries(
    api, standard, agent, django_assert_max_num_queries
):
    with at(berlin(23, 10)):
        for n in range(50):
            thread = services.thread_create(
                subject=f"#{n}", first_message="Help", source="zendesk"
            ).thread
            services.agent_reply(thread=thread, author=agent, body="On it", public=bool(n % 2))
        api.get(THREADS)  # the key's first use is recorded (last_used_at), then not for a while
        with django_assert_max_num_queries(5):
            response = api.get(THREADS, {"ordering": "next_due", "state": "pending"})
    assert len(response.json()["results"]) == 50


# ---------------------------------------------------------------------- accounts, contacts


def test_a_contact_posted_twice_is_created_then_updated(manager_api):
    acme = Account.objects.create(name="Acme")
    created = manager_api.post("/api/v1/contacts/", {"email": "Ann@Acme.COM"}, "json")
    updated = manager_api.post(
        "/api/v1/contacts/", {"email": "ann@acme.com", "name": "Ann", "account": acme.pk}, "json"
    )
    assert (created.status_code, updated.status_code) == (201, 200)
    assert created.json()["id"] == updated.json()["id"]
    assert (updated.json()["email"], updated.json()["name"]) == ("ann@acme.com", "Ann")
    assert updated.json()["account"] == acme.pk


def test_an_account_is_created_with_normalised_domains(manager_api, free):
    response = manager_api.post(
        "/api/v1/accounts/",
        {"name": "Acme", "email_domains": ["@ACME.com", "acme.org"], "time_zone": "Asia/Tokyo"},
        "json",
    )
    assert response.status_code == 201
    assert response.json()["email_domains"] == ["acme.com", "acme.org"]


def test_agents_may_read_but_not_create_accounts(agent_api):
    assert agent_api.get("/api/v1/accounts/").status_code == 200
    assert agent_api.post("/api/v1/accounts/", {"name": "Acme"}, "json").status_code == 403


def test_an_unknown_time_zone_is_refused(manager_api):
    response = manager_api.post(
        "/api/v1/accounts/", {"name": "Acme", "time_zone": "Mars/Base"}, "json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["time_zone"]


def test_moving_an_account_to_another_tier_rematches_its_open_threads(api, manager_api, standard):
    gold = tier("Gold")
    policy("Gold", order=1, tiers=[gold], targets=[("first_response", "", 30)])
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    thread = open_thread(api, berlin(23, 10), contact_email="ann@acme.com")

    with at(berlin(23, 10, 5)):
        response = manager_api.patch(f"/api/v1/accounts/{acme.pk}/", {"tier": gold.pk}, "json")
    assert response.status_code == 200
    detail = api.get(f"{THREADS}{thread['id']}/").json()
    assert (detail["tier"], detail["policy"]) == (gold.pk, "Gold")
    assert clock_of(detail, "first_response")["target"] == "30m"


# ------------------------------------------------------------------------------------ errors


def test_without_a_key_or_a_session_the_api_answers_401(standard):
    response = APIClient().get(THREADS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_logged_in_session_may_use_the_api(client, agent, standard):
    client.force_login(agent)
    assert client.get(THREADS).status_code == 200


def test_an_unknown_thread_is_404(api):
    assert api.get(f"{THREADS}999/").status_code == 404
    assert api.get(f"{THREADS}abc/").status_code == 404
    assert api.post(f"{THREADS}999/messages/", {"author": "agent"}, "json").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"created_at": "2026-11-27T16:30:00"}, "created_at"),
        ({"priority": "asap"}, "priority"),
        ({"priority": ["high"]}, "priority"),
        ({"subject": 42}, "subject"),
        ({"team": 999}, "team"),
        ({"team": "billing"}, "team"),
        ({"assignee": 10**30}, "assignee"),
        ({"channel": "pigeon"}, "channel"),
        ({"needs_reply": [1]}, "needs_reply"),
    ],
)
def test_a_bad_thread_field_is_a_400_naming_it(api, standard, fields, field):
    response = create(api, **fields)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert response.json()["detail"]
    assert Thread.objects.count() == 0


def test_a_thread_without_a_message_is_a_400_naming_message(api, standard):
    response = api.post(THREADS, {"subject": "Printer on fire"}, "json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"due_before": "tomorrow"}, "due_before"),
        ({"due_after": "2026-11-23T10:00:00"}, "due_after"),
        ({"state": "late"}, "state"),
        ({"team": "x"}, "team"),
        ({"assignee": "nobody"}, "assignee"),
        ({"ordering": "subject"}, "ordering"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(api, query, field):
    response = api.get(THREADS, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_malformed_json_is_a_400(api):
    response = api.generic("POST", THREADS, '{"subject": ', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_a_json_list_instead_of_an_object_is_a_400(api):
    response = api.post(THREADS, [1, 2], "json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_a_bad_status_patch_changes_nothing(api, standard):
    thread = open_thread(api, berlin(23, 10))
    response = api.patch(
        f"{THREADS}{thread['id']}/", {"priority": "urgent", "status": "snoozed"}, "json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]
    assert Thread.objects.get().priority == "normal"


def test_a_naive_message_time_is_a_400_naming_created_at(api, standard):
    thread = open_thread(api, berlin(23, 10))
    response = api.post(
        f"{THREADS}{thread['id']}/messages/",
        {"author": "customer", "created_at": "2026-11-23T11:00:00"},
        "json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["created_at"]


# ------------------------------------------------------------------------------------- docs


def test_the_openapi_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/threads/{id}/no-reply-needed/" in response.content


def test_the_api_docs_load_their_assets_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", html)
    assert "cdn" not in html.lower()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/threads/null,null/",
        "/api/v1/threads/d%C3%9F/no-reply-needed/",
        "/api/v1/threads/null/messages/",
        "/api/v1/accounts/x/",
        "/api/v1/contacts/%07/",
    ],
)
def test_ids_that_are_not_numbers_are_404_not_500(api, path):
    for method in ("get", "patch", "post"):
        response = getattr(api, method)(path, {}, "json")
        assert response.status_code in (404, 405), (method, path, response.status_code)
