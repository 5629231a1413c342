"""Random thread histories with teams, told on every path the clock rules serve: live through
the services (in order, or with one change delivered late), and as an import's line. Used by
test_properties.py; each path ends at NOW with a catch-up, and `outcome` reads its clocks."""

import json
from datetime import UTC, datetime, timedelta

import time_machine
from hypothesis import strategies as st

from accounts.models import Contact
from policies.models import Calendar, OpeningHours
from tests.factories import office_calendar, policy, tier
from tests.threads.teams.stories import team
from threads.clocks import attribution
from threads.clocks.measure import measure
from threads.importer import ImportReport
from threads.importer.run import Importer
from threads.models import EventKind, SlaClock, SlaEvent, Thread
from threads.services import (
    agent_reply,
    message_receive,
    thread_catch_up,
    thread_change,
    thread_create,
)

START = datetime(2026, 11, 23, 8, 40, tzinfo=UTC)  # a Monday, 9:40 in Berlin
NOW = START + timedelta(days=12)
# Gaps between changes: seconds apart (a team changed twice within a minute), minutes, and
# across evenings, nights and a weekend of the office calendar.
GAPS = [30, 45, 60, 300, 1020, 2700, 5400, 14_400, 36_000, 61_200]
AUTHORS = ["alex", "sam", "maria"]  # Frontline's member, Tier 2's, a manager in no team
STATUSES = ["open", "waiting_on_customer", "on_hold", "resolved", "closed"]
TEAMS = ["Frontline", "Tier 2", ""]

steps = st.one_of(
    st.tuples(st.just("customer_message"), st.booleans()),
    st.tuples(st.sampled_from(["agent_reply", "note"]), st.sampled_from(AUTHORS)),
    st.tuples(st.just("status"), st.sampled_from(STATUSES)),
    st.tuples(st.just("team"), st.sampled_from(TEAMS)),
)


@st.composite
def histories(draw, max_steps: int = 12) -> dict:
    """A thread's first team and its changes after the customer's first message, each at its
    own instant (strictly later than the one before)."""
    at, events = START, []
    for kind, value in draw(st.lists(steps, max_size=max_steps)):
        at += timedelta(seconds=draw(st.sampled_from(GAPS)))
        events.append(event(kind, value, at))
    return {
        "team": draw(st.sampled_from(TEAMS)),
        "office_hours": draw(st.booleans()),
        "events": events,
    }


def event(kind: str, value, at: datetime) -> dict:
    told = {"type": kind, "at": at.isoformat()}
    if kind == "customer_message":
        return {**told, "body": "hello", "needs_reply": value}
    if kind in ("agent_reply", "note"):
        return {**told, "body": "on it", "author": value}
    return {**told, kind: value, "reason": "told so"}


def configure(agent, other_agent, *, office_hours: bool) -> None:
    """A policy with every customer target (on office hours or around the clock), Frontline on
    the policy's calendar and Tier 2 on its own (long days in New York)."""
    tier("Free", default=True)
    policy(
        "Standard",
        calendar=office_calendar() if office_hours else None,
        targets=[
            ("first_response", "", 60),
            ("next_response", "", 120),
            ("resolution", "", 480),
            ("first_resolution", "", 240),
            ("periodic_update", "", 90),
        ],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer", "on_hold"],
        reply_resumes=["waiting_on_customer"],
    )
    team("Frontline", response=30, resolution=120, members=[agent])
    long_days = Calendar.objects.create(name="Tier 2 hours", time_zone="America/New_York")
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=long_days, weekday=d, opens="07:00", closes="21:00") for d in range(6)
    )
    team("Tier 2", response=60, resolution=240, members=[other_agent], calendar=long_days)
    Contact.objects.get_or_create(email="ann@example.com")


def import_line(number: int, history: dict) -> dict:
    first = {"type": "customer_message", "at": START.isoformat(), "body": "help"}
    return {
        "source": "legacy",
        "external_id": f"H-{number}",
        "subject": "Export fails",
        "contact_email": "ann@example.com",
        "team": history["team"],
        "created_at": START.isoformat(),
        "events": [first, *history["events"]],
    }


