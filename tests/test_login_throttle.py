"""Password spraying is slowed per address (slaops/login_throttle.py): after 20 failed logins from
one address, whatever the usernames, each further attempt waits longer, answered 429 with
Retry-After on the agents' login and the admin's alike."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from slaops.login_throttle import DEVICE_COOKIE

pytestmark = pytest.mark.django_db

LOGINS = {"app": "/login/", "admin": "/admin/login/"}
START = datetime(2026, 11, 23, 9, tzinfo=UTC)
SPRAYER = "203.0.113.9"


@pytest.fixture(autouse=True)
def throttle_on(settings):
    settings.AXES_ENABLED = True  # as in production: both guards on
    settings.LOGIN_THROTTLE_AFTER = 20
    settings.LOGIN_THROTTLE_WINDOW_MINUTES = 15
    settings.LOGIN_THROTTLE_FIRST_DELAY_SECONDS = 1
    settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS = 300
    settings.BEHIND_PROXY = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def log_in(client, username, password="Winter2026!", url=LOGINS["app"], address=SPRAYER, **extra):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def spray(client, count, url=LOGINS["app"], address=SPRAYER, **extra):
    return [log_in(client, f"user{n}", url=url, address=address, **extra) for n in range(count)]


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGINS.values(), ids=LOGINS.keys())
def test_spraying_one_password_over_thirty_usernames_is_answered_429(client, clock, url):
    answers = spray(client, 30, url=url)
    # 20 free failures, a 21st let through (it starts a 1-second wait), then the wait.
    assert [a.status_code for a in answers] == [200] * 21 + [429] * 9
    refused = answers[-1]
    assert refused["Retry-After"] == "1"
    html = refused.content.decode()
    assert "Too many failed sign-ins from this address" in html
    assert "Wait 1 second, then try again" in html
    assert "Content-Security-Policy" in refused.headers


def test_the_right_password_during_the_wait_is_refused_too(client, manager, clock):
    spray(client, 22)
    response = log_in(client, "maria", "pw-maria")
    assert response.status_code == 429 and not signed_in(client)


def test_the_wait_doubles_with_each_further_failure(client, clock):
    spray(client, 21)
    waits = []
    for n in range(5):
        refused = log_in(client, f"next{n}")
        waits.append(int(refused["Retry-After"]))
        clock.shift(timedelta(seconds=waits[-1]))
        assert log_in(client, f"next{n}").status_code == 200  # let through, and wrong
    assert waits == [1, 2, 4, 8, 16]


def test_the_wait_stops_growing_at_its_maximum(client, clock, settings):
    settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS = 6
    spray(client, 21)
    waits = []
    for n in range(5):
        waits.append(int(log_in(client, f"next{n}")["Retry-After"]))
        clock.shift(timedelta(seconds=waits[-1]))
        log_in(client, f"next{n}")
    assert waits == [1, 2, 4, 6, 6]


def test_someone_signing_in_from_the_address_does_not_clear_the_sprayers_count(
    client, manager, clock
):
    spray(client, 19)
    assert log_in(client, "maria", "pw-maria").status_code == 302
    client.post("/logout/")
    answers = [log_in(client, f"more{n}").status_code for n in range(3)]
    assert answers == [200, 200, 429]


def test_another_address_signs_in_while_a_sprayer_waits(client, manager, clock):
    spray(client, 25)
    response = log_in(client, "maria", "pw-maria", address="198.51.100.7")
    assert response.status_code == 302 and signed_in(client)


def test_the_count_is_forgotten_fifteen_minutes_after_the_last_failure(client, clock):
    spray(client, 25)
    clock.shift(timedelta(minutes=14))
    assert log_in(client, "late").status_code == 200  # let through after the wait, and counted
    clock.shift(timedelta(minutes=14))  # 28 minutes after the first failure, 14 after the last
    assert log_in(client, "later").status_code == 200
    assert log_in(client, "again").status_code == 429  # still slowed
    clock.shift(timedelta(minutes=16))
    assert [a.status_code for a in spray(client, 20)] == [200] * 20


def test_ipv6_addresses_in_one_64_share_the_throttle(client, manager, clock):
    answers = [
        log_in(client, f"user{n}", address=f"2001:db8:1:2::{n + 1:x}").status_code
        for n in range(25)
    ]
    assert answers[-1] == 429
    neighbour = log_in(client, "maria", "pw-maria", address="2001:db8:1:3::1")
    assert neighbour.status_code == 302


def test_behind_a_trusted_proxy_the_throttle_counts_the_forwarded_client(
    client, manager, clock, settings
):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    answers = spray(client, 25, address="10.0.0.2", HTTP_X_FORWARDED_FOR=SPRAYER)
    assert answers[-1].status_code == 429
    colleague = log_in(
        client, "maria", "pw-maria", address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert colleague.status_code == 302


def test_a_forged_x_forwarded_for_does_not_dodge_the_throttle(client, clock):
    answers = [
        log_in(client, f"user{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(25)
    ]
    assert answers[-1] == 429


def test_the_login_page_itself_still_opens_during_the_wait(client, clock):
    spray(client, 25)
    assert client.get(LOGINS["app"], REMOTE_ADDR=SPRAYER).status_code == 200


def test_a_colleague_on_a_browser_they_signed_in_from_before_is_not_slowed(manager, clock):
    # An office behind one NAT: the sprayer shares its address, not its browsers.
    colleague, sprayer = Client(), Client()
    assert log_in(colleague, "maria", "pw-maria").status_code == 302
    colleague.post("/logout/")
    assert spray(sprayer, 25)[-1].status_code == 429
    assert log_in(colleague, "maria", "pw-maria").status_code == 302


def test_a_known_device_passes_only_for_its_own_username(manager, clock):
    browser = Client()
    assert log_in(browser, "maria", "pw-maria").status_code == 302
    browser.post("/logout/")
    spray(Client(), 25)
    assert log_in(browser, "someone-else").status_code == 429


def test_a_forged_device_cookie_is_worth_nothing(manager, clock):
    spray(Client(), 25)
    forged = Client()
    forged.cookies[DEVICE_COOKIE] = "maria:forged-signature"
    assert log_in(forged, "maria", "pw-maria").status_code == 429
