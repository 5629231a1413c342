"""The evaluator's chain: one run ticks every few seconds and queues its successor itself, so
alerts never wait for the scheduler; the one-minute schedule only takes over a quiet chain."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slaops.models import Heartbeat
from threads import evaluator_chain, tasks

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def chained(settings, monkeypatch):
    """Ticks every 5 s; a run lasts one tick (timeout 20 s); pauses and hand-overs recorded."""
    settings.SLA_TICK_SECONDS = 5
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 20}
    handed = []
    ticks = []
    monkeypatch.setattr(evaluator_chain, "hand_over", handed.append)
    monkeypatch.setattr("slaops.stopping.pause", lambda seconds: True)

    import threads.evaluator

    original = threads.evaluator.evaluate

    def counted(**kwargs):
        ticks.append(1)
        return original(**kwargs)

    monkeypatch.setattr(threads.evaluator, "evaluate", counted)
    return handed, ticks


def chain_at():
    return Heartbeat.objects.get(name=evaluator_chain.CHAIN).at


def test_a_run_ticks_and_queues_its_successor_at_once_with_the_chain_it_holds(chained):
    handed, ticks = chained
    with time_machine.travel(NOW, tick=False):
        tasks.evaluate()
    assert ticks == [1]
    assert handed == [NOW] == [chain_at()]


def test_the_successor_ticks_and_hands_on_in_turn(chained):
    handed, ticks = chained
    with time_machine.travel(NOW, tick=False) as traveller:
        tasks.evaluate()
        traveller.shift(timedelta(seconds=1))
        tasks.evaluate(chain_at=handed[-1])
    assert len(ticks) == 2
    assert handed == [NOW, NOW + timedelta(seconds=1)]


def test_a_scheduled_run_does_nothing_while_the_chain_ticks(chained):
    handed, ticks = chained
    with time_machine.travel(NOW, tick=False) as traveller:
        tasks.evaluate()
        traveller.shift(timedelta(seconds=20))
        said = tasks.evaluate()  # the one-minute schedule's run
    assert said == "the evaluator chain ticks in another run"
    assert len(ticks) == 1 and len(handed) == 1


def test_a_scheduled_run_takes_over_a_chain_quiet_for_30_s(chained):
    handed, ticks = chained
    with time_machine.travel(NOW, tick=False) as traveller:
        tasks.evaluate()  # its successor is lost with a killed cluster
        traveller.shift(timedelta(seconds=31))
        tasks.evaluate()
    assert len(ticks) == 2
    assert handed[-1] == NOW + timedelta(seconds=31) == chain_at()


def test_a_successor_whose_chain_was_taken_over_does_not_tick(chained):
    handed, ticks = chained
    with time_machine.travel(NOW, tick=False) as traveller:
        tasks.evaluate()
        traveller.shift(timedelta(seconds=31))
        tasks.evaluate()  # the schedule took the chain over
        said = tasks.evaluate(chain_at=handed[0])  # the late successor of the first run
    assert said == "the evaluator chain ticks in another run"
    assert len(ticks) == 2 and len(handed) == 2


def test_a_holder_stops_at_its_next_tick_once_another_run_took_the_chain(
    chained, settings, monkeypatch
):
    handed, ticks = chained
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 30}  # room for two ticks

    def taken_over(seconds):
        Heartbeat.objects.filter(name=evaluator_chain.CHAIN).update(at=NOW - timedelta(hours=1))
        return True

    monkeypatch.setattr("slaops.stopping.pause", taken_over)
    with time_machine.travel(NOW, tick=False):
        said = tasks.evaluate()
    assert said.endswith("the chain was taken over")
    assert len(ticks) == 2 and handed == []


def test_no_chain_with_one_tick_per_scheduled_run(chained, settings):
    handed, ticks = chained
    settings.SLA_TICK_SECONDS = 0
    with time_machine.travel(NOW, tick=False):
        tasks.evaluate()
        tasks.evaluate()
    assert len(ticks) == 2 and handed == []
    assert not Heartbeat.objects.filter(name=evaluator_chain.CHAIN).exists()
