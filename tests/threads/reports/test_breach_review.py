"""The breach review after an incident: every breach on its pages and in its CSV, none cut off."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import office_calendar
from tests.threads.reports.test_reports import csv_rows
from threads.models import ClockState, SlaClock, Thread
from threads.reports import queries as reports

pytestmark = [pytest.mark.django_db, pytest.mark.both]

INCIDENT = 1081  # breaches, as the incident that found the old 500-row cap had
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
QUERY = {"start": "2026-11-23", "end": "2026-11-29", "zone": "UTC"}
THREAD_LINK = re.compile(r'href="/threads/(\d+)/"')


@pytest.fixture
def incident(agent):
    """1,081 first-response breaches in one week, in bursts of 200 that breached at the very same
    instant (the pages must not lose or repeat rows that tie); the last 81 are still breaching."""
    calendar = office_calendar()
    threads = Thread.objects.bulk_create(
        Thread(subject=f"Outage report {n}", source="statuspage", external_id=f"sp-{n}")
        for n in range(INCIDENT)
    )
    clocks = []
    for n, thread in enumerate(threads):
        breached_at = datetime(2026, 11, 24, 10, tzinfo=UTC) + timedelta(hours=n // 200)
        still_breaching = n >= 1000
        clocks.append(
            SlaClock(
                thread=thread,
                metric="first_response",
                target_duration=timedelta(hours=1),
                calendar=calendar,
                started_at=breached_at - timedelta(hours=1),
                running_since=None if not still_breaching else breached_at - timedelta(hours=1),
                used=timedelta(hours=2),
                due_at=breached_at,
                breached_at=breached_at,
                state=ClockState.BREACHING if still_breaching else ClockState.BREACHED,
                stopped_at=None if still_breaching else breached_at + timedelta(hours=1),
                holder=agent,
            )
        )
    SlaClock.objects.bulk_create(clocks)
    return {t.pk for t in threads}


def review_page(client, **extra):
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("reports:compliance"), {**QUERY, **extra})
    body = response.content.decode()
    section = body[body.index('id="breaches"') :] if 'id="breaches"' in body else ""
    return response, body, [int(pk) for pk in THREAD_LINK.findall(section)]


def test_a_manager_exports_1081_breaches_and_gets_1081_rows(incident, client, manager):
    client.force_login(manager)

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("reports:compliance"), {**QUERY, "csv": "breaches"})
        rows = csv_rows(response)

    assert response.streaming
    assert rows[0][0] == "thread" and len(rows) == 1 + INCIDENT
    assert {int(row[0]) for row in rows[1:]} == incident
    assert sum(row[8] == ClockState.BREACHING for row in rows[1:]) == 81


def test_the_breach_csv_is_read_while_it_is_sent_not_before(incident, client, manager):
    """Streamed: the view returns before any breach is read; the rows are read in chunks as the
    download goes, so an export of any size holds one chunk in memory."""
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as before:
            response = client.get(reverse("reports:compliance"), {**QUERY, "csv": "breaches"})
        assert not any("threads_slaclock" in q["sql"] for q in before.captured_queries)
        chunks = list(response.streaming_content)
    assert len(chunks) == 1 + INCIDENT  # one line per row, written as each is read


def test_the_breach_review_pages_through_every_breach_and_counts_them_all(
    incident, client, manager
):
    client.force_login(manager)
    response, body, first = review_page(client)
    assert response.status_code == 200
    assert '<strong id="breach-count">1,081</strong>' in body
    assert "Breaches 1–100 of 1,081" in body and "the CSV has all 1,081" in body
    assert len(first) == reports.BREACH_PAGE_SIZE
    assert "page=2#breaches" in body and "page=11#breaches" in body

    seen = list(first)
    for number in range(2, 12):
        _, body, rows = review_page(client, page=number)
        seen += rows
    assert "Breaches 1,001–1,081 of 1,081" in body and len(rows) == 81
    assert len(seen) == INCIDENT and set(seen) == incident  # none lost, none repeated


def test_a_page_past_the_end_shows_the_last_page(incident, client, manager):
    client.force_login(manager)
    response, body, rows = review_page(client, page=99)
    assert response.status_code == 200 and len(rows) == 81
    assert 'aria-current="page">11<' in body


def test_the_filters_keep_their_values_in_the_page_links_but_not_the_page(
    incident, client, manager
):
    client.force_login(manager)
    _, body, _ = review_page(client, page=3, by="team")
    assert "by=team" in body and "page=3&amp;page" not in body and "page=3&page" not in body
    assert re.search(r'href="\?[^"]*csv=breaches"', body)
    assert not re.search(r'href="\?[^"]*page=3[^"]*csv=breaches"', body)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"page": "0"}, "Breach review page"),
        ({"page": "two"}, "Breach review page"),
        ({"page": "-1"}, "Breach review page"),
        ({"csv": "everything"}, "CSV table"),
    ],
)
def test_a_bad_page_or_table_is_refused_naming_it(client, manager, extra, named):
    client.force_login(manager)
    response, body, _ = review_page(client, **extra)
    assert response.status_code == 400
    assert named in body


def test_an_empty_range_says_so_without_pages(client, manager):
    client.force_login(manager)
    response, body, rows = review_page(client)
    assert response.status_code == 200 and rows == []
    assert "No breach in this range." in body and 'id="breach-pager"' not in body
