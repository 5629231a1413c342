"""The inbox: one row per thread with its most urgent clock, search, filters and sorting kept in
the URL, and bad input answered with a message, never a 500."""

import re

import pytest

from accounts.models import Account, AgentProfile, Contact
from tests.threads.pages.helpers import at, berlin, get, html, open_thread
from threads import services

pytestmark = pytest.mark.both  # the searches and walks run on PostgreSQL too


def inbox_threads(response) -> list[int]:
    page = html(response)
    body = page[page.index('id="inbox-rows"') :]
    body = body[: body.index("</tbody>")]
    return [int(pk) for pk in re.findall(r'<tr class="state-[\w]+" data-thread="(\d+)"', body)]


def test_each_thread_is_one_row_with_its_most_urgent_clock(agent_client, setup):
    thread = open_thread(berlin(23, 10), "Printer on fire")
    response = get(agent_client, berlin(23, 10, 20), "/inbox/")
    assert response.status_code == 200
    assert inbox_threads(response) == [thread.pk]  # two running clocks, one row
    page = html(response)
    assert 'data-left-seconds="2400"' in page  # first response: 60 min target, 20 used
    assert "due Mon 23 Nov 11:00" in page  # in the agent's zone (Berlin)


def test_an_agent_finds_a_thread_by_a_word_of_its_message(agent_client, setup):
    wanted = open_thread(berlin(23, 10), "Cannot log in")
    open_thread(berlin(23, 10), "Invoice address")
    with at(berlin(23, 10, 5)):
        services.message_receive(thread=wanted, body="The SAML certificate expired")
    response = get(agent_client, berlin(23, 10, 10), "/inbox/", q="saml")
    assert inbox_threads(response) == [wanted.pk]


def test_search_reads_subject_account_contact_and_external_id(agent_client, setup):
    acme = setup["acme"]
    contact = Contact.objects.create(email="jo@bolt.example", name="Jo Bolt", account=acme)
    first = open_thread(berlin(23, 10), "One", account=acme)
    second = open_thread(berlin(23, 10, 1), "Two", contact=contact)
    third = open_thread(berlin(23, 10, 2), "Three", source="zendesk", external_id="ZD-4711")
    moment = berlin(23, 10, 5)
    found = inbox_threads(get(agent_client, moment, "/inbox/", q="acme"))
    assert set(found) == {first.pk, second.pk}
    assert inbox_threads(get(agent_client, moment, "/inbox/", q="bolt.example")) == [second.pk]
    assert inbox_threads(get(agent_client, moment, "/inbox/", q="zd-4711")) == [third.pk]
    assert inbox_threads(get(agent_client, moment, "/inbox/", q="Three")) == [third.pk]
    assert inbox_threads(get(agent_client, moment, "/inbox/", q=f"#{first.pk}")) == [first.pk]


def test_the_most_urgent_thread_comes_first_and_columns_sort(agent_client, setup):
    later = open_thread(berlin(23, 10, 30), "B later")
    sooner = open_thread(berlin(23, 10), "C sooner", priority="urgent")
    calm = open_thread(berlin(23, 10, 10), "A calm", priority="low")
    moment = berlin(23, 10, 40)
    assert inbox_threads(get(agent_client, moment, "/inbox/")) == [sooner.pk, calm.pk, later.pk]
    by_subject = get(agent_client, moment, "/inbox/", sort="subject")
    assert inbox_threads(by_subject) == [calm.pk, later.pk, sooner.pk]
    assert inbox_threads(get(agent_client, moment, "/inbox/", sort="-created")) == [
        later.pk,
        calm.pk,
        sooner.pk,
    ]
    assert inbox_threads(get(agent_client, moment, "/inbox/", sort="priority"))[0] == sooner.pk


def test_resolved_threads_leave_the_inbox_unless_asked_for(agent_client, setup, agent):
    done = open_thread(berlin(23, 10), "Done")
    with at(berlin(23, 10, 5)):
        services.thread_resolve(thread=done, actor=agent)
    moment = berlin(23, 10, 10)
    assert inbox_threads(get(agent_client, moment, "/inbox/")) == []
    assert "Nothing here" in html(get(agent_client, moment, "/inbox/"))
    assert inbox_threads(get(agent_client, moment, "/inbox/", status="resolved")) == [done.pk]
    assert inbox_threads(get(agent_client, moment, "/inbox/", status="any")) == [done.pk]


def test_filters_stay_in_the_url_of_sort_links_and_pages(agent_client, setup):
    open_thread(berlin(23, 10), "One", priority="high")
    page = html(get(agent_client, berlin(23, 10, 5), "/inbox/", priority="high", q="one"))
    assert 'href="?priority=high&amp;q=one&amp;sort=subject"' in page
    assert 'value="one"' in page


def test_breaching_and_unassigned_views(agent_client, setup, agent):
    late = open_thread(berlin(23, 9), "Late")
    mine = open_thread(berlin(23, 10, 30), "Mine", assignee=agent)
    from threads.evaluator import evaluate

    evaluate(now=berlin(23, 10, 45))
    moment = berlin(23, 10, 45)
    assert inbox_threads(get(agent_client, moment, "/inbox/", state="breaching")) == [late.pk]
    assert inbox_threads(get(agent_client, moment, "/inbox/", scope="unassigned")) == [late.pk]
    assert inbox_threads(get(agent_client, moment, "/inbox/", scope="mine")) == [mine.pk]


