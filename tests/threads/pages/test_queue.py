"""The breach queue as a support team reads it: order, counts, filters, paging, paused clocks."""

import re

import pytest
from django.test import Client

from accounts.models import AgentProfile
from tests.threads.pages.helpers import (
    at,
    berlin,
    get,
    html,
    open_thread,
    paused_section,
    queue_threads,
    running_rows,
)
from threads import services
from threads.evaluator import evaluate
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_the_queue_lists_running_clocks_most_urgent_first(setup, agent_client):
    first = open_thread(berlin(23, 10), "A")
    third = open_thread(berlin(23, 10, 20), "C")
    second = open_thread(berlin(23, 10, 10), "B")
    rows = running_rows(get(agent_client, berlin(23, 10, 25), "/queue/"))
    assert [(t, m) for _, t, m in rows] == [
        (first.pk, "first_response"),
        (second.pk, "first_response"),
        (third.pk, "first_response"),
        (first.pk, "resolution"),
        (second.pk, "resolution"),
        (third.pk, "resolution"),
    ]


def test_time_left_is_business_time_and_the_due_time_shows_in_the_viewers_zone(
    setup, agent_client, other_agent
):
    thread = open_thread(berlin(27, 16, 30))  # Friday; the office closes at 17:00
    response = get(agent_client, berlin(28, 12), "/queue/", metric="first_response")  # Saturday
    page = html(response)
    row = re.search(rf'<tr [^>]*data-thread="{thread.pk}"[^>]*>(.*?)</tr>', page, re.S)
    assert 'data-left-seconds="1800"' in row.group(0)  # 30 business minutes used of 60
    assert 'data-ticking="0"' in row.group(0)  # closed: the browser must not count down
    assert 'data-due="2026-11-30T08:30:00+00:00"' in row.group(0)
    assert 'title="Due Mon 30 Nov 2026 09:30 CET">30m</time>' in row.group(1)
    AgentProfile.objects.create(user=other_agent, time_zone="America/New_York")
    client = Client()
    client.force_login(other_agent)
    page = html(get(client, berlin(28, 12), "/queue/", metric="first_response"))
    assert 'title="Due Mon 30 Nov 2026 03:30 EST"' in page


def test_the_queue_colours_each_state_and_says_it_in_words(setup, agent_client):
    late = open_thread(berlin(23, 9), "Late")
    warned = open_thread(berlin(23, 10), "Warned")
    calm = open_thread(berlin(23, 10, 30), "Calm")
    evaluate(now=berlin(23, 10, 31))  # Late is past due, Warned passed 50 %
    response = get(agent_client, berlin(23, 10, 31), "/queue/", metric="first_response")
    assert running_rows(response) == [
        ("breaching", late.pk, "first_response"),
        ("imminent_breach", warned.pk, "first_response"),
        ("pending", calm.pk, "first_response"),
    ]
    page = html(response)
    assert re.search(r'title="Due Mon 23 Nov 2026 10:00 CET">−31m</time>', page)
    assert re.search(r'title="Due Mon 23 Nov 2026 11:00 CET">29m</time>', page)
    for word in ("Breaching", "Imminent breach", "Pending"):
        assert "<svg" in page and f"</svg>{word}</span>" in page


def test_the_header_counts_clocks_per_state(setup, agent_client):
    open_thread(berlin(23, 9), "Late")
    open_thread(berlin(23, 10), "Warned")
    waiting = open_thread(berlin(23, 10, 30), "Waiting")
    with at(berlin(23, 10, 30)):
        services.thread_set_status(thread=waiting, status="on_hold", reason="asked for logs")
    evaluate(now=berlin(23, 10, 31))
    page = html(get(agent_client, berlin(23, 10, 31), "/queue/"))
    counts = dict(re.findall(r'data-count="(\w+)">([\d,+]+)<', page))
    # running: 2 resolution + 3 first response; Waiting's resolution clock is paused
    assert counts == {"breaching": "1", "imminent_breach": "1", "pending": "3", "paused": "1"}


