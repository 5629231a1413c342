"""What a manager reads on the report: people by their names, one way of writing a day, durations
a spreadsheet can add up, and charts that fill their card with their labels inside it."""

import re

import pytest
import time_machine
from django.urls import reverse

from tests.threads.reports import test_reports
from tests.threads.reports.test_reports import NOW, WEEK, csv_rows
from threads.reports import queries as reports
from threads.reports.charts import nice_top, rate_bars, trend_chart
from threads.reports.exports import minutes

pytestmark = [pytest.mark.django_db, pytest.mark.both]
history = test_reports.history  # the week worked out by hand
QUERY = {"start": "2026-11-23", "end": "2026-11-29", "zone": "Europe/Berlin", "by": "agent"}


@pytest.fixture
def named(other_agent):
    other_agent.first_name, other_agent.last_name = "Sam", "Okafor"
    other_agent.save(update_fields=["first_name", "last_name"])
    return other_agent


def report(client, **extra):
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("reports:compliance"), {**QUERY, **extra})


def test_the_breach_csv_has_late_as_minutes_beside_the_text(history, manager_client):
    rows = csv_rows(report(manager_client, csv="breaches"))
    header = rows[0]
    text, number = header.index("late (business time)"), header.index("late minutes")
    assert number == text + 1
    late = {(row[text], row[number]) for row in rows[1:]}
    assert ("2h", "120") in late and ("1h", "60") in late  # D's first response, C's resolution


def test_the_summary_csv_has_median_p90_and_paused_as_minutes(history, manager_client):
    rows = csv_rows(report(manager_client, csv="summary"))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["median business time"], first["median minutes"]) == ("1h 10m", "70")
    assert (first["p90 business time"], first["p90 minutes"]) == ("2h 33m", "153")
    resolution = dict(zip(rows[0], rows[2], strict=True))
    assert resolution["time paused minutes"] == "60"


def test_minutes_are_numbers_a_spreadsheet_keeps():
    from datetime import timedelta

    assert minutes(timedelta(hours=47, minutes=30)) == 2850
    assert minutes(timedelta(seconds=90)) == 1.5
    assert minutes(None) == ""


def test_agents_appear_by_their_names_in_the_breakdown_and_the_breach_review(
    history, manager_client, agent, named
):
    body = report(manager_client).content.decode()
    assert "Sam Okafor" in body and agent.username in body  # Alex has no name: the username
    assert f">{named.username}<" not in body
    rows = csv_rows(report(manager_client, csv="breaches"))
    assert {row[3] for row in rows[1:]} == {"Sam Okafor", agent.username}
    labels = {r.label for r in reports.breakdown(WEEK, "agent")}
    assert labels == {"Sam Okafor", agent.username}


def test_every_day_on_the_page_is_written_one_way(history, manager_client):
    body = report(manager_client, per="day").content.decode()
    assert "Mon 23 Nov 2026" in body and "Sun 29 Nov 2026" in body  # the range
    assert "Wed 25 Nov 2026" in body  # a trend row
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\. \d", body)
    assert not re.search(r"\d{4}-\d{2}-\d{2}</td>", body)


def test_the_tables_keep_their_headings_on_a_phone(history, manager_client):
    body = report(manager_client).content.decode()
    for cell in re.findall(r"<td(?![^>]*class=\"(?:lead|empty)\")[^>]*>", body):
        assert "data-label=" in cell, cell


def test_the_charts_fill_their_card_and_keep_their_labels_inside():
    bars = rate_bars([("A policy with a long, long name", 0.5, 4), ("Other", None, 0)])
    assert 'width="100%"' in bars and "viewBox" not in bars
    assert "A policy with a long, long name" in bars  # not cut to 24 characters
    assert 'class="legend"' in bars and "<figcaption" in bars  # under the chart, not on it
    trend = trend_chart([("23 Nov", "Mon 23 Nov 2026", 3, 1, 0.75), ("24 Nov", "", 0, 0, None)])
    assert 'width="100%"' in trend and "Mon 23 Nov 2026: 3 achieved, 1 breached, 75%" in trend
    xs = [float(x) for x in re.findall(r'x="(-?[\d.]+)%"', bars + trend)]
    assert xs and all(0 <= x <= 100 for x in xs)


@pytest.mark.parametrize(("value", "top"), [(0, 4), (3, 4), (5, 8), (9, 20), (41, 80), (130, 200)])
def test_the_trend_scale_ends_on_a_round_number(value, top):
    assert nice_top(value) == top
