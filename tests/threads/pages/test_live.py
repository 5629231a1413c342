"""The parts of the agents' pages that update themselves: the thread page polls its clocks,
messages and history (never its forms), the bell polls its count; and notifications that say
which threshold passed and are read once opened."""

import re

import pytest

from policies.models import NotificationRule
from tests.threads.pages.helpers import at, bell, berlin, get, html, open_thread
from threads import services
from threads.evaluator import evaluate
from threads.models import Notification
from threads.pages.notifications import warning_title

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_the_thread_page_polls_its_live_parts_and_keeps_its_forms(setup, agent_client):
    thread = open_thread(berlin(23, 10), "Printer on fire")
    page = html(get(agent_client, berlin(23, 10, 5), f"/threads/{thread.pk}/"))
    assert f'hx-get="/threads/{thread.pk}/live/"' in page
    live = html(get(agent_client, berlin(23, 10, 5), f"/threads/{thread.pk}/live/"))
    for part in ('id="clocks"', 'id="timeline"', 'id="history"', 'id="thread-status"'):
        assert re.search(part + r'[^>]*hx-swap-oob="true"', live), part
    assert "<form" not in live and "<textarea" not in live  # what the agent types stays


def test_a_customer_message_shows_in_the_next_poll(setup, agent_client):
    thread = open_thread(berlin(23, 10), "Printer on fire")
    with at(berlin(23, 10, 7)):
        services.message_receive(thread=thread, body="It is smoking now")
    live = html(get(agent_client, berlin(23, 10, 8), f"/threads/{thread.pk}/live/"))
    assert "It is smoking now" in live


def test_another_teams_thread_is_not_found_by_the_poll_either(setup, client, other_agent, agent):
    thread = open_thread(berlin(23, 10), "Printer on fire", team=setup["support"])
    client.force_login(other_agent)
    expected = client.get(f"/threads/{thread.pk}/").status_code
    assert client.get(f"/threads/{thread.pk}/live/").status_code == expected


def test_the_bell_refreshes_its_own_count(breaching_note, agent_client):
    response = agent_client.get("/notifications/bell/")
    assert 'id="bell-count">1<' in html(response)
    assert 'hx-get="/notifications/bell/"' in html(response)
    Notification.objects.update(read_at=breaching_note.created_at)
    assert 'id="bell-count">0<' in html(agent_client.get("/notifications/bell/"))


def test_opening_a_notification_marks_it_read_and_shows_its_thread(breaching_note, agent_client):
    response = agent_client.get(f"/notifications/{breaching_note.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/threads/{breaching_note.thread_id}/"
    breaching_note.refresh_from_db()
    assert breaching_note.read_at is not None
    assert bell(agent_client) == 0
    again = agent_client.get(f"/notifications/{breaching_note.pk}/open/")  # still opens
    assert again.status_code == 302


def test_nobody_opens_someone_elses_notification(breaching_note, client, other_agent):
    client.force_login(other_agent)
    assert client.get(f"/notifications/{breaching_note.pk}/open/").status_code == 404
    assert client.get("/notifications/99999/open/").status_code == 404
    breaching_note.refresh_from_db()
    assert breaching_note.read_at is None


def test_each_warning_threshold_has_its_own_title():
    assert warning_title("First response", "50% of the target used") == (
        "First response: 50% of the target used"
    )
    assert warning_title("First response", "5m before due") == "First response due in 5 minutes"
    assert warning_title("Resolution", "1h 30m before due") == (
        "Resolution due in 1 hour 30 minutes"
    )
    assert warning_title("Resolution", "1m before due") == "Resolution due in 1 minute"
    assert warning_title("Resolution", "") == "Resolution due soon"


def test_the_50_percent_and_the_5_minute_warnings_read_differently(setup, agent, agent_client):
    standard = setup["policy"]
    standard.thresholds.create(kind="minutes_before", value=5)
    NotificationRule(policy=standard, events=["warning"], to_assignee=True, in_app=True).save()
    thread = open_thread(berlin(23, 10), "Printer on fire", assignee=agent)
    evaluate(now=berlin(23, 10, 31))  # 50 % used
    evaluate(now=berlin(23, 10, 56))  # 5 minutes before due
    page = html(get(agent_client, berlin(23, 10, 57), "/notifications/"))
    assert f"First response: 50% of the target used: #{thread.pk} Printer on fire" in page
    assert f"First response due in 5 minutes: #{thread.pk} Printer on fire" in page
