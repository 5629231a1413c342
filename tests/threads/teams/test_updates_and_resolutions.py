"""Periodic updates, first against full resolution and reopens, told with the time frozen at each
step (docs/rules.md, "Periodic update" and "First and full resolution")."""

import pytest

from policies.models import SlaTarget
from tests.threads.teams.stories import around_the_clock, at, clocks, opened, seconds
from threads.models import ClockState, EventKind, SlaEvent
from threads.services import (
    agent_reply,
    message_receive,
    thread_catch_up,
    thread_reopen,
    thread_resolve,
    thread_set_status,
    thread_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]
EVERY = [
    ("first_response", "", 60),
    ("resolution", "", 480),
    ("first_resolution", "", 240),
    ("periodic_update", "", 60),
]


def reply(thread, agent, minutes, public=True):
    with at(minutes):
        agent_reply(thread=thread, author=agent, body="news", public=public)


def cycles(thread):
    return [(c.cycle, c.state) for c in clocks(thread, "periodic_update")]


def test_no_update_cycle_runs_before_the_first_public_reply(agent):
    around_the_clock(targets=EVERY)
    thread = opened()
    reply(thread, agent, 10, public=False)
    assert cycles(thread) == []
    reply(thread, agent, 20)
    (first,) = clocks(thread, "periodic_update")
    assert (first.cycle, first.started_at, first.is_running) == (1, first.started_at, True)
    assert first.due_at == first.started_at + first.target_duration


def test_each_public_reply_stops_the_cycle_and_starts_the_next(agent):
    around_the_clock(targets=EVERY)
    thread = opened()
    reply(thread, agent, 10)
    reply(thread, agent, 40)
    reply(thread, agent, 60, public=False)  # an internal note is no update
    reply(thread, agent, 90)
    assert cycles(thread) == [
        (1, ClockState.ACHIEVED),
        (2, ClockState.ACHIEVED),
        (3, ClockState.PENDING),
    ]
    second = clocks(thread, "periodic_update")[1]
    assert (second.used.total_seconds(), second.stopped_at) == (50 * 60, second.stopped_at)
    thread.refresh_from_db()
    assert thread.update_cycles == 3


def test_a_late_cycle_breaches_once_and_runs_until_the_next_reply(agent):
    around_the_clock(targets=EVERY)
    thread = opened()
    reply(thread, agent, 10)
    for minutes in (80, 200, 400):  # the evaluator's ticks, long after the cycle was due
        with at(minutes):
            thread_catch_up(thread=thread)
    (late,) = clocks(thread, "periodic_update")
    assert late.state == ClockState.BREACHING and late.is_running
    breaches = SlaEvent.objects.filter(clock=late, kind=EventKind.BREACHING)
    assert breaches.count() == 1
    reply(thread, agent, 420)
    assert cycles(thread) == [(1, ClockState.BREACHED), (2, ClockState.PENDING)]


def test_an_update_cycle_pauses_with_the_pause_statuses(agent, manager):
    around_the_clock(targets=EVERY)
    thread = opened()
    reply(thread, agent, 10)
    with at(30):
        thread_set_status(thread=thread, status="on_hold", actor=manager, reason="vendor")
    with at(300):
        thread_set_status(thread=thread, status="open", actor=manager)
    (cycle,) = clocks(thread, "periodic_update")
    assert cycle.state == ClockState.PENDING and not cycle.paused
    assert cycle.used.total_seconds() == 20 * 60
    assert cycle.due_at == cycle.running_since + cycle.target_duration - cycle.used


def test_a_public_reply_while_paused_starts_the_next_cycle_paused(agent, manager):
    around_the_clock(targets=EVERY)
    thread = opened()
    reply(thread, agent, 10)
    with at(20):
        thread_set_status(thread=thread, status="on_hold", actor=manager, reason="vendor")
    reply(thread, agent, 50)
    first, second = clocks(thread, "periodic_update")
    assert first.state == ClockState.ACHIEVED and first.used.total_seconds() == 10 * 60
    assert second.paused and second.cycle == 2


def test_resolve_stops_the_cycle_and_after_a_reopen_none_runs_until_the_next_reply(agent, manager):
    around_the_clock(targets=EVERY)
    thread = opened()
    reply(thread, agent, 10)
    with at(30):
        thread_resolve(thread=thread, actor=manager)
    assert cycles(thread) == [(1, ClockState.ACHIEVED)]
    with at(60):
        message_receive(thread=thread, body="it is back")  # reopens
    with at(200):
        thread_catch_up(thread=thread)
    assert cycles(thread) == [(1, ClockState.ACHIEVED)]
    reply(thread, agent, 210)
    assert cycles(thread) == [(1, ClockState.ACHIEVED), (2, ClockState.PENDING)]


def test_first_resolution_stops_at_the_first_resolve_and_never_restarts(manager):
    around_the_clock(targets=EVERY)
    thread = opened()
    with at(30):
        thread_resolve(thread=thread, actor=manager)
    with at(60):
        thread_reopen(thread=thread, actor=manager)
    with at(100):
        thread_resolve(thread=thread, actor=manager)
    with at(120):
        thread_reopen(thread=thread, actor=manager)
    (first,) = clocks(thread, "first_resolution")
    (full,) = clocks(thread, "resolution")
    assert (first.state, first.used.total_seconds(), first.reopens) == (
        ClockState.ACHIEVED,
        30 * 60,
        0,
    )
    assert full.is_running and full.reopens == 2
    assert full.used.total_seconds() == 70 * 60


def test_first_resolution_without_a_full_resolution_target_still_runs_once(manager, other_agent):
    around_the_clock(targets=[t for t in EVERY if t[0] != "resolution"])
    thread = opened()
    with at(10):  # a re-match (a new priority) starts no second first resolution
        thread_update(thread=thread, priority="high", actor=manager)
    with at(30):
        thread_resolve(thread=thread, actor=manager)
    with at(60):
        thread_reopen(thread=thread, actor=manager)
    with at(90):
        thread_update(thread=thread, assignee=other_agent, priority="urgent", actor=manager)
    assert [(c.state, c.stopped_at is not None) for c in clocks(thread, "first_resolution")] == [
        (ClockState.ACHIEVED, True)
    ]
    assert clocks(thread, "resolution") == []


def test_first_resolution_starts_when_a_rematch_first_gives_the_thread_a_policy(manager):
    policy = around_the_clock(targets=EVERY, priorities=["urgent"])
    assert SlaTarget.objects.filter(policy=policy).count() == len(EVERY)
    thread = opened()
    assert clocks(thread, "first_resolution") == []
    with at(10):
        thread_update(thread=thread, priority="urgent", actor=manager)
    (first,) = clocks(thread, "first_resolution")
    assert first.started_at == first.started_at and first.is_running


def test_resolution_time_goes_to_no_team_and_not_to_the_pause(agent, manager):
    around_the_clock(targets=EVERY)
    thread = opened()
    with at(20):
        thread_set_status(thread=thread, status="on_hold", actor=manager, reason="vendor")
    with at(80):
        thread_set_status(thread=thread, status="open", actor=manager)
    with at(100):
        thread_resolve(thread=thread, actor=manager)
    assert seconds(clocks(thread, "first_resolution")[0]) == {"no_team": 40 * 60}
