"""Objectives through the API as the contract spells them: figures counted from the clocks (a
clock counts where its outcome was decided), breach reasons, moved due times and exemptions."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import Team
from integrations.models import IntegrationKey
from objectives.figures import allowed_misses
from policies.models import BreachReason
from tests.objectives.stories import START, at, frt, opened
from threads import services
from threads.models import SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.both]
OBJECTIVES = "/api/v1/objectives/"


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_login(manager)
    return client


@pytest.fixture
def agent_api(agent):
    client = APIClient()
    client.force_login(agent)
    return client


@pytest.fixture
def key_api(db):
    _, key = IntegrationKey.objects.create_key(name="Bridge", source="zendesk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def objective(client, **fields):
    body = {
        "name": "FRT 95% monthly",
        "metric": "first_response",
        "target_percent": 95,
        "period": "month",
        "time_zone": "UTC",
        **fields,
    }
    return client.post(OBJECTIVES, body, format="json")


def test_a_manager_defines_an_objective_and_an_agent_reads_its_figures(
    around_the_clock, manager_api, agent_api
):
    for n in range(19):
        opened(START + timedelta(hours=n), replied_after=timedelta(minutes=30))
    opened(START + timedelta(hours=20), replied_after=timedelta(minutes=90))  # late
    with at(START + timedelta(days=1)):
        created = objective(manager_api)
        assert created.status_code == 201, created.json()
        read = agent_api.get(f"{OBJECTIVES}{created.json()['id']}/").json()
    current = read["current"]
    assert (current["achieved"], current["breached"], current["excused"]) == (19, 1, 0)
    assert current["compliance_percent"] == 95.0
    assert current["allowed_misses"] == 1  # ⌊20 × 5 %⌋
    assert (current["misses"], current["budget_left"]) == (1, 0)
    assert current["status"] == "at_risk"  # misses reached half the allowance
    assert current["period_start"] == "2026-11-01T00:00:00Z"
    assert current["period_end"] == "2026-12-01T00:00:00Z"
    assert read["target_percent"] == 95.0 and read["scope"] == {}


def test_a_running_clock_counts_as_a_miss_the_moment_it_breaches(around_the_clock, manager_api):
    thread = opened(START)
    with at(START + timedelta(minutes=59)):
        created = objective(manager_api).json()
        assert created["current"]["breached"] == 0
    with at(START + timedelta(minutes=61)):
        services.thread_catch_up(thread=thread)
        current = manager_api.get(f"{OBJECTIVES}{created['id']}/").json()["current"]
    assert current["breached"] == 1 and current["compliance_percent"] == 0.0
    assert current["status"] == "below_target"


def test_allowed_misses_are_counted_in_whole_numbers():
    assert allowed_misses(1000, 99.9) == 1  # floats would give 0
    assert allowed_misses(19, 95) == 0
    assert allowed_misses(20, 95) == 1


def test_the_scope_counts_only_its_clocks_as_they_were_when_they_counted(
    around_the_clock, manager_api
):
    frontline = Team.objects.create(name="Frontline")
    billing = Team.objects.create(name="Billing")
    kept = opened(START, replied_after=timedelta(minutes=10), team=frontline)
    opened(START, replied_after=timedelta(minutes=90), team=billing)
    with at(START + timedelta(hours=3)):
        services.thread_change(thread=kept, team=billing)  # after it counted
        found = objective(manager_api, scope={"teams": [frontline.pk]}).json()["current"]
    assert (found["achieved"], found["breached"]) == (1, 0)


def test_an_unknown_scope_key_is_a_400_naming_it(around_the_clock, manager_api):
    response = objective(manager_api, scope={"queues": [1]})
    assert response.status_code == 400
    assert "queues" in str(response.json()["errors"]["scope"])


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"target_percent": 100.5}, "target_percent"),
        ({"target_percent": 95.123}, "target_percent"),
        ({"target_percent": "95"}, "target_percent"),  # a number, not text
        ({"target_percent": True}, "target_percent"),
        ({"period": "weekly"}, "period"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"metric": "speed"}, "metric"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_objective_is_a_400_naming_the_field(around_the_clock, manager_api, fields, field):
    response = objective(manager_api, **fields)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_agents_read_but_do_not_write_and_keys_have_no_access(
    around_the_clock, manager_api, agent_api, key_api
):
    made = objective(manager_api).json()
    assert objective(agent_api, name="Mine").status_code == 403
    assert agent_api.patch(f"{OBJECTIVES}{made['id']}/", {"target_percent": 90}).status_code == 403
    assert agent_api.delete(f"{OBJECTIVES}{made['id']}/").status_code == 403
    assert key_api.get(OBJECTIVES).status_code == 403
    patched = manager_api.patch(
        f"{OBJECTIVES}{made['id']}/", {"target_percent": 99.5}, format="json"
    )
    assert patched.json()["target_percent"] == 99.5
    assert manager_api.delete(f"{OBJECTIVES}{made['id']}/").status_code == 204


def breached_clock(minutes_late=30):
    thread = opened(START, replied_after=timedelta(minutes=60 + minutes_late))
    return thread, frt(thread)


def test_a_confirmed_excused_reason_leaves_the_breach_out_of_the_contract(
    around_the_clock, manager_api, agent_api
):
    thread, clock = breached_clock()
    outage = BreachReason.objects.create(name="Third-party outage", excused=True)
    url = f"/api/v1/threads/{thread.pk}/clocks/{clock.pk}/reason/"
    with at(START + timedelta(hours=3)):
        given = agent_api.post(url, {"reason": outage.pk, "note": "Mail provider down"}, "json")
        assert given.status_code == 200, given.json()
        assert given.json()["breach_reason"] == {
            "id": outage.pk,
            "name": "Third-party outage",
            "excused": True,
            "note": "Mail provider down",
            "confirmed": False,
        }
        made = objective(manager_api).json()
        assert made["current"]["excused"] == 0  # an agent's reason waits for a manager
        manager_api.post(url, {"reason": outage.pk, "note": "Confirmed"}, "json")
        current = manager_api.get(f"{OBJECTIVES}{made['id']}/").json()["current"]
    assert (current["breached"], current["excused"], current["misses"]) == (1, 1, 0)
    assert current["compliance_percent"] is None  # nothing achieved, nothing missed


def test_a_reason_for_a_clock_in_time_is_refused(around_the_clock, manager_api):
    thread = opened(START, replied_after=timedelta(minutes=5))
    reason = BreachReason.objects.create(name="Understaffed")
    url = f"/api/v1/threads/{thread.pk}/clocks/{frt(thread).pk}/reason/"
    response = manager_api.post(url, {"reason": reason.pk}, "json")
    assert response.status_code == 400 and "clock" in response.json()["errors"]


def test_a_used_reason_cannot_change_whether_it_excuses(around_the_clock, manager_api):
    thread, clock = breached_clock()
    reason = BreachReason.objects.create(name="Missed in queue")
    manager_api.post(
        f"/api/v1/threads/{thread.pk}/clocks/{clock.pk}/reason/", {"reason": reason.pk}, "json"
    )
    response = manager_api.patch(
        f"/api/v1/breach-reasons/{reason.pk}/", {"excused": True}, format="json"
    )
    assert response.status_code == 400 and "excused" in response.json()["errors"]


def test_a_manager_moves_a_due_time_and_objectives_still_count_the_original(
    around_the_clock, manager_api
):
    thread = opened(START)
    clock = frt(thread)
    url = f"/api/v1/threads/{thread.pk}/clocks/{clock.pk}/override/"
    moved_to = START + timedelta(hours=5)
    with at(START + timedelta(minutes=20)):
        response = manager_api.post(
            url,
            {"due_at": moved_to.isoformat(), "reason": "Customer asked for the afternoon"},
            "json",
        )
    assert response.status_code == 200, response.json()
    shown = response.json()
    assert shown["due_at"] == "2026-11-02T14:00:00Z"
    assert shown["original_due_at"] == "2026-11-02T10:00:00Z"
    assert shown["overridden"]["by"] == "maria"
    assert shown["overridden"]["reason"] == "Customer asked for the afternoon"
    with at(START + timedelta(hours=2)):
        services.thread_catch_up(thread=thread)
        clock.refresh_from_db()
        assert clock.state == "pending"  # in time for the moved due time
        current = objective(manager_api).json()["current"]
    assert current["breached"] == 1  # but past the policy's: a miss for the objective


def test_extend_by_adds_business_time_to_the_due_time(around_the_clock, manager_api):
    thread = opened(START)
    url = f"/api/v1/threads/{thread.pk}/clocks/{frt(thread).pk}/override/"
    with at(START + timedelta(minutes=10)):
        response = manager_api.post(url, {"extend_by": "2h", "reason": "Waiting on logs"}, "json")
    assert response.json()["due_at"] == "2026-11-02T12:00:00Z"


def test_an_exempt_clock_counts_nowhere(around_the_clock, manager_api, agent_api):
    thread, clock = breached_clock()
    url = f"/api/v1/threads/{thread.pk}/clocks/{clock.pk}/override/"
    body = {"exempt": True, "reason": "Test thread"}
    assert agent_api.post(url, body, "json").status_code == 403  # managers only
    with at(START + timedelta(hours=3)):
        response = manager_api.post(url, body, "json")
        assert response.status_code == 200 and response.json()["overridden"]["exempt"] is True
        current = objective(manager_api).json()["current"]
    assert (current["achieved"], current["breached"], current["cancelled"]) == (0, 0, 0)


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "x"},
        {"due_at": "2026-11-02T12:00:00Z", "extend_by": "1h", "reason": "x"},
        {"extend_by": "soon", "reason": "x"},
        {"extend_by": "2h"},
        {"exempt": False, "reason": "x"},
        {"extend_by": "2h", "reason": "x", "colour": "red"},
    ],
)
def test_a_bad_override_is_a_400(around_the_clock, manager_api, body):
    thread = opened(START)
    url = f"/api/v1/threads/{thread.pk}/clocks/{frt(thread).pk}/override/"
    with at(START + timedelta(minutes=10)):
        response = manager_api.post(url, body, "json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"]


def test_an_agent_moves_a_due_time_only_if_allowed_and_before_it_passes(
    around_the_clock, agent, agent_api
):
    thread = opened(START)
    url = f"/api/v1/threads/{thread.pk}/clocks/{frt(thread).pk}/override/"
    body = {"extend_by": "1h", "reason": "Customer asked"}
    with at(START + timedelta(minutes=10)):
        assert agent_api.post(url, body, "json").status_code == 403
    from accounts.models import AgentProfile

    AgentProfile.objects.update_or_create(user=agent, defaults={"may_move_due_times": True})
    with at(START + timedelta(minutes=10)):
        assert agent_api.post(url, body, "json").status_code == 200
    with at(START + timedelta(hours=3)):
        services.thread_catch_up(thread=thread)
        assert agent_api.post(url, body, "json").status_code == 403  # passed: a manager's call


def test_breach_reasons_are_listed_for_agents_and_made_by_managers(manager_api, agent_api, key_api):
    made = manager_api.post(
        "/api/v1/breach-reasons/", {"name": "Customer unreachable", "excused": True}, "json"
    )
    assert made.status_code == 201
    listed = agent_api.get("/api/v1/breach-reasons/").json()
    names = [r["name"] for r in listed["results"]]
    assert names == ["Customer unreachable"]
    assert agent_api.post("/api/v1/breach-reasons/", {"name": "Mine"}, "json").status_code == 403
    assert key_api.get("/api/v1/breach-reasons/").status_code == 403


def test_a_closed_month_is_kept_as_it_closed(around_the_clock, manager_api):
    with at(START - timedelta(days=40)):
        made = objective(manager_api).json()
    opened(START - timedelta(days=10), replied_after=timedelta(minutes=90))  # October, late
    with at(START + timedelta(days=1)):
        periods = manager_api.get(f"{OBJECTIVES}{made['id']}/periods/").json()
    october = next(p for p in periods if p["period_start"].startswith("2026-10-01"))
    assert october["figures"]["breached"] == 1 and october["status"] == "failed"
    assert october["correction"] is None


def test_moving_a_breached_clocks_due_time_keeps_the_policys_due_time(
    around_the_clock, manager_api
):
    thread = opened(START)
    clock = frt(thread)
    with at(START + timedelta(minutes=90)):
        services.thread_catch_up(thread=thread)
        url = f"/api/v1/threads/{thread.pk}/clocks/{clock.pk}/override/"
        shown = manager_api.post(url, {"extend_by": "1h", "reason": "Asked"}, "json").json()
    assert shown["original_due_at"] == "2026-11-02T10:00:00Z"  # not the request's time
    assert shown["due_at"] == "2026-11-02T11:00:00Z"  # an hour after the due time it had
    assert shown["state"] == "pending"  # the moved due time lifts the breach (for alerts)
    assert shown["left_seconds"] == 30 * 60  # time left until the moved due time


def test_a_late_message_keeps_the_account_objectives_count_the_clock_on(
    around_the_clock, manager_api, key_api
):
    from accounts.models import Account

    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    with at(START):
        made = key_api.post(
            "/api/v1/threads/",
            {"subject": "Export", "message": "Help", "contact_email": "ann@acme.com"},
            "json",
        ).json()
    with at(START + timedelta(minutes=30)):
        key_api.post(
            f"/api/v1/threads/{made['id']}/messages/",
            {"author": "customer", "body": "More", "created_at": "2026-11-02T09:20:00Z"},
            "json",
        )
        key_api.post(
            f"/api/v1/threads/{made['id']}/messages/",
            {"author": "agent", "body": "On it", "created_at": "2026-11-02T09:10:00Z"},
            "json",
        )
    clock = SlaClock.objects.get(thread_id=made["id"], metric="first_response")
    assert (clock.counted_as, clock.scope_account) == ("achieved", acme.pk)