def test_a_team_limited_agent_sees_only_their_teams_threads(agent_client, setup, agent):
    AgentProfile.objects.filter(user=agent).update(only_my_teams=True)
    ours = open_thread(berlin(23, 10), "Ours", team=setup["support"])
    open_thread(berlin(23, 10), "Theirs", team=setup["billing"])
    open_thread(berlin(23, 10), "Nobody's")
    assert inbox_threads(get(agent_client, berlin(23, 10, 5), "/inbox/")) == [ours.pk]
    assert inbox_threads(get(agent_client, berlin(23, 10, 5), "/inbox/", q="Theirs")) == []


def test_unknown_sort_and_bad_filters_are_named_and_ignored(agent_client, setup):
    thread = open_thread(berlin(23, 10), "One")
    response = get(
        agent_client,
        berlin(23, 10, 5),
        "/inbox/",
        sort="size",
        priority="huge",
        tier="abc",
        team="99999",
        state="x",
        status="gone",
        page="-3",
        q="x" * 300,
    )
    assert response.status_code == 200
    page = html(response)
    assert "Sort: “size” is not one of the choices; ignored." in page
    assert "Priority: “huge” is not one of the choices; ignored." in page
    assert "Tier: “abc” is not one of the choices; ignored." in page
    assert "Team: “99999” is not one of the choices; ignored." in page
    assert "SLA state: “x” is not one of the choices; ignored." in page
    assert "Search: at most 200 characters" in page
    assert inbox_threads(response) == [thread.pk]


def test_an_agent_lands_on_the_inbox_and_it_is_the_first_nav_item(client, agent, setup):
    response = client.post("/login/", {"username": "alex", "password": "pw-alex"})
    assert response.url == "/inbox/"
    client.force_login(agent)
    assert client.get("/").url == "/inbox/"
    nav = html(client.get("/inbox/"))
    nav = nav[nav.index('aria-label="Main"') :]
    assert nav.index(">Inbox<") < nav.index(">Queue<")


def test_the_page_costs_the_same_queries_for_many_threads(
    agent_client, setup, django_assert_max_num_queries
):
    account = Account.objects.create(name="Many")
    for minute in range(12):
        open_thread(berlin(23, 10, minute), f"Thread {minute}", account=account)
    # 27: with whether any objective exists (issue 21's at-risk marks) and the breach reasons
    # the bulk bar offers.
    with at(berlin(23, 10, 30)), django_assert_max_num_queries(27):
        agent_client.get("/inbox/")


def test_pages_follow_each_other_in_every_sort(agent_client, setup, agent, monkeypatch):
    """Two threads a page: no thread is shown twice or skipped, also where the most urgent
    clocks run out (a resolved thread, a paused one, a thread no policy covers)."""
    from threads.pages import inbox as reads

    monkeypatch.setattr(reads, "PAGE_SIZE", 2)
    priorities = ["low", "urgent", "normal", "high", "urgent", "low", "normal"]
    threads = [
        open_thread(berlin(23, 9, 5 * n), f"T{n}", priority=p) for n, p in enumerate(priorities)
    ]
    with at(berlin(23, 9, 40)):  # only its resolution clock runs, paused
        services.thread_mark_no_reply_needed(thread=threads[2], actor=agent, reason="")
        services.thread_set_status(
            thread=threads[2], status="on_hold", reason="vendor", actor=agent
        )
    moment = berlin(23, 10, 0)
    for sort in ("due", "priority", "subject", "-created", "created"):
        seen = []
        for page in range(1, 5):  # 7 threads: 4 pages (a later page shows the last)
            seen += inbox_threads(get(agent_client, moment, "/inbox/", sort=sort, page=page))
        assert sorted(seen) == sorted(t.pk for t in threads), (sort, seen)
    by_priority = []
    for page in range(1, 5):
        by_priority += inbox_threads(
            get(agent_client, moment, "/inbox/", sort="priority", page=page)
        )
    ranks = [priorities[[t.pk for t in threads].index(pk)] for pk in by_priority]
    assert ranks == ["urgent", "urgent", "high", "normal", "normal", "low", "low"]
    due = []
    for page in range(1, 5):
        due += inbox_threads(get(agent_client, moment, "/inbox/", page=page))
    assert due[-1] == threads[2].pk  # paused: no clock counting down, after the others


@pytest.mark.parametrize("q", ["²", "#²", "#٣"])
def test_searching_for_a_unicode_digit_is_a_plain_text_search(agent_client, setup, q):
    open_thread(berlin(23, 10), "Printer on fire")
    wanted = open_thread(berlin(23, 10), f"Room {q.lstrip('#')} is cold")
    response = get(agent_client, berlin(23, 10, 5), "/inbox/", q=q.lstrip("#"))
    assert response.status_code == 200
    assert inbox_threads(response) == [wanted.pk]
    assert get(agent_client, berlin(23, 10, 5), "/inbox/", q=q).status_code == 200


def test_a_page_number_with_a_unicode_digit_is_the_first_page(agent_client, setup):
    thread = open_thread(berlin(23, 10), "Printer on fire")
    for page in ("²", "٣"):
        response = get(agent_client, berlin(23, 10, 5), "/inbox/", page=page)
        assert response.status_code == 200
        assert inbox_threads(response) == [thread.pk]
