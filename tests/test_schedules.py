"""The timetable (slaops/schedules.py) exists wherever the database does: `migrate` alone writes
it, a cluster start brings it up to date, and `manage.py check --database default` names what
is missing."""

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from slaops.schedules import timetable

ROOT = Path(__file__).resolve().parents[1]
EVERY_SCHEDULE = {
    "sla-evaluate",
    "sla-deliver",
    "objectives-evaluate",
    "mail-poll",
    "mail-send",
    "slack-send",
    "slack-catch-up",
    "sla-housekeeping",
    "sla-operator-alerts",
}


def check_output() -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_the_timetable_lists_every_periodic_task():
    assert {entry["name"] for entry in timetable()} == EVERY_SCHEDULE


def test_migrate_alone_on_a_fresh_database_writes_every_schedule(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="slaops.settings", SLAOPS_VAR_DIR=str(tmp_path), SECRET_KEY="x" * 50
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute("select name, func, repeats, next_run from django_q_schedule").fetchall()
    assert {name for name, *_ in rows} == EVERY_SCHEDULE
    assert all(repeats == -1 and next_run is not None for _, _, repeats, next_run in rows)

    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--database", "default"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "slaops.W001" not in check.stdout + check.stderr


@pytest.mark.django_db
def test_a_second_migrate_keeps_one_row_per_schedule():
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)
    names = list(Schedule.objects.values_list("name", flat=True))
    assert sorted(names) == sorted(EVERY_SCHEDULE)


@pytest.mark.django_db
def test_the_check_names_a_deleted_schedule():
    call_command("ensure_schedules", stdout=io.StringIO())
    assert "slaops.W001" not in check_output()

    Schedule.objects.filter(name="sla-deliver").delete()
    output = check_output()
    assert "slaops.W001" in output
    assert "sla-deliver missing or out of date" in output
    assert "sla-evaluate" not in output


@pytest.mark.django_db
def test_the_check_names_a_schedule_left_behind_by_a_changed_setting(settings):
    call_command("ensure_schedules", stdout=io.StringIO())
    settings.SLA_EVALUATE_EVERY = 5
    assert "sla-evaluate missing or out of date" in check_output()


@pytest.mark.django_db
def test_a_cluster_start_brings_the_timetable_up_to_date(settings, monkeypatch):
    Schedule.objects.filter(name="slack-send").delete()
    settings.SLA_EVALUATE_EVERY = 5

    class ClusterNotStarted(Exception):
        pass

    def no_cluster():
        raise ClusterNotStarted  # what matters happens before the cluster starts

    monkeypatch.setattr("django_q.cluster.Cluster", no_cluster)
    with pytest.raises(ClusterNotStarted):
        call_command("qcluster")
    assert set(Schedule.objects.values_list("name", flat=True)) == EVERY_SCHEDULE
    assert Schedule.objects.get(name="sla-evaluate").minutes == 5


@pytest.mark.django_db
def test_a_cluster_start_queues_an_evaluation_instead_of_waiting_for_the_scheduler(monkeypatch):
    """django-q2 first looks for due schedules 30 s after a start: without this, a fresh
    install's banner said "no evaluation has completed yet" for a minute or more."""

    class StartedCluster:
        def __init__(self):
            self.sentinel = type("Sentinel", (), {"is_alive": lambda s: False})()

        def start(self):
            pass

        def stop(self):
            pass

    queued = []
    monkeypatch.setattr("django_q.cluster.Cluster", StartedCluster)
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *a, **k: queued.append(func))
    # Its stop must not reach this process: the stop flag would halt every later task here,
    # and its signal handlers would stay.
    monkeypatch.setattr("slaops.stopping.request_stop", lambda: None)
    monkeypatch.setattr("signal.signal", lambda *args: None)
    call_command("qcluster")
    assert queued == ["threads.tasks.evaluate"]
