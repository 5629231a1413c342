"""The dead man's switch: the HEARTBEAT_URL ping after each tick (once a minute, `/fail` only
when no cluster ticked) and the red "Alerts are not going out" banner, with time frozen."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from policies.models import AlertChannel
from slaops.health import heartbeats, ping
from slaops.templatetags.health_banner import may_see
from tests.factories import policy, tier
from tests.threads.servers import closed_url, http_server
from threads.models import Delivery, SlaEvent
from threads.services import thread_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BANNER = "Alerts are not going out"


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    cache.clear()


def ago(seconds: int) -> datetime:
    return NOW - timedelta(seconds=seconds)


@pytest.fixture
def pinged(settings):
    with http_server({"/ping": ["200"], "/ping/fail": ["200"]}) as server:
        settings.HEARTBEAT_URL = server.url("/ping")
        yield server


def ping_now(*, ok: bool = True) -> bool:
    sender = ping.after_tick(ok=ok)
    if sender is None:
        return False
    sender.join(timeout=5)
    return True


# ------------------------------------------------------------------------- the heartbeat ping


def test_a_completed_tick_pings_the_heartbeat_url_with_a_get(pinged):
    assert ping_now()
    [request] = pinged.to("/ping")
    assert request.body == b"" and request.headers["user-agent"] == "SLA-Ops-Heartbeat/1"


def test_the_ping_goes_at_most_once_a_minute_across_clusters(pinged, frozen):
    assert ping_now()
    assert not ping_now()  # a second cluster's tick in the same instant
    frozen.shift(59)
    assert not ping_now()
    frozen.shift(1)
    assert ping_now()
    assert len(pinged.to("/ping")) == 2


def test_a_failed_tick_sends_fail_only_when_no_cluster_ticked_within_the_minute(pinged, frozen):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(20))  # another cluster works
    assert not ping_now(ok=False)
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(61))
    assert ping_now(ok=False)
    assert len(pinged.to("/ping/fail")) == 1 and not pinged.to("/ping")


def test_no_heartbeat_url_no_ping(settings):
    settings.HEARTBEAT_URL = ""
    assert ping.after_tick(ok=True) is None


def test_an_unreachable_heartbeat_url_is_logged_and_never_raises(settings, caplog):
    settings.HEARTBEAT_URL = closed_url("/ping")
    with caplog.at_level(logging.WARNING, logger="slaops.health.ping"):
        assert ping_now()
    assert "heartbeat ping failed: connection failed" in caplog.text
    assert "/ping" not in caplog.text  # the path is the check's key


def test_a_heartbeat_url_the_gate_refuses_is_not_called(settings, caplog):
    settings.HEARTBEAT_URL = "http://hc.internal.example/ping/abc"  # plain http, not allowed
    with caplog.at_level(logging.WARNING, logger="slaops.health.ping"):
        assert ping_now()
    assert "destination not allowed" in caplog.text


def test_the_evaluator_task_pings_after_its_tick(pinged, settings):
    from threads.tasks import evaluate

    settings.SLA_TICK_SECONDS = 0  # one tick
    evaluate()
    for _ in range(50):  # the ping runs in its own thread
        if pinged.to("/ping"):
            break
        import time

        time.sleep(0.05)
    assert len(pinged.to("/ping")) == 1


# ------------------------------------------------------------------------------- the banner


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("url", ["/inbox/", "/queue/"])
def test_agents_see_the_banner_when_the_last_tick_is_over_three_minutes_old(client, agent, url):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(7 * 60 + 5))
    assert f"{BANNER}: last evaluation 7 minutes ago" in page(client, agent, url)


def test_no_banner_while_the_evaluator_ticked_within_three_minutes(client, agent):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(180))
    assert BANNER not in page(client, agent, "/inbox/")


def test_managers_see_the_banner_on_the_admin_index(client, manager):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(200))
    assert f"{BANNER}: last evaluation 3 minutes ago" in page(client, manager, "/admin/")


def _failing_delivery(created_seconds_ago: int) -> Delivery:
    tier("Free", default=True)
    policy("Standard")
    thread_create(subject="Printer on fire", first_message="Help")
    channel = AlertChannel.objects.create(name="Ops Slack", kind="webhook", url="https://x.test/")
    return Delivery.objects.create(
        event=SlaEvent.objects.first(),
        kind="webhook",
        channel=channel,
        recipient=f"channel:{channel.pk}",
        status=Delivery.Status.RETRYING,
        attempts=3,
        created_at=ago(created_seconds_ago),
        next_attempt_at=NOW + timedelta(minutes=2),
    )


def test_the_banner_names_a_channel_failing_for_ten_minutes(client, agent):
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(10))
    delivery = _failing_delivery(599)
    assert BANNER not in page(client, agent, "/queue/")
    cache.clear()
    Delivery.objects.filter(pk=delivery.pk).update(created_at=ago(12 * 60))
    text = page(client, agent, "/queue/")
    assert f"{BANNER}: deliveries to “Ops Slack” failing for 12 minutes" in text
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    cache.clear()
    assert BANNER not in page(client, agent, "/queue/")


def test_the_banner_is_read_once_per_few_seconds(client, agent, frozen, settings):
    settings.SLA_BANNER_CACHE_SECONDS = 10
    heartbeats.beat(heartbeats.EVALUATOR, at=ago(175))
    assert BANNER not in page(client, agent, "/inbox/")
    frozen.shift(9)  # the evaluator is late now, but the cached answer stands a few seconds
    assert BANNER not in page(client, agent, "/inbox/")
    frozen.shift(2)
    assert BANNER in page(client, agent, "/inbox/")


def test_only_signed_in_staff_and_agents_may_see_the_banner(agent, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    customer = django_user_model.objects.create_user("cu", "cu@example.com", "pw")
    assert may_see(agent) and not may_see(customer) and not may_see(AnonymousUser())
