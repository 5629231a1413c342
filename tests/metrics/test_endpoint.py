"""/metrics: who reads it, and the database figures it shows after known events (time frozen),
read at most once every SLA_METRICS_REFRESH_SECONDS."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from objectives.figures import figures
from objectives.models import Objective
from slaops.health import heartbeats
from slaops.metrics.figures import KEPT
from tests.factories import policy, tier
from tests.metrics.scrape import samples, value
from threads.models import Delivery, SlaClock, SlaEvent
from threads.services import thread_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TOKEN = "s3cret-metrics-token"


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.SLA_METRICS_REFRESH_SECONDS = 30
    KEPT.forget()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    KEPT.forget()


def ago(seconds: int) -> datetime:
    return NOW - timedelta(seconds=seconds)


def scrape(client, **headers):
    response = client.get("/metrics", headers=headers)
    return response.status_code, response.content.decode()


def with_token(client) -> str:
    code, text = scrape(client, Authorization=f"Bearer {TOKEN}")
    assert code == 200
    return text


def test_the_token_reads_the_figures(client):
    assert value(with_token(client), "slaops_database_figures_up") == 1


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", f"Token {TOKEN}", "Bearer ", ""])
def test_without_the_token_nobody_learns_a_figure(client, header):
    code, text = scrape(client, Authorization=header)
    assert code == 403 and "slaops" not in text


def test_no_token_configured_opens_nothing(client, settings):
    settings.METRICS_TOKEN = ""
    assert scrape(client, Authorization="Bearer ")[0] == 403


def test_a_superuser_reads_them_and_a_manager_does_not(client, manager, django_user_model):
    client.force_login(manager)
    assert scrape(client)[0] == 403
    root = django_user_model.objects.create_superuser("root", "root@x.example", "pw")
    client.force_login(root)
    assert scrape(client)[0] == 200


def test_an_allowed_address_reads_them(client, settings):
    settings.SLA_METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8"]
    assert scrape(client)[0] == 403  # the test client is 127.0.0.1
    settings.SLA_METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8", "127.0.0.1"]
    assert scrape(client)[0] == 200


def test_a_forged_forwarded_for_is_not_an_allowed_address(client, settings):
    settings.SLA_METRICS_ALLOWED_ADDRESSES = ["10.1.2.3"]
    assert scrape(client, **{"X-Forwarded-For": "10.1.2.3"})[0] == 403


def _clock_due(seconds_ago: int) -> SlaClock:
    tier("Free", default=True)
    policy("Standard")
    thread = thread_create(subject="Printer on fire", first_message="Help").thread
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    SlaClock.objects.filter(pk=clock.pk).update(due_at=ago(seconds_ago), warn_at=None)
    return clock


def test_lag_backlog_and_running_clocks_after_known_events(client):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(20))
    _clock_due(120)
    Delivery.objects.create(
        event=SlaEvent.objects.first(), kind="email", recipient="a@x", next_attempt_at=ago(90)
    )
    text = with_token(client)
    assert value(text, "slaops_evaluator_lag_seconds") == 120
    assert value(text, "slaops_delivery_backlog_oldest_seconds") == 90
    assert value(text, "slaops_evaluator_last_tick_timestamp_seconds") == ago(20).timestamp()
    pending = {"metric": "first_response", "state": "pending"}
    assert value(text, "slaops_clocks_running", **pending) == 1
    assert value(text, "slaops_clocks_running", metric="first_response", state="breaching") == 0


def test_nothing_due_is_zero_lag_and_zero_backlog(client):
    text = with_token(client)
    assert value(text, "slaops_evaluator_lag_seconds") == 0
    assert value(text, "slaops_delivery_backlog_oldest_seconds") == 0


def test_a_delivery_backing_off_or_held_is_not_backlog(client):
    _clock_due(10)
    event = SlaEvent.objects.first()
    Delivery.objects.create(
        event=event, kind="email", recipient="a@x", status="retrying", next_attempt_at=ago(-60)
    )
    Delivery.objects.create(
        event=event, kind="email", recipient="b@x", held_for_quiet_hours=True,
        next_attempt_at=NOW + timedelta(hours=8),
    )  # fmt: skip
    assert value(with_token(client), "slaops_delivery_backlog_oldest_seconds") == 0


def test_figures_are_read_at_most_once_a_refresh_period(client, frozen):
    _clock_due(10)
    event = SlaEvent.objects.first()
    Delivery.objects.create(event=event, kind="email", recipient="a@x", next_attempt_at=ago(90))
    assert value(with_token(client), "slaops_delivery_backlog_oldest_seconds") == 90
    Delivery.objects.create(event=event, kind="email", recipient="b@x", next_attempt_at=ago(200))
    frozen.shift(timedelta(seconds=29))
    assert value(with_token(client), "slaops_delivery_backlog_oldest_seconds") == 90
    frozen.shift(timedelta(seconds=1))
    assert value(with_token(client), "slaops_delivery_backlog_oldest_seconds") == 230


def test_task_clusters_beating_and_silent_after_one_was_killed(client, settings):
    settings.SLA_HEALTH_CLUSTER_SECONDS = 120
    heartbeats.beat(heartbeats.CLUSTER_PREFIX + "alive", at=ago(10))
    heartbeats.beat(heartbeats.CLUSTER_PREFIX + "killed", at=ago(121))
    text = with_token(client)
    assert value(text, "slaops_task_clusters", state="beating") == 1
    assert value(text, "slaops_task_clusters", state="silent") == 1


def test_each_objective_shows_its_budget_left(client):
    objective = Objective.objects.create(
        name="First replies", metric="first_response", target_percent=90
    )
    text = with_token(client)
    left = figures(objective, NOW).budget_left
    assert value(text, "slaops_objective_budget_left", objective="First replies") == left


def test_no_label_names_a_thread_a_path_or_an_address(client):
    _clock_due(10)
    client.get("/threads/1/")
    ours = [key for key in samples(with_token(client)) if key[0].startswith("slaops_")]
    label_names = {name for _, labels in ours for name, _ in labels}
    allowed = {"metric", "state", "objective", "view", "method", "le", "transport", "outcome"}
    assert label_names <= allowed | {"channel"}
