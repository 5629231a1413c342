"""Shared fixtures: a few named people (a manager, two agents) and the server-pass guard."""

import os
import socket
from urllib.parse import urlparse

import pytest


def _reachable(url: str) -> tuple[bool, str]:
    if not url:
        return False, "not set"
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port
    try:
        with socket.create_connection((host, port), timeout=2):
            return True, ""
    except OSError as error:
        return False, f"{host}:{port} unreachable ({error})"


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SLAOPS_TEST_SERVERS") != "1":
        for item in items:
            if item.get_closest_marker("server"):
                item.add_marker(
                    pytest.mark.skip(reason="needs a server: runs in the second pass of make test")
                )
        return
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    pg_ok, pg_why = (
        _reachable(database_url)
        if database_url.startswith("postg")
        else (
            False,
            "DATABASE_URL is not a PostgreSQL URL" if database_url else "DATABASE_URL not set",
        )
    )
    redis_ok, redis_why = _reachable(redis_url)
    for item in items:
        if not item.get_closest_marker("server") and not item.get_closest_marker("both"):
            continue
        needs = {m.args[0] for m in item.iter_markers("server") if m.args} or {"postgres"}
        if "postgres" in needs and not pg_ok:
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL: {pg_why}"))
        if "redis" in needs and not redis_ok:
            item.add_marker(pytest.mark.skip(reason=f"needs Redis (REDIS_URL): {redis_why}"))


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (skipped, with the reason, when it cannot start)."""
    from tests.threads.browser import Browser, BrowserUnavailable

    try:
        started = Browser()
    except BrowserUnavailable as error:
        pytest.skip(f"no browser: {error}")
    yield started
    started.quit()


@pytest.fixture
def manager(db, django_user_model):
    from django.contrib.auth.models import Group

    from accounts.roles import MANAGERS

    user = django_user_model.objects.create_user(
        "maria", "maria@example.com", "pw-maria", is_staff=True, first_name="Maria"
    )
    user.groups.add(Group.objects.get(name=MANAGERS))
    return user


@pytest.fixture
def agent(db, django_user_model):
    from django.contrib.auth.models import Group

    from accounts.roles import AGENTS

    user = django_user_model.objects.create_user("alex", "alex@example.com", "pw-alex")
    user.groups.add(Group.objects.get(name=AGENTS))
    return user


@pytest.fixture
def other_agent(db, django_user_model):
    from django.contrib.auth.models import Group

    from accounts.roles import AGENTS

    user = django_user_model.objects.create_user("sam", "sam@example.com", "pw-sam")
    user.groups.add(Group.objects.get(name=AGENTS))
    return user


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture(autouse=True)
def fresh_configuration_caches():
    """Each test's database starts empty, and row ids repeat between tests: start every test
    with empty per-process caches so no test sees another's configuration."""
    from integrations.models import forget_keys
    from policies import selectors
    from threads.clocks import book

    book.forget()
    forget_keys()
    selectors._calendars.clear()
    yield
