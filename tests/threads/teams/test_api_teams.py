"""Teams through the API, as an integrator meets them: a handoff by team id or exact name, the
team's own clocks in the thread's `clocks`, who held each clock's time (`attribution`, summing
to `used_seconds`), and the teams with their targets (GET /api/v1/teams/)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from integrations.models import IntegrationKey
from tests.factories import office_calendar
from tests.threads.teams.stories import around_the_clock, at, opened, team
from threads.models import Thread
from threads.services import agent_reply, thread_set_status

pytestmark = [pytest.mark.django_db, pytest.mark.both]
THREADS = "/api/v1/threads/"


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_login(manager)
    return client


@pytest.fixture
def key_api(db):
    _, secret = IntegrationKey.objects.create_key(name="Zendesk bridge", source="zendesk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def patch(api, thread, minutes, body):
    with at(minutes):
        return api.patch(f"{THREADS}{thread.pk}/", body, "json")


def read(api, thread, minutes) -> dict:
    with at(minutes):
        response = api.get(f"{THREADS}{thread.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def clock(body, metric, team=None) -> dict:
    (found,) = [c for c in body["clocks"] if c["metric"] == metric and c["team"] == team]
    return found


def shares(clock) -> dict:
    return {part["holder"]: part["seconds"] for part in clock["attribution"]}


def test_team_clocks_carry_the_teams_name_and_id(api, frontline):
    around_the_clock()
    thread = opened(team=frontline)
    body = read(api, thread, 10)
    response = clock(body, "team_response", "Frontline")
    assert response["team_id"] == frontline.pk
    assert response["policy"] is None and response["cycle"] is None
    assert clock(body, "first_response")["team_id"] is None  # a customer clock has no team


def test_a_patch_by_name_hands_the_thread_over_and_the_time_splits_between_teams(
    api, frontline, tier2
):
    around_the_clock()
    thread = opened(team=frontline)
    assert patch(api, thread, 20, {"team": "Tier 2"}).status_code == 200
    body = read(api, thread, 50)
    assert clock(body, "team_response", "Tier 2")["team_id"] == tier2.pk
    assert clock(body, "team_response", "Frontline")["state"] == "cancelled"
    resolution = clock(body, "resolution")
    assert resolution["attribution"] == [
        {"holder": "team:Tier 2", "seconds": 1800, "team_id": tier2.pk},
        {"holder": "team:Frontline", "seconds": 1200, "team_id": frontline.pk},
    ]


def test_a_patch_by_id_hands_the_thread_over(key_api, frontline, tier2):
    around_the_clock()
    thread = opened(team=frontline, source="zendesk")
    assert patch(key_api, thread, 5, {"team": tier2.pk}).status_code == 200
    body = read(key_api, thread, 6)
    assert body["team"] == tier2.pk
    assert clock(body, "team_resolution", "Tier 2")["state"] == "pending"


def test_every_clocks_attribution_sums_to_its_used_seconds(api, frontline, tier2, manager):
    around_the_clock(pause_statuses=["on_hold"])
    thread = opened()
    patch(api, thread, 7, {"team": frontline.pk})
    with at(11):
        thread_set_status(thread=thread, status="waiting_on_customer", actor=manager, reason="x")
    with at(16.5):
        thread_set_status(thread=thread, status="on_hold", actor=manager, reason="vendor")
    with at(30):
        thread_set_status(thread=thread, status="open", actor=manager)
    patch(api, thread, 33.25, {"team": "Tier 2"})
    patch(api, thread, 41, {"team": None})
    body = read(api, thread, 47.1)
    for shown in body["clocks"]:
        assert sum(shares(shown).values()) == shown["used_seconds"], shown
    assert shares(clock(body, "resolution")) == {
        "no_team": 7 * 60 + 6 * 60 + 6,
        "team:Frontline": 4 * 60 + 3 * 60 + 15,
        "team:Tier 2": 7 * 60 + 45,
        "status:waiting_on_customer": 5 * 60 + 30,  # on hold pauses it: no time at all
    }


def test_null_removes_the_team_and_stops_its_clocks(api, frontline):
    around_the_clock()
    thread = opened(team=frontline)
    body = patch(api, thread, 10, {"team": None}).json()
    assert body["team"] is None
    assert clock(body, "team_resolution", "Frontline")["state"] == "achieved"


def test_a_thread_opened_for_a_team_by_name_starts_its_clocks(api, frontline):
    around_the_clock()
    with at(0):
        response = api.post(THREADS, {"subject": "S", "message": "M", "team": "Frontline"}, "json")
    assert response.status_code == 201, response.content
    assert response.json()["team"] == frontline.pk
    assert clock(response.json(), "team_response", "Frontline")["team_id"] == frontline.pk


@pytest.mark.parametrize(
    "given",
    [1.5, True, False, "Nobody", "frontline", " Frontline", "", 999999, 0, -1, ["Frontline"], {}],
    ids=repr,
)
def test_a_team_that_is_not_an_id_or_an_exact_name_is_refused_naming_team(api, frontline, given):
    around_the_clock()
    thread = opened()
    response = patch(api, thread, 5, {"team": given})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["team"]
    assert Thread.objects.get().team is None

    with at(5):
        created = api.post(THREADS, {"subject": "S", "message": "M", "team": given}, "json")
    assert created.status_code == 400 and list(created.json()["errors"]) == ["team"]


def test_periodic_update_clocks_say_their_cycle(api, agent):
    around_the_clock(targets=[("periodic_update", "", 60), ("resolution", "", 480)])
    thread = opened()
    with at(5):
        agent_reply(thread=thread, author=agent, body="On it")
    body = read(api, thread, 10)
    assert clock(body, "periodic_update")["cycle"] == 1
    assert clock(body, "resolution")["reopens"] == 0


def test_a_deleted_team_keeps_its_share_under_its_id(api, frontline):
    around_the_clock()
    thread = opened(team=frontline)
    patch(api, thread, 10, {"team": None})
    team_id = frontline.pk
    frontline.delete()
    parts = clock(read(api, thread, 20), "resolution")["attribution"]
    assert parts == [
        {"holder": "no_team", "seconds": 600},
        {"holder": f"team:(deleted team {team_id})", "seconds": 600, "team_id": team_id},
    ]


def test_listing_threads_reads_team_names_once_whatever_the_number_of_clocks(api, frontline, tier2):
    around_the_clock()

    def queries_for(count: int) -> int:
        for n in range(count):
            opened(team=frontline if n % 2 else tier2)
        with CaptureQueriesContext(connection) as captured, at(30):
            assert api.get(THREADS).status_code == 200
        Thread.objects.all().delete()
        return len(captured)

    assert queries_for(2) == queries_for(8)


def test_teams_list_their_calendar_and_targets(key_api, frontline):
    office = office_calendar()
    team("Tier 2", response=60, resolution=0, calendar=office, priority="urgent")
    response = key_api.get("/api/v1/teams/")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": frontline.pk,
            "name": "Frontline",
            "calendar": None,
            "targets": [
                {"metric": "team_resolution", "priority": None, "target_seconds": 7200},
                {"metric": "team_response", "priority": None, "target_seconds": 1800},
            ],
        },
        {
            "id": frontline.pk + 1,
            "name": "Tier 2",
            "calendar": "Office",
            "targets": [{"metric": "team_response", "priority": "urgent", "target_seconds": 3600}],
        },
    ]
    one = key_api.get(f"/api/v1/teams/{frontline.pk}/")
    assert one.status_code == 200 and one.json()["name"] == "Frontline"


def test_keys_may_only_read_teams(key_api, frontline):
    response = key_api.post("/api/v1/teams/", {"name": "Nope"}, "json")
    assert response.status_code in (403, 405)
