"""The import's fast replay (plain objects, rows by COPY) ends with exactly the clocks and events
the live services give the same history told at its own times, and the rows the import wrote on
model instances before."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Contact, Team
from policies.models import EscalationLevel
from tests.factories import office_calendar, policy, tier
from threads.importer import ImportReport, read_lines
from threads.importer.run import Importer, ModelImporter
from threads.models import Message, SlaClock, SlaEvent, Thread
from threads.services import (
    agent_reply,
    message_receive,
    thread_catch_up,
    thread_create,
    thread_mark_no_reply_needed,
    thread_set_status,
    thread_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 12, tzinfo=BERLIN)


def t(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def customer(at, body="hello", **fields):
    return {"type": "customer_message", "at": at.isoformat(), "body": body, **fields}


def reply(at, body="on it", **fields):
    return {"type": "agent_reply", "at": at.isoformat(), "author": "alex", "body": body, **fields}


def change(kind, at, value=None, **fields):
    event = {"type": kind, "at": at.isoformat(), **fields}
    if value is not None:
        event[kind] = value
    return event


HISTORIES = {
    "paused, the customer's answer ends the wait, resolved": [
        customer(t(23, 10)),
        reply(t(23, 10, 30)),
        change("status", t(23, 10, 31), "waiting_on_customer", reason="logs"),
        customer(t(24, 11), "logs"),
        reply(t(24, 15)),
        change("status", t(24, 15, 1), "resolved"),
    ],
    "resolved, reopened by the customer, answered late": [
        customer(t(23, 9, 15)),
        reply(t(23, 9, 45)),
        change("status", t(23, 9, 50), "resolved"),
        customer(t(24, 16), "it is back"),
        {"type": "note", "at": t(25, 10).isoformat(), "author": "alex", "body": "looking"},
        reply(t(26, 12)),
    ],
    "priority raised, then moved to a team with its own policy": [
        customer(t(23, 11)),
        change("priority", t(23, 11, 5), "urgent", actor="alex", reason="down"),
        change("team", t(23, 11, 20), "Platform"),
        reply(t(23, 14)),
        customer(t(24, 9)),
    ],
    "no reply needed, then never answered: breached and escalated in the past": [
        customer(t(23, 10)),
        change("no_reply_needed", t(23, 10, 10), actor="alex", reason="thanks"),
        customer(t(25, 10), "are you there?"),
        change("assignee", t(25, 10, 5), "alex"),
    ],
    "waiting on the customer, then on hold until now": [
        customer(t(27, 16)),
        reply(t(27, 16, 20), public=False),
        reply(t(27, 16, 40)),
        change("status", t(27, 16, 41), "waiting_on_customer", reason="screenshot"),
        customer(t(28, 10), "auto reply", automatic=True),
        change("status", t(28, 11), "on_hold", reason="vendor"),
        customer(t(28, 12), "any news?"),
    ],
}
STORIES = list(HISTORIES.values())


@pytest.fixture
def policies(agent):
    tier("Free", default=True)
    platform = Team.objects.create(name="Platform")
    standard = policy(
        "Standard",
        calendar=office_calendar(),
        targets=[
            ("first_response", "", 60),
            ("first_response", "urgent", 20),
            ("next_response", "", 120),
            ("resolution", "", 480),
        ],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer", "on_hold"],
        reply_resumes=["waiting_on_customer"],
    )
    EscalationLevel.objects.create(
        policy=standard, level=1, after=timedelta(minutes=30), raise_priority="high"
    )
    team_policy = policy(
        "Platform",
        order=5,
        targets=[("first_response", "", 240), ("resolution", "", 960)],
        thresholds=[("percent_used", 75)],
    )
    team_policy.teams.set([platform])
    Contact.objects.create(email="ann@example.com")
    return platform


def line(number: int, events: list) -> dict:
    return {
        "source": "legacy",
        "external_id": f"L-{number}",
        "subject": f"Story {number}",
        "contact_email": "ann@example.com",
        "created_at": events[0]["at"],
        "events": events,
    }


def told_live(number: int, events: list, agent, team: Team) -> Thread:
    """The history through the services, each change delivered at its own time."""
    thread = None
    for event in events:
        at = datetime.fromisoformat(event["at"])
        with time_machine.travel(at, tick=False):
            kind = event["type"]
            actor = agent if event.get("actor") else None
            if thread is None:
                thread = thread_create(
                    subject=f"Story {number}",
                    first_message=event["body"],
                    created_at=at,
                    contact=Contact.objects.get(email="ann@example.com"),
                    source="live",
                    external_id=f"L-{number}",
                ).thread
            elif kind == "customer_message":
                message_receive(
                    thread=thread,
                    body=event["body"],
                    created_at=at,
                    automatic=event.get("automatic", False),
                )
            elif kind in ("agent_reply", "note"):
                public = kind == "agent_reply" and event.get("public", True)
                agent_reply(
                    thread=thread, author=agent, body=event["body"], public=public, created_at=at
                )
            elif kind == "status":
                reason = event.get("reason", "")
                thread_set_status(
                    thread=thread, status=event["status"], reason=reason, at=at, actor=actor
                )
            elif kind == "no_reply_needed":
                thread_mark_no_reply_needed(
                    thread=thread, actor=actor, reason=event.get("reason", ""), at=at
                )
            else:
                value = {"team": team, "assignee": agent}.get(kind, event.get(kind))
                reason = event.get("reason", "")
                thread_update(thread=thread, at=at, actor=actor, reason=reason, **{kind: value})
    with time_machine.travel(NOW, tick=False):
        thread_catch_up(thread=thread)
    return thread


CLOCK_FIELDS = [
    "metric",
    "state",
    "started_at",
    "due_at",
    "warn_at",
    "used",
    "stopped_at",
    "breached_at",
    "paused",
    "paused_for",
    "warnings_passed",
    "escalations_fired",
    "escalate_at",
    "target_duration",
    "zone",
    "holder_id",
]


def outcome(thread: Thread):
    thread = Thread.objects.get(pk=thread.pk)
    clocks = list(
        SlaClock.objects.filter(thread=thread)
        .order_by("started_at", "metric")
        .values_list(*CLOCK_FIELDS)
    )
    events = sorted(
        (e.at, e.kind, e.clock.metric if e.clock else None, e.actor_id, json.dumps(e.details))
        for e in SlaEvent.objects.filter(thread=thread).select_related("clock")
    )
    fields = (thread.status, thread.priority, thread.team_id, thread.policy_id, thread.tier_id)
    return fields, clocks, events


@pytest.mark.parametrize("story", list(HISTORIES))
def test_the_fast_replay_ends_as_live_traffic_told_at_its_times(story, policies, agent, tmp_path):
    number = list(HISTORIES).index(story) + 1
    events = HISTORIES[story]
    path = tmp_path / "threads.jsonl"
    path.write_text(json.dumps(line(number, events)) + "\n")
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(path))
    imported = Thread.objects.get(source="legacy")
    live = told_live(number, events, agent, policies)
    assert outcome(imported) == outcome(live)
    assert not SlaEvent.objects.filter(thread=imported, historical=False).exists()


def test_plain_rows_are_the_rows_model_instances_gave(policies, tmp_path):
    path = tmp_path / "threads.jsonl"
    path.write_text("".join(json.dumps(line(n, e)) + "\n" for n, e in enumerate(STORIES)))

    def imported(importer_type):
        with time_machine.travel(NOW, tick=False):
            report = importer_type(workers=1).run(read_lines(path), ImportReport())
        assert (report.imported, report.errors) == (len(HISTORIES), [])
        rows = [outcome(thread) for thread in Thread.objects.order_by("external_id")]
        messages = list(
            Message.objects.order_by("thread__external_id", "created_at").values_list(
                "thread__external_id", "author_kind", "author_user", "contact", "public", "body"
            )
        )
        Thread.objects.all().delete()
        return rows, messages

    assert imported(Importer) == imported(ModelImporter)


def test_the_stories_take_every_turn_the_rules_have(policies, tmp_path):
    path = tmp_path / "threads.jsonl"
    path.write_text("".join(json.dumps(line(n, e)) + "\n" for n, e in enumerate(STORIES)))
    with time_machine.travel(NOW, tick=False):
        Importer(workers=1).run(read_lines(path), ImportReport())
    kinds = set(SlaEvent.objects.values_list("kind", flat=True))
    assert kinds >= {
        "started",
        "warning",
        "breaching",
        "escalated",
        "breached",
        "achieved",
        "cancelled",
        "paused",
        "resumed",
        "retargeted",
        "customer_wrote_while_paused",
        "no_reply_needed",
        "thread_changed",
    }, kinds
