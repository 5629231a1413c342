"""Importing history: the same clocks and events live traffic would have produced."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Account, Contact
from tests.factories import office_calendar, policy, tier
from threads.models import EventKind, Message, SlaClock, SlaEvent, Thread
from threads.services import (
    agent_reply,
    message_receive,
    thread_catch_up,
    thread_create,
    thread_set_status,
    thread_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 12, tzinfo=BERLIN)
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "threads.jsonl"


@pytest.fixture
def standard(agent):
    tier("Free", default=True)
    return policy(
        "Standard",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("next_response", "", 120), ("resolution", "", 480)],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer"],
    )


def t(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


STORY = {
    "source": "legacy",
    "external_id": "L-1",
    "subject": "Printer on fire",
    "contact_email": "ann@example.com",
    "priority": "normal",
    "created_at": t(23, 10).isoformat(),
    "events": [
        {"type": "customer_message", "at": t(23, 10).isoformat(), "body": "help"},
        {"type": "agent_reply", "at": t(23, 11, 30).isoformat(), "author": "alex", "body": "hi"},
        {"type": "customer_message", "at": t(23, 12).isoformat(), "body": "still"},
        {"type": "priority", "at": t(23, 12, 30).isoformat(), "priority": "high"},
        {
            "type": "status",
            "at": t(23, 13).isoformat(),
            "status": "waiting_on_customer",
            "reason": "logs",
        },
        {"type": "customer_message", "at": t(24, 9).isoformat(), "body": "logs attached"},
        {"type": "status", "at": t(24, 9, 30).isoformat(), "status": "open"},
    ],
}


def write(tmp_path, *rows, raw=()):
    path = tmp_path / "threads.jsonl"
    path.write_text("".join([json.dumps(r) + "\n" for r in rows] + [r + "\n" for r in raw]))
    return path


def outcome(thread):
    clocks = [
        (c.metric, c.state, c.started_at, c.due_at, c.used, c.stopped_at)
        for c in SlaClock.objects.filter(thread=thread).order_by("started_at", "metric")
    ]
    events = [
        (e.kind, e.at, e.clock.metric if e.clock else None)
        for e in SlaEvent.objects.filter(thread=thread).order_by("at", "id")
    ]
    return clocks, sorted(events, key=lambda e: (e[1], e[0]))


def live_story(agent, *, external_id, each_at_its_time):
    """STORY told through the services: each change delivered at its own time (live traffic),
    or all of them delivered at NOW with their times (an integration's backfill)."""

    def when(at):
        return time_machine.travel(at if each_at_its_time else NOW, tick=False)

    with when(t(23, 10)):
        thread = thread_create(
            subject="Printer on fire",
            first_message="help",
            created_at=t(23, 10),
            contact=Contact.objects.get(email="ann@example.com"),
            source="live",
            external_id=external_id,
        ).thread
    with when(t(23, 11, 30)):
        agent_reply(thread=thread, author=agent, body="hi", created_at=t(23, 11, 30))
    with when(t(23, 12)):
        message_receive(thread=thread, body="still", created_at=t(23, 12))
    with when(t(23, 12, 30)):
        thread_update(thread=thread, priority="high", at=t(23, 12, 30))
    with when(t(23, 13)):
        thread_set_status(thread=thread, status="waiting_on_customer", reason="logs", at=t(23, 13))
    with when(t(24, 9)):
        message_receive(thread=thread, body="logs attached", created_at=t(24, 9))
    with when(t(24, 9, 30)):
        thread_set_status(thread=thread, status="open", at=t(24, 9, 30))
    return thread


def test_import_replays_exactly_what_live_traffic_would_have_produced(standard, agent, tmp_path):
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, STORY)))
    imported = Thread.objects.get(external_id="L-1")

    thread = live_story(agent, external_id="L-1", each_at_its_time=True)
    with time_machine.travel(NOW, tick=False):
        thread_catch_up(thread=thread)

    assert outcome(imported) == outcome(thread)
    clocks = outcome(imported)[0]
    assert ("first_response", "breached") in [(c[0], c[1]) for c in clocks]
    assert imported.messages.count() == 4
    assert SlaEvent.objects.filter(thread=imported, historical=False).count() == 0


def test_a_backfill_pushed_through_the_api_after_the_fact_ends_with_the_imports_clocks(
    standard, agent, tmp_path
):
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, STORY)))
    imported = Thread.objects.get(external_id="L-1")
    pushed = live_story(agent, external_id="L-1", each_at_its_time=False)
    assert outcome(pushed)[0] == outcome(imported)[0]
    # What the first pushes had recorded ahead of the later ones is corrected, not rewritten.
    assert SlaEvent.objects.filter(thread=pushed, kind=EventKind.CORRECTED).exists()


def test_the_sample_file_imports_and_a_rerun_changes_nothing(standard, tmp_path, capsys):
    call_command("seed_demo")
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(SAMPLE))
        counts = [m.objects.count() for m in (Thread, Message, SlaClock, SlaEvent, Contact)]
        call_command("import_threads", str(SAMPLE))
    assert [m.objects.count() for m in (Thread, Message, SlaClock, SlaEvent, Contact)] == counts
    assert Thread.objects.filter(source="helpdesk").count() == 5
    out = capsys.readouterr().out
    assert "0 threads imported, 5 already there" in out


