"""Login lockout (django-axes) on the agents' login and the admin's: a password cannot be guessed
by trying many, from one address, at one username."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LOGINS = {"app": "/login/", "admin": "/admin/login/"}
START = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def lockout_on(settings):
    # The test settings switch django-axes off (force_login has no request to count); these
    # tests log in through real POSTs, so it counts them.
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 15 / 60
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def log_in(client, url, password, username="maria", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGINS.values(), ids=LOGINS.keys())
def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(client, manager, clock, url):
    answers = [log_in(client, url, f"guess-{n}").status_code for n in range(30)]
    assert answers[:4] == [200] * 4  # the form again, "wrong password"
    assert set(answers[4:]) == {429}  # the fifth failure locks

    response = log_in(client, url, "pw-maria")
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
    assert not signed_in(client)


def test_the_locked_out_page_says_how_long_to_wait(client, manager, clock):
    for n in range(5):
        response = log_in(client, LOGINS["app"], f"guess-{n}")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Wait 15 minutes, then try again" in html
    assert "after 5 failed attempts" in html
    assert "/static/slaops/app.css" in html  # the styled page of base.html
    assert "Log out" not in html  # a visitor, not a signed-in user
    assert "Content-Security-Policy" in response.headers


def test_the_lock_lifts_after_the_cool_off(client, manager, clock):
    for n in range(5):
        log_in(client, LOGINS["app"], f"guess-{n}")
    clock.shift(timedelta(minutes=14))
    assert log_in(client, LOGINS["app"], "pw-maria").status_code == 429
    clock.shift(timedelta(minutes=16))  # fifteen minutes after the last attempt
    response = log_in(client, LOGINS["app"], "pw-maria")
    assert response.status_code == 302 and signed_in(client)


def test_a_successful_login_resets_the_count(client, manager, clock):
    for _ in range(2):
        for n in range(4):
            assert log_in(client, LOGINS["app"], f"guess-{n}").status_code == 200
        assert log_in(client, LOGINS["app"], "pw-maria").status_code == 302
        client.post("/logout/")
    assert log_in(client, LOGINS["app"], "guess-again").status_code == 200


def test_a_lock_on_the_agents_login_also_closes_the_admin_login(client, manager, clock):
    for n in range(5):
        log_in(client, LOGINS["app"], f"guess-{n}")
    assert log_in(client, LOGINS["admin"], "pw-maria").status_code == 429
    assert not signed_in(client)


def test_another_address_is_not_locked_out_by_a_guesser(client, manager, clock):
    for n in range(5):
        log_in(client, LOGINS["app"], f"guess-{n}", REMOTE_ADDR="203.0.113.9")
    response = log_in(client, LOGINS["app"], "pw-maria", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302 and signed_in(client)


def test_the_api_takes_no_password_so_it_cannot_be_used_to_guess_one(manager):
    # The API authenticates integration keys and an existing session, never a password: HTTP
    # Basic is not accepted, and there is no API login view.
    basic = base64.b64encode(b"maria:pw-maria").decode()
    response = APIClient().get("/api/v1/threads/", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code in (401, 403)
    assert response.json()["errors"] == {}
    assert APIClient().post("/api-auth/login/", {"username": "maria"}).status_code == 404


def test_behind_a_proxy_one_guesser_does_not_lock_out_everyone(client, manager, clock, settings):
    # Every request comes from the proxy's address; the lockout must key on the client it names.
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(5):
        log_in(client, LOGINS["app"], f"guess-{n}", HTTP_X_FORWARDED_FOR="203.0.113.9", **via_proxy)
    guesser = log_in(
        client, LOGINS["app"], "pw-maria", HTTP_X_FORWARDED_FOR="203.0.113.9", **via_proxy
    )
    assert guesser.status_code == 429

    response = log_in(
        client, LOGINS["app"], "pw-maria", HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy
    )
    assert response.status_code == 302 and signed_in(client)
    from axes.models import AccessAttempt

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


def test_a_forged_x_forwarded_for_does_not_dodge_the_lockout(client, manager, clock, settings):
    settings.BEHIND_PROXY = False
    for n in range(5):
        log_in(client, LOGINS["app"], f"guess-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = log_in(client, LOGINS["app"], "pw-maria", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert response.status_code == 429 and not signed_in(client)
