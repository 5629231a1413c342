"""API rate limits: per integration key and per person, answered 429 with Retry-After and the
API's error shape."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.integrations.conftest import THREADS, key_client, person_client

pytestmark = pytest.mark.django_db


def rates(key: str, user: str):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"key": key, "user": user},
        }
    )


@pytest.fixture(autouse=True)
def empty_counts():
    cache.clear()
    yield
    cache.clear()


def test_a_key_over_its_rate_gets_a_429_with_retry_after(zendesk):
    with rates(key="3/min", user="1000/min"):
        answers = [zendesk.get(THREADS) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["errors"] == {}  # no field is at fault
    assert body["detail"] == f"Too many requests: try again in {refused['Retry-After']} seconds."


def test_each_key_has_its_own_budget(zendesk, intercom):
    with rates(key="2/min", user="1000/min"):
        for _ in range(2):
            zendesk.get(THREADS)
        assert zendesk.get(THREADS).status_code == 429
        assert intercom.get(THREADS).status_code == 200


def test_a_person_over_their_rate_gets_a_429(agent, other_agent):
    api = person_client(agent)
    with rates(key="1000/min", user="2/min"):
        assert [api.get(THREADS).status_code for _ in range(3)] == [200, 200, 429]
        assert person_client(other_agent).get(THREADS).status_code == 200


def test_keys_and_people_have_separate_rates(agent):
    key = key_client("zendesk")
    with rates(key="5/min", user="1/min"):
        assert [key.get(THREADS).status_code for _ in range(3)] == [200, 200, 200]
        api = person_client(agent)
        assert [api.get(THREADS).status_code for _ in range(2)] == [200, 429]


def test_a_key_at_a_high_rate_is_counted_not_listed(zendesk):
    """At an integration's rate the check costs the same on the 1,000th request as on the first:
    the cache holds one count per key and window, not the time of every request."""
    from django_ratelimit.core import get_usage

    from integrations.models import IntegrationKey

    with rates(key="1000000/min", user="1000/min"):
        assert {zendesk.get(THREADS).status_code for _ in range(30)} == {200}
    key = IntegrationKey.objects.get(name="Zendesk bridge")
    usage = get_usage(None, group="api-key", key=lambda *_: f"key-{key.prefix}", rate="1000000/min")
    assert usage["count"] == 30


SCHEMA = "/api/schema/"  # the one endpoint open to a caller without key or session


def anonymous_gets(count: int, remote: str = "203.0.113.9", forwarded=None) -> list[int]:
    client = APIClient()
    answers = []
    for n in range(count):
        extra = {"REMOTE_ADDR": remote(n) if callable(remote) else remote}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded(n) if callable(forwarded) else forwarded
        answers.append(client.get(SCHEMA, **extra).status_code)
    return answers


def test_a_forged_x_forwarded_for_does_not_dodge_the_anonymous_limit(db, settings):
    # The replay: 25 requests, each naming another address, against 20/min: all 25 passed.
    settings.BEHIND_PROXY = False
    with rates(key="1000/min", user="20/min"):
        answers = anonymous_gets(25, forwarded=lambda n: f"198.51.100.{n}")
    assert answers == [200] * 20 + [429] * 5


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(db, settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    with rates(key="1000/min", user="3/min"):
        answers = anonymous_gets(4, remote="203.0.113.9", forwarded=lambda n: f"198.51.100.{n}")
    assert answers == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(db, settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    with rates(key="1000/min", user="3/min"):
        first = anonymous_gets(4, remote="10.0.0.2", forwarded="198.51.100.7")
        second = anonymous_gets(1, remote="10.0.0.2", forwarded="192.0.2.44")
    assert first == [200, 200, 200, 429]
    assert second == [200]


def test_ipv6_addresses_in_one_64_share_the_anonymous_limit(db, settings):
    settings.BEHIND_PROXY = False
    with rates(key="1000/min", user="3/min"):
        answers = anonymous_gets(4, remote=lambda n: f"2001:db8:1:2::{n + 1}")
        neighbour = anonymous_gets(1, remote="2001:db8:1:3::1")
    assert answers == [200, 200, 200, 429]
    assert neighbour == [200]
