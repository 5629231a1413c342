"""The agents' pages as a support team uses them: queue, thread page, notifications, roles."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import Account, AgentProfile, Team
from policies.models import NotificationRule
from tests.factories import office_calendar, policy, tier
from threads import services
from threads.alerting.alert import thread_url
from threads.evaluator import evaluate
from threads.models import Notification, SlaClock, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)  # 23 Nov 2026 is a Monday


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def setup(agent, other_agent):
    free = tier("Free", default=True)
    gold = tier("Gold", order=1)
    support = Team.objects.create(name="Support")
    support.members.add(agent)
    billing = Team.objects.create(name="Billing")
    billing.members.add(other_agent)
    standard = policy(
        "Standard",
        calendar=office_calendar(),
        targets=[
            ("first_response", "", 60),
            ("first_response", "urgent", 15),
            ("resolution", "", 480),
        ],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer", "on_hold"],
    )
    AgentProfile.objects.create(user=agent, time_zone="Europe/Berlin")
    return {
        "free": free,
        "gold": gold,
        "support": support,
        "billing": billing,
        "policy": standard,
        "acme": Account.objects.create(name="Acme GmbH", tier=gold),
    }


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def open_thread(moment, subject="Printer on fire", **fields):
    with at(moment):
        return services.thread_create(subject=subject, first_message="Help!", **fields).thread


def get(client, moment, url, **params):
    with at(moment):
        return client.get(url, params)


def html(response) -> str:
    return response.content.decode()


def running_rows(response) -> list[tuple[str, int, str]]:
    """(state, thread id, metric) of each running row, top to bottom."""
    page = html(response)
    body = page[page.index('id="queue-rows"') :]
    body = body[: body.index("</tbody>")]
    rows = re.findall(r'<tr class="state-(\w+)" data-clock="(\d+)" data-thread="(\d+)"', body)
    metrics = dict(SlaClock.objects.values_list("pk", "metric"))
    return [(state, int(thread), metrics[int(clock)]) for state, clock, thread in rows]


def queue_threads(response) -> list[int]:
    return [thread for _, thread, _ in running_rows(response)]


def paused_section(response) -> str:
    page = html(response)
    return page[page.index('id="paused"') :]


# ------------------------------------------------------------------------------ breach queue


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


# ------------------------------------------------------------------------------ thread page


@pytest.fixture
def busy_thread(setup, agent):
    """A thread with every kind of message, a warning with its e-mail and a pause."""
    rule = NotificationRule(
        policy=setup["policy"], events=["warning"], to_assignee=True, in_app=True
    )
    rule.save()
    thread = open_thread(berlin(23, 10), "Printer on fire", assignee=agent)
    with at(berlin(23, 10, 5)):
        services.agent_reply(thread=thread, author=None, body="We got it", automatic=True)
        services.agent_reply(thread=thread, author=agent, body="Looks like toner", public=False)
    evaluate(now=berlin(23, 10, 31))
    with at(berlin(23, 10, 40)):
        services.agent_reply(thread=thread, author=agent, body="Please send a photo")
        services.thread_set_status(
            thread=thread, status="waiting_on_customer", reason="asked for a photo", actor=agent
        )
    return thread


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
        "E-mail → alex@example.com: pending",
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


# ------------------------------------------------------------------------------ thread actions


def post(client, moment, url, data=None):
    with at(moment):
        return client.post(url, data or {})


def clock_state(thread, metric):
    return SlaClock.objects.filter(thread=thread, metric=metric).latest("started_at").state


def test_a_reply_achieves_first_response_and_the_row_leaves_the_queue(setup, agent_client):
    thread = open_thread(berlin(23, 10))
    url = f"/threads/{thread.pk}/"
    response = post(
        agent_client, berlin(23, 10, 20), url + "messages/", {"body": "On it", "kind": "reply"}
    )
    assert response.status_code == 302 and response["Location"] == url
    with at(berlin(23, 10, 21)):
        page = html(agent_client.get(url))
    assert "Reply sent to the customer." in page
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


# ----------------------------------------------------------------------------- notifications


@pytest.fixture
def breaching_note(setup, agent):
    rule = NotificationRule(
        policy=setup["policy"], events=["breaching"], to_assignee=True, in_app=True, by_email=False
    )
    rule.save()
    open_thread(berlin(23, 10), "Printer on fire", assignee=agent)
    evaluate(now=berlin(23, 11, 1))
    return Notification.objects.get(user=agent)


def bell(client) -> int:
    page = html(client.get("/queue/"))
    return int(re.search(r'id="bell-count">(\d+)<', page).group(1))


def test_the_bell_counts_unread_notifications_and_the_list_shows_them(breaching_note, agent_client):
    assert bell(agent_client) == 1
    page = html(agent_client.get("/notifications/"))
    assert f'data-notification="{breaching_note.pk}"' in page
    assert "First response breaching: #" in page
    assert f'href="/threads/{breaching_note.thread_id}/"' in page


def test_marking_one_read_and_all_read(breaching_note, agent_client, agent):
    response = agent_client.post(f"/notifications/{breaching_note.pk}/read/")
    assert response.status_code == 302
    breaching_note.refresh_from_db()
    assert breaching_note.read_at is not None
    assert bell(agent_client) == 0
    Notification.objects.filter(pk=breaching_note.pk).update(read_at=None)
    response = agent_client.post("/notifications/read-all/", follow=True)
    assert "1 notification marked read." in html(response)
    assert bell(agent_client) == 0


def test_nobody_reads_someone_elses_notification(breaching_note, client, other_agent):
    client.force_login(other_agent)
    assert client.post(f"/notifications/{breaching_note.pk}/read/").status_code == 404
    breaching_note.refresh_from_db()
    assert breaching_note.read_at is None


def test_every_form_needs_the_csrf_token(breaching_note, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    thread = breaching_note.thread_id
    for url, data in [
        (f"/threads/{thread}/messages/", {"body": "hi", "kind": "reply"}),
        (f"/threads/{thread}/status/", {"status": "resolved"}),
        (f"/notifications/{breaching_note.pk}/read/", {}),
        ("/notifications/read-all/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    page = html(client.get(f"/threads/{thread}/"))
    assert page.count('name="csrfmiddlewaretoken"') >= 5  # every form on the page carries it


# ------------------------------------------------------------------------ roles and access


@pytest.fixture
def nobody(db, django_user_model):
    return django_user_model.objects.create_user("nobody", "nobody@example.com", "pw-nobody")


def _matrix_urls(thread, note):
    return [
        ("GET", "/queue/"),
        ("GET", "/queue/live/"),
        ("GET", f"/threads/{thread.pk}/"),
        ("POST", f"/threads/{thread.pk}/messages/"),
        ("POST", f"/threads/{thread.pk}/no-reply-needed/"),
        ("POST", f"/threads/{thread.pk}/status/"),
        ("POST", f"/threads/{thread.pk}/details/"),
        ("GET", "/notifications/"),
        ("POST", f"/notifications/{note.pk}/read/"),
        ("POST", "/notifications/read-all/"),
        ("GET", "/admin/"),
        ("GET", "/api/v1/threads/"),
    ]


LOGIN = "login"
EXPECTED = {
    # who: (agent pages GET, agent actions POST, /admin/, /api/v1/threads/)
    "anonymous": (LOGIN, LOGIN, 302, 401),
    "agent": (200, 302, 302, 200),
    "manager": (200, 302, 200, 200),
    "nobody": (403, 403, 302, 403),  # signed in, but in no role
}
POSTS = {
    "messages/": {"body": "On it", "kind": "reply"},
    "status/": {"status": "open"},
    "details/": {"priority": "high"},
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_permission_matrix(who, setup, breaching_note, client, request):
    if who != "anonymous":
        user = request.getfixturevalue(who)
        client.force_login(user)
        if who != "nobody":
            breaching_note.user = user
            breaching_note.save(update_fields=["user"])
    pages, actions, admin, api = EXPECTED[who]
    for method, url in _matrix_urls(breaching_note.thread, breaching_note):
        if url == "/admin/":
            expected = admin
        elif url.startswith("/api/"):
            expected = api
        else:
            expected = pages if method == "GET" else actions
        data = next((d for suffix, d in POSTS.items() if url.endswith(suffix)), {})
        response = client.get(url) if method == "GET" else client.post(url, data)
        if expected == LOGIN:
            assert response.status_code == 302, url
            assert response["Location"].startswith("/login/?next="), url
        else:
            assert response.status_code == expected, (who, method, url)


def test_an_expired_session_sends_the_live_refresh_to_the_login_page(setup, client):
    response = client.get("/queue/live/?scope=mine", HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=/queue/live/%3Fscope%3Dmine"


def test_the_root_sends_people_to_the_queue_or_to_sign_in(setup, client, agent):
    assert client.get("/")["Location"] == "/login/"
    client.force_login(agent)
    assert client.get("/")["Location"] == "/queue/"


def test_signing_in_and_out(setup, client, agent):
    page = html(client.get("/login/"))
    assert "Sign in to SLA Ops" in page and 'name="csrfmiddlewaretoken"' in page
    response = client.post("/login/", {"username": "alex", "password": "wrong"})
    assert "Please enter a correct username and password" in html(response)
    response = client.post("/login/", {"username": "alex", "password": "pw-alex"})
    assert response["Location"] == "/queue/"
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/queue/").status_code == 302


def test_managers_see_reports_and_admin_in_the_nav_agents_do_not(setup, client, agent, manager):
    client.force_login(agent)
    page = html(client.get("/queue/"))
    assert 'href="/reports/"' not in page and 'href="/admin/"' not in page
    client.force_login(manager)
    page = html(client.get("/queue/"))
    assert 'href="/reports/"' in page and 'href="/admin/"' in page


def test_staff_without_permissions_get_no_admin_link(setup, client, agent):
    agent.is_staff = True
    agent.save()
    agent.groups.set([Group.objects.get(name="Agents")])
    client.force_login(agent)
    assert 'href="/admin/"' in html(client.get("/queue/"))  # Agents may view some models
    agent.groups.clear()
    agent.user_permissions.clear()
    agent.is_superuser = False
    agent.save()
    client.force_login(agent)
    assert client.get("/queue/").status_code == 403


def test_alerts_link_to_the_thread_page(setup, settings):
    thread = open_thread(berlin(23, 10))
    assert thread_url(thread) == f"{settings.SITE_URL}/threads/{thread.pk}/"
