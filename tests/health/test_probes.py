"""The orchestrator's probes: answered first, whatever the Host or the scheme, never redirected."""

import time

import pytest

from slaops.health import draining, probes


@pytest.fixture
def fresh_probe(monkeypatch):
    probe = probes.DatabaseProbe()
    monkeypatch.setattr(probes, "PROBE", probe)
    return probe


def test_liveness_answers_without_touching_the_database(client):
    # No django_db mark: any query would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/startupz"])
def test_probes_answer_the_pods_address_as_host_over_plain_http(client, settings, path):
    settings.ALLOWED_HOSTS = ["sla.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(path, HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert "Location" not in response


def test_other_addresses_still_refuse_a_host_not_allowed(client, settings):
    settings.ALLOWED_HOSTS = ["sla.example.com"]
    assert client.get("/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_probes_take_no_writes(client):
    response = client.post("/readyz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_ready_when_the_database_answers_and_is_migrated(client, fresh_probe):
    assert client.get("/readyz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_not_ready_while_draining_after_sigterm(client):
    draining.start_draining()
    try:
        response = client.get("/readyz")
    finally:
        draining.stop_draining()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "draining"}
    assert client.get("/healthz").status_code == 200  # alive all the same


@pytest.mark.django_db
def test_not_ready_when_the_database_takes_more_than_a_second(client, fresh_probe, monkeypatch):
    monkeypatch.setattr(probes, "_select_one", lambda: time.sleep(2.5) or True)
    fresh_probe.migrated = True
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "database"
    assert time.monotonic() - started < 1.8
    # A second probe waits on the same question rather than asking again.
    started = time.monotonic()
    assert client.get("/readyz").status_code == 503
    assert time.monotonic() - started < 1.8


@pytest.mark.django_db
def test_migrations_are_checked_until_they_pass_once(client, fresh_probe, monkeypatch):
    monkeypatch.setattr(probes, "_no_unapplied_migrations", lambda: False)
    assert client.get("/startupz").status_code == 503
    assert client.get("/readyz").json() == {"status": "unavailable", "reason": "migrations"}
    monkeypatch.setattr(probes, "_no_unapplied_migrations", lambda: True)
    assert client.get("/startupz").status_code == 200

    def never_again():
        raise AssertionError("checked again")

    monkeypatch.setattr(probes, "_no_unapplied_migrations", never_again)
    assert client.get("/startupz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_the_real_migration_check_passes_on_a_migrated_database(fresh_probe):
    assert fresh_probe.migrations_applied()