def test_filters_narrow_the_queue_and_stay_in_the_url(setup, agent_client, agent, other_agent):
    mine = open_thread(berlin(23, 10), "Mine", assignee=agent, priority="urgent")
    teams = open_thread(berlin(23, 10), "Team", team=setup["support"], assignee=other_agent)
    nobody = open_thread(
        berlin(23, 10), "Nobody", team=setup["billing"], channel="chat", account=setup["acme"]
    )
    moment = berlin(23, 10, 5)

    def shown(**params):
        return set(queue_threads(get(agent_client, moment, "/queue/", **params)))

    assert shown() == {mine.pk, teams.pk, nobody.pk}
    assert shown(scope="mine") == {mine.pk}
    assert shown(scope="teams") == {teams.pk}
    assert shown(scope="unassigned") == {nobody.pk}
    assert shown(priority="urgent") == {mine.pk}
    assert shown(tier=setup["gold"].pk) == {nobody.pk}
    assert shown(channel="chat") == {nobody.pk}
    assert {
        m for *_, m in running_rows(get(agent_client, moment, "/queue/", metric="resolution"))
    } == {"resolution"}
    assert shown(state="breaching") == set()
    assert shown(priority="no-such-priority") == {mine.pk, teams.pk, nobody.pk}  # old bookmark
    page = html(get(agent_client, moment, "/queue/", scope="mine", priority="urgent"))
    # The live refresh asks for the same view, and the filter form shows what is applied.
    assert 'hx-get="/queue/live/?scope=mine&amp;priority=urgent"' in page
    assert 'hx-trigger="every 10s"' in page
    assert 'value="mine" checked' in page
    assert '<option value="urgent" selected>' in page


def test_the_live_fragment_is_the_table_alone_with_the_same_filters(setup, agent_client, agent):
    mine = open_thread(berlin(23, 10), "Mine", assignee=agent)
    open_thread(berlin(23, 10), "Other")
    response = get(agent_client, berlin(23, 10, 5), "/queue/live/", scope="mine")
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page and 'id="queue-filters"' not in page
    assert set(queue_threads(response)) == {mine.pk}
    assert 'id="queue-counts"' in page and 'id="paused"' in page  # swapped out of band


def test_the_queue_pages_by_fifty_and_keeps_the_filters(setup, agent_client):
    for minute in range(30):
        open_thread(berlin(23, 9, minute), f"Thread {minute}")  # 60 clocks: FR + resolution
    first = get(agent_client, berlin(23, 9, 45), "/queue/", scope="")
    assert len(running_rows(first)) == 50
    assert "Page 1 of 2" in html(first)
    assert 'href="?scope=&amp;page=2"' in html(first)
    second = get(agent_client, berlin(23, 9, 45), "/queue/", scope="", page=2)
    assert len(running_rows(second)) == 10
    ids_first = re.findall(r'data-clock="(\d+)"', html(first))
    ids_second = re.findall(r'data-clock="(\d+)"', html(second))
    assert not set(ids_first) & set(ids_second)
    assert len(running_rows(get(agent_client, berlin(23, 9, 45), "/queue/", page=99))) == 10


def test_paused_clocks_are_shown_apart_with_their_reason(setup, agent_client, agent):
    waiting = open_thread(berlin(23, 10), "Waiting", assignee=agent)
    with at(berlin(23, 10, 30)):
        services.agent_reply(thread=waiting, author=agent, body="Can you send logs?")
        services.thread_set_status(
            thread=waiting, status="waiting_on_customer", reason="asked for the logs", actor=agent
        )
    response = get(agent_client, berlin(23, 11), "/queue/")
    assert waiting.pk not in queue_threads(response)
    paused = paused_section(response)
    assert f'data-thread="{waiting.pk}"' in paused
    assert "asked for the logs" in paused
    assert "7h 30m" in paused  # 30 of 480 business minutes used, frozen while paused
    only = get(agent_client, berlin(23, 11), "/queue/", state="paused")
    assert queue_threads(only) == [] and "asked for the logs" in paused_section(only)
    running = get(agent_client, berlin(23, 11), "/queue/", state="pending")
    assert "asked for the logs" not in paused_section(running)


def test_the_queue_costs_the_same_queries_for_5_or_60_clocks(
    setup, agent_client, django_assert_max_num_queries
):
    def threads(count, start):
        for n in range(count):
            open_thread(berlin(23, 9, start + n), f"Thread {start + n}", account=setup["acme"])

    threads(3, 0)  # 6 clocks … with one paused
    with at(berlin(23, 9, 50)):
        services.thread_set_status(thread=Thread.objects.first(), status="on_hold", reason="vendor")
    get(agent_client, berlin(23, 9, 55), "/queue/")  # warm the per-process calendar cache
    with django_assert_max_num_queries(20) as few:
        get(agent_client, berlin(23, 9, 55), "/queue/")
    threads(30, 3)
    with django_assert_max_num_queries(20) as many:
        get(agent_client, berlin(23, 9, 55), "/queue/")
    assert len(many) == len(few)