def test_bad_lines_are_reported_with_their_number_and_skipped(standard, tmp_path, capsys):
    naive = {**STORY, "external_id": "L-2", "created_at": "2026-11-23T10:00:00"}
    unknown = {**STORY, "external_id": "L-3", "priority": "asap"}
    no_author = {
        **STORY,
        "external_id": "L-4",
        "events": [STORY["events"][0], {**STORY["events"][1], "author": "nobody"}],
    }
    path = write(tmp_path, STORY, naive, unknown, no_author, raw=["{not json", "[1, 2]"])
    with pytest.raises(SystemExit) as exit_code, time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(path))
    assert exit_code.value.code == 1
    err = capsys.readouterr().err
    assert "line 2: created_at: '2026-11-23T10:00:00' has no UTC offset" in err
    assert "line 3: priority: 'asap' is not one of" in err
    assert "line 4: events[1].author: no events[1].author named 'nobody'" in err
    assert "line 5: not valid JSON" in err
    assert "line 6: each line must be a JSON object" in err
    assert list(Thread.objects.values_list("external_id", flat=True)) == ["L-1"]


def test_an_unreadable_file_exits_with_one_line(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_threads", str(tmp_path / "missing.jsonl"))


def test_imported_contacts_join_their_account(standard, tmp_path):
    Account.objects.create(name="Acme", email_domains=["acme.de"])
    row = {**STORY, "account": "Acme", "contact_email": "Jo@Acme.de"}
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, row)))
    contact = Contact.objects.get(email="jo@acme.de")
    assert contact.account.name == "Acme"
    assert Thread.objects.get().account.name == "Acme"


def test_imported_contacts_belong_to_the_source_of_their_thread(standard, tmp_path):
    # So the source's integration key reads them, and no other key does.
    Contact.objects.create(email="known@example.com")  # a person added them: stays so
    rows = [STORY, {**STORY, "external_id": "L-2", "contact_email": "known@example.com"}]
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, *rows)))
    sources = dict(Contact.objects.values_list("email", "source"))
    assert sources == {"ann@example.com": "legacy", "known@example.com": ""}


def test_history_before_a_pause_counts_toward_resolution(standard, tmp_path):
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, STORY)))
    resolution = SlaClock.objects.get(metric="resolution")
    # Mon 10-13 (3h) counted, paused until the customer's answer ended the wait at Tue 09:00:
    # 5h left from Tue 09:00 → Tue 14:00.
    assert resolution.due_at == t(24, 14)
    assert resolution.used == timedelta(hours=3)


def test_a_line_dated_before_its_thread_or_in_the_future_is_reported_and_the_rest_imported(
    standard, tmp_path, capsys
):
    def line(external_id, created_at=STORY["created_at"], **event):
        first = {**STORY["events"][0], "at": created_at, **event}
        return {**STORY, "external_id": external_id, "created_at": created_at, "events": [first]}

    rows = [
        line("early", at=t(23, 9).isoformat()),
        line("ahead", at=(NOW + timedelta(minutes=10)).isoformat()),
        line("opened-ahead", created_at=(NOW + timedelta(hours=1)).isoformat()),
        line("year-9999", created_at="9999-12-31T23:59:59-05:00"),
        line("year-1990", created_at="1990-01-01T00:00:00Z"),
        line("no-such-day", created_at="2026-02-30T10:00:00Z"),
        line("fine"),
    ]
    with pytest.raises(SystemExit), time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, *rows)))
    err = capsys.readouterr().err
    assert "line 1: events[0].at: 2026-11-23T09:00:00+01:00 is before the thread was opened" in err
    assert "line 2: events[0].at: " in err and "is in the future" in err
    assert "line 3: created_at: " in err and "is in the future" in err
    assert "line 4: created_at: " in err and "is in the future" in err
    assert "line 5: created_at: 1990-01-01T00:00:00+00:00 is before 2000-01-01" in err
    assert "line 6: created_at: '2026-02-30T10:00:00Z' is not an ISO 8601 time" in err
    assert list(Thread.objects.values_list("external_id", flat=True)) == ["fine"]


def test_imported_manual_actions_keep_who_and_why(standard, agent, tmp_path):
    row = {
        **STORY,
        "events": [
            STORY["events"][0],
            {"type": "assignee", "at": t(23, 10, 1).isoformat(), "assignee": "alex"},
            {
                "type": "no_reply_needed",
                "at": t(23, 10, 5).isoformat(),
                "actor": "alex",
                "reason": "customer said thanks",
            },
        ],
    }
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, row)))
    marked = SlaEvent.objects.get(kind="no_reply_needed")
    assert (marked.actor, marked.details["reason"]) == (agent, "customer said thanks")
    cancelled = SlaEvent.objects.get(kind="cancelled")
    assert (cancelled.actor, cancelled.clock.metric) == (agent, "first_response")
    assigned = SlaEvent.objects.get(kind="thread_changed", details__field="assignee")
    assert (assigned.details["old"], assigned.details["new"]) == (None, agent.pk)


def test_an_imported_no_reply_needed_past_due_is_a_breach(standard, tmp_path):
    late = {"type": "no_reply_needed", "at": t(26, 10).isoformat(), "actor": "alex"}
    row = {**STORY, "events": [STORY["events"][0], late]}
    with time_machine.travel(NOW, tick=False):
        call_command("import_threads", str(write(tmp_path, row)))
    assert SlaClock.objects.get(metric="first_response").state == "breached"
