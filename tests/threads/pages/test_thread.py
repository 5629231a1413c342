"""The thread page and its actions: history, replies, notes, status, details, no reply needed."""

import re

import pytest

from tests.threads.pages.helpers import (
    at,
    berlin,
    clock_state,
    get,
    html,
    open_thread,
    post,
    running_rows,
)
from threads import services
from threads.models import SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_the_thread_page_shows_the_conversation_clocks_and_history(busy_thread, agent_client):
    page = html(get(agent_client, berlin(23, 11), f"/threads/{busy_thread.pk}/"))
    for kind, body in [
        ("customer", "Help!"),
        ("automatic", "We got it"),
        ("note", "Looks like toner"),
        ("agent", "Please send a photo"),
    ]:
        assert re.search(rf'<li class="msg {kind}".*?{body}', page, re.S), kind
    assert "Policy <strong>Standard</strong>" in page
    first = re.search(r'data-metric="first_response" data-state="(\w+)"', page).group(1)
    resolution = re.search(r'data-metric="resolution" data-state="(\w+)"', page).group(1)
    assert (first, resolution) == ("achieved", "paused")
    assert "asked for a photo" in page
    assert re.search(r"40m <span class=\"muted\">of 1h</span>", page)  # first response used
    history = page[page.index('id="history"') :]
    for text in [
        "Policy “Standard” matches this thread.",
        "First response started under “Standard”: target 1h, due Mon 23 Nov 2026 11:00 CET.",
        "First response warning (50% of the target used)",
        "E-mail → alex (alex@example.com): pending",
        "First response achieved after 40m of business time (agent replied).",
        "Resolution paused (waiting on customer): asked for a photo.",
        "Status: open → waiting on customer (asked for a photo).",
    ]:
        assert text in history, text


def test_a_thread_no_policy_matches_says_so(setup, agent_client):
    setup["policy"].tiers.set([setup["gold"]])  # only Gold customers have an SLA
    thread = open_thread(berlin(23, 10))
    page = html(get(agent_client, berlin(23, 10, 5), f"/threads/{thread.pk}/"))
    assert "No SLA policy matches this thread" in page
    assert "No SLA policy matches this thread: no clocks." in page  # and the history says it


def test_an_unknown_thread_is_a_404(setup, agent_client):
    assert agent_client.get("/threads/999999/").status_code == 404


def test_the_thread_page_costs_the_same_queries_however_long_the_thread(
    busy_thread, agent_client, django_assert_max_num_queries, agent
):
    get(agent_client, berlin(23, 11), f"/threads/{busy_thread.pk}/")
    with django_assert_max_num_queries(30) as short:
        get(agent_client, berlin(23, 11), f"/threads/{busy_thread.pk}/")
    with at(berlin(23, 11)):
        for n in range(10):
            services.message_receive(thread=busy_thread, body=f"more {n}")
            services.agent_reply(thread=busy_thread, author=agent, body=f"answer {n}")
    with django_assert_max_num_queries(30) as long:
        get(agent_client, berlin(23, 11, 30), f"/threads/{busy_thread.pk}/")
    assert len(long) == len(short)


