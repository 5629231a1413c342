"""Clock times as an agent reads them on the queue and the thread page: seconds in the last
minute, "due now" at the due instant and counting up overdue from the next second, the due time
written out, and when a clock frozen outside business hours starts again. Policy: first response
60 min, Mon–Fri 09–17 Berlin; Alex reads Berlin time."""

from datetime import timedelta

import pytest

from tests.threads.pages.helpers import at, berlin, get, html, open_thread, running_rows
from threads import services
from threads.evaluator import evaluate
from threads.templatetags.agent_pages import resumes_text, time_left

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def left_cell(page: str, thread_id: int) -> str:
    row = page[page.index(f'data-thread="{thread_id}"') :]
    cell = row[row.index('<td class="left">') :]
    return cell[: cell.index("</td>")]


def test_under_a_minute_left_reads_in_seconds():
    assert time_left(timedelta(seconds=45)) == "45s"
    assert time_left(timedelta(seconds=59.9)) == "59s"
    assert time_left(timedelta(minutes=1)) == "1m"


def test_at_the_due_instant_it_reads_due_now_never_0m():
    assert time_left(timedelta()) == "due now"
    assert time_left(timedelta(seconds=-0.5)) == "due now"
    assert time_left(timedelta(minutes=-2)) == "−2m"
    assert time_left(timedelta(hours=1, minutes=5)) == "1h 05m"


def test_a_reopening_more_than_six_days_away_says_its_date():
    with at(berlin(23, 18)):
        assert resumes_text(berlin(24, 9), "Europe/Berlin") == (
            "outside business hours · resumes Tue 09:00"
        )
        assert resumes_text(berlin(30, 9), "Europe/Berlin") == (
            "outside business hours · resumes Mon 30 Nov 09:00"
        )
        assert resumes_text(None, "Europe/Berlin") == ""


def test_the_queue_shows_45s_left_in_the_last_minute(setup, agent_client):
    thread = open_thread(berlin(23, 10), "Printer on fire")
    page = html(get(agent_client, berlin(23, 10, 59) + timedelta(seconds=15), "/queue/"))
    assert ">45s</time>" in left_cell(page, thread.pk)


def test_in_the_first_minute_overdue_a_clock_counts_up_in_seconds():
    assert time_left(timedelta(seconds=-1)) == "−1s"
    assert time_left(timedelta(seconds=-30)) == "−30s"
    assert time_left(timedelta(seconds=-59.9)) == "−59s"
    assert time_left(timedelta(seconds=-60)) == "−1m"


def test_a_breaching_clock_20_seconds_past_due_reads_20s_overdue(setup, agent_client):
    thread = open_thread(berlin(23, 10), "Printer on fire")
    evaluate(now=berlin(23, 11) + timedelta(seconds=1))
    response = get(agent_client, berlin(23, 11) + timedelta(seconds=20), "/queue/")
    assert ("breaching", thread.pk, "first_response") in running_rows(response)
    cell = left_cell(html(response), thread.pk)
    assert ">−20s</time>" in cell
    assert "due now" not in cell and ">0m<" not in cell


def test_the_due_time_is_written_beside_time_left_in_the_agents_zone(setup, agent_client):
    thread = open_thread(berlin(23, 10), "Printer on fire")
    page = html(get(agent_client, berlin(23, 10, 20), "/queue/"))
    assert '<span class="due-at">due Mon 23 Nov 11:00</span>' in left_cell(page, thread.pk)
    detail = html(get(agent_client, berlin(23, 10, 20), f"/threads/{thread.pk}/"))
    assert "Mon 23 Nov 11:00</time>" in detail


def test_a_clock_frozen_after_hours_says_it_resumes_monday_at_nine(setup, agent_client):
    thread = open_thread(berlin(27, 16, 30), "Printer on fire")  # a Friday, 30 min before closing
    page = html(get(agent_client, berlin(28, 11), "/queue/"))  # Saturday
    cell = left_cell(page, thread.pk)
    assert ">30m</time>" in cell
    assert "outside business hours · resumes Mon 09:00" in cell
    detail = html(get(agent_client, berlin(28, 11), f"/threads/{thread.pk}/"))
    assert detail.count("outside business hours · resumes Mon 09:00") == 2  # both clocks


def test_a_ticking_clock_says_nothing_about_business_hours(setup, agent_client):
    open_thread(berlin(23, 10), "Printer on fire")
    page = html(get(agent_client, berlin(23, 10, 20), "/queue/"))
    assert "outside business hours" not in page


def test_a_paused_clock_shows_why_and_the_status_that_paused_it(setup, agent_client, agent):
    thread = open_thread(berlin(23, 10), "Printer on fire", assignee=agent)
    with at(berlin(23, 10, 10)):
        services.thread_set_status(
            thread=thread, status="waiting_on_customer", reason="asked for a photo", actor=agent
        )
    detail = html(get(agent_client, berlin(23, 10, 20), f"/threads/{thread.pk}/"))
    row = detail[detail.index('data-metric="resolution"') :]
    row = row[: row.index("</tr>")]
    assert "asked for a photo" in row and "(waiting on customer)" in row
