"""Heartbeats: what the evaluator and a task cluster leave behind for /status and the probes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slaops.health import heartbeats
from slaops.models import Heartbeat
from threads import tasks

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_each_completed_evaluator_tick_beats(settings):
    settings.SLA_TICK_SECONDS = 0  # one tick per run
    with time_machine.travel(NOW, tick=False):
        tasks.evaluate()
    assert heartbeats.last_beat(heartbeats.EVALUATOR) == NOW


def test_a_tick_that_fails_does_not_beat(monkeypatch):
    import threads.evaluator

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(threads.evaluator, "evaluate", broken)
    with pytest.raises(RuntimeError):
        tasks.evaluate()
    assert heartbeats.last_beat(heartbeats.EVALUATOR) is None


def test_a_cluster_beats_its_row_and_its_file_and_forgets_both_on_a_clean_stop(settings, tmp_path):
    settings.SLA_CLUSTER_HEARTBEAT_FILE = str(tmp_path / "alive")
    settings.SLA_CLUSTER_BEAT_SECONDS = 15
    cluster = heartbeats.ClusterHeartbeat()
    with time_machine.travel(NOW, tick=False) as traveller:
        cluster.beat_if_due(100.0)
        assert heartbeats.last_beats("cluster:") == {cluster.name: NOW}
        assert (tmp_path / "alive").exists()
        traveller.shift(timedelta(seconds=5))
        cluster.beat_if_due(105.0)  # not yet due: no write
        assert heartbeats.last_beat(cluster.name) == NOW
        cluster.beat_if_due(115.0)
        assert heartbeats.last_beat(cluster.name) == NOW + timedelta(seconds=5)
    cluster.stopped()
    assert not Heartbeat.objects.exists() and not (tmp_path / "alive").exists()


def test_a_cluster_silent_for_a_day_is_forgotten(settings, tmp_path):
    settings.SLA_CLUSTER_HEARTBEAT_FILE = str(tmp_path / "alive")
    heartbeats.beat("cluster:deadbeef", at=NOW - timedelta(days=1, seconds=1))
    heartbeats.beat("cluster:0badcafe", at=NOW - timedelta(hours=23))
    with time_machine.travel(NOW, tick=False):
        cluster = heartbeats.ClusterHeartbeat()
        cluster.beat_if_due(0.0)
    assert set(heartbeats.last_beats("cluster:")) == {"cluster:0badcafe", cluster.name}


def test_the_heartbeat_names_no_host():
    import socket

    assert socket.gethostname() not in heartbeats.ClusterHeartbeat().name