def test_a_reply_achieves_first_response_and_the_row_leaves_the_queue(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    url = f"/threads/{thread.pk}/"
    response = post(
        agent_client, berlin(23, 10, 20), url + "messages/", {"body": "On it", "kind": "reply"}
    )
    assert response.status_code == 302 and response["Location"] == url
    with at(berlin(23, 10, 21)):
        page = html(agent_client.get(url))
    assert "Reply recorded (this thread did not come by e-mail)." in page
    assert 'data-metric="first_response" data-state="achieved"' in page
    assert re.search(r'<li class="msg agent".*?On it', page, re.S)
    queue = get(agent_client, berlin(23, 10, 21), "/queue/")
    assert (thread.pk, "first_response") not in [(t, m) for _, t, m in running_rows(queue)]


def test_an_internal_note_answers_nobody(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    post(
        agent_client,
        berlin(23, 10, 20),
        f"/threads/{thread.pk}/messages/",
        {"body": "hm", "kind": "note"},
    )
    assert clock_state(thread, "first_response") == "pending"
    page = html(get(agent_client, berlin(23, 10, 21), f"/threads/{thread.pk}/"))
    assert "Internal note added." in page and re.search(r'<li class="msg note".*?hm', page, re.S)


def test_an_empty_message_is_refused_on_its_field(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    response = post(
        agent_client,
        berlin(23, 10, 20),
        f"/threads/{thread.pk}/messages/",
        {"body": "  ", "kind": "reply"},
    )
    assert response.status_code == 400
    assert 'id="errors-message-body"' in html(response)
    assert clock_state(thread, "first_response") == "pending"


def test_no_reply_needed_cancels_the_response_clock(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    response = post(agent_client, berlin(23, 10, 20), f"/threads/{thread.pk}/no-reply-needed/")
    assert response.status_code == 302
    assert clock_state(thread, "first_response") == "cancelled"
    page = html(get(agent_client, berlin(23, 10, 21), f"/threads/{thread.pk}/"))
    assert 'data-metric="first_response" data-state="cancelled"' in page


def test_a_pausing_status_without_a_reason_is_a_form_error_not_a_500(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    response = post(
        agent_client,
        berlin(23, 10, 20),
        f"/threads/{thread.pk}/status/",
        {"status": "on_hold", "reason": ""},
    )
    assert response.status_code == 400
    page = html(response)
    error = re.search(r'id="errors-status-reason"><li>(.*?)</li>', page).group(1)
    assert "Say why the thread is on hold" in error
    assert "The status was not changed: Say why the thread is on hold" in page  # at the top
    thread.refresh_from_db()
    assert thread.status == "open" and clock_state(thread, "resolution") == "pending"


def test_a_pausing_status_with_a_reason_pauses_resolution_at_once(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    response = post(
        agent_client,
        berlin(23, 10, 20),
        f"/threads/{thread.pk}/status/",
        {"status": "on_hold", "reason": "waiting for the vendor"},
    )
    assert response.status_code == 302
    page = html(get(agent_client, berlin(23, 10, 21), f"/threads/{thread.pk}/"))
    assert "Status set to on hold." in page
    assert 'data-metric="resolution" data-state="paused"' in page
    assert "waiting for the vendor" in page


def test_resolving_stops_every_clock(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    post(agent_client, berlin(23, 10, 20), f"/threads/{thread.pk}/status/", {"status": "resolved"})
    assert clock_state(thread, "first_response") == "achieved"
    assert clock_state(thread, "resolution") == "achieved"


def test_priority_assignee_and_team_change_through_the_services(setup, agent_client, agent):
    thread = open_thread(berlin(23, 10))
    response = post(
        agent_client,
        berlin(23, 10, 5),
        f"/threads/{thread.pk}/details/",
        {"priority": "urgent", "assignee": agent.pk, "team": setup["support"].pk},
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert (thread.priority, thread.assignee, thread.team) == ("urgent", agent, setup["support"])
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    assert clock.due_at == berlin(23, 10, 15)  # the urgent target, 15 minutes, at once
    page = html(get(agent_client, berlin(23, 10, 6), f"/threads/{thread.pk}/"))
    assert "Saved: priority, assignee, team. The SLA policy was matched again." in page
    assert "Priority: normal → urgent." in page
    assert "Assignee: none → alex." in page
    assert "Team: none → Support." in page
    assert "First response re-matched" in page


def test_a_bad_choice_in_the_details_form_is_a_form_error(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    response = post(
        agent_client, berlin(23, 10, 5), f"/threads/{thread.pk}/details/", {"priority": "whenever"}
    )
    assert response.status_code == 400
    assert 'id="errors-details-priority"' in html(response)