def imported(number: int, history: dict) -> Thread:
    with time_machine.travel(NOW, tick=False):
        lines = [json.dumps(import_line(number, history))]
        report = Importer(workers=1).run(lines, ImportReport())
    assert (report.imported, report.errors) == (1, [])
    return Thread.objects.get(source="legacy", external_id=f"H-{number}")


def tell(thread: Thread, told: dict, people: dict) -> None:
    """One change through the services, dated as it happened."""
    at = datetime.fromisoformat(told["at"])
    kind = told["type"]
    if kind == "customer_message":
        message_receive(
            thread=thread, body=told["body"], needs_reply=told["needs_reply"], created_at=at
        )
    elif kind in ("agent_reply", "note"):
        agent_reply(
            thread=thread,
            author=people[told["author"]],
            body=told["body"],
            public=kind == "agent_reply",
            created_at=at,
        )
    elif kind == "status":
        thread_change(thread=thread, status=told["status"], reason=told["reason"], at=at)
    else:
        name = told["team"]
        thread_change(thread=thread, team=people.get(name), reason=told["reason"], at=at)


def live(number: int, history: dict, people: dict, *, late: int | None = None) -> Thread:
    """The history through the services, each change at its own time; `late` (an index) is
    delivered last, after the others, as an integration's late webhook would be."""
    with time_machine.travel(START, tick=False):
        thread = thread_create(
            subject="Export fails",
            first_message="help",
            created_at=START,
            contact=Contact.objects.get(email="ann@example.com"),
            team=people.get(history["team"]),
            source="live",
            external_id=f"H-{number}-{late}",
        ).thread
    events = history["events"]
    thread.changes_lost = 0
    for index, told in enumerate(events):
        if index != late:
            with time_machine.travel(datetime.fromisoformat(told["at"]), tick=False):
                if late is not None and index > late and changes_nothing(thread, told, people):
                    thread.changes_lost += 1
                tell(thread, told, people)
    if late is not None:
        after = datetime.fromisoformat(events[-1]["at"]) + timedelta(minutes=1)
        with time_machine.travel(after, tick=False):
            tell(thread, events[late], people)
    with time_machine.travel(NOW, tick=False):
        thread_catch_up(thread=thread)
    return thread


def changes_nothing(thread: Thread, told: dict, people: dict) -> bool:
    """Would this change find the thread as it asks? Then it leaves no record, and a late
    change before it cannot make it count in a rebuild (the record is all a rebuild reads)."""
    now = Thread.objects.get(pk=thread.pk)
    if told["type"] == "status":
        return now.status == told["status"]
    if told["type"] == "team":
        wanted = people.get(told["team"])
        return now.team_id == (wanted.pk if wanted is not None else None)
    return False


def kept_clocks(thread: Thread) -> list[SlaClock]:
    """The thread's clocks, less those a rebuild found its history no longer starts."""
    withdrawn = {
        e.clock_id
        for e in SlaEvent.objects.filter(thread=thread, kind=EventKind.CORRECTED)
        if (e.details or {}).get("withdrawn") == "clock"
    }
    return [c for c in SlaClock.objects.filter(thread=thread) if c.pk not in withdrawn]


def outcome(thread: Thread) -> list[tuple]:
    """Clock by clock, what the paths must agree on (in start order)."""
    rows = []
    for clock in kept_clocks(thread):
        data = clock.attribution or {}
        rows.append(
            (
                clock.started_at,
                clock.metric,
                clock.team_id or 0,
                clock.cycle or 0,
                clock.state,
                clock.stopped_at,
                clock.due_at,
                clock.breached_at,
                clock.paused,
                clock.used,
                clock.reopens,
                data.get("parts") or {},
                data.get("holder"),
            )
        )
    thread = Thread.objects.get(pk=thread.pk)
    fields = (thread.status, thread.team_id, thread.policy_id, thread.update_cycles)
    return [fields, *sorted(rows, key=lambda row: row[:4])]


def whole_seconds_used(clock: SlaClock) -> tuple[int, int]:
    """What the clock's attribution adds up to at NOW, and its used time then (whole seconds)."""
    used, _ = measure(clock, NOW)
    shown = attribution.shares(clock, used, attribution.NO_TEAM)
    return sum(seconds for _, seconds in shown), int(used.total_seconds())
