"""Bulk changes from the inbox (through the services, one thread at a time) and saved views."""

import pytest

from accounts.models import AgentProfile, Team
from tests.threads.pages.helpers import at, berlin, get, html, open_thread, post
from threads.models import SavedView, SlaEvent, Thread

pytestmark = pytest.mark.both  # the searches and walks run on PostgreSQL too


def bulk(client, moment, ids, **data):
    return post(client, moment, "/inbox/bulk/", {"threads": ids, "query": "sort=subject", **data})


def said(client, response) -> str:
    return html(client.get(response.url))


def test_an_agent_assigns_three_threads_at_once(agent_client, setup, agent, other_agent):
    threads = [open_thread(berlin(23, 10, m), f"T{m}") for m in range(3)]
    ids = [t.pk for t in threads]
    response = bulk(agent_client, berlin(23, 10, 5), ids, action="assign", assignee=other_agent.pk)
    assert response.status_code == 302
    assert response.url == "/inbox/?sort=subject"  # back to the same view
    assert set(Thread.objects.values_list("assignee", flat=True)) == {other_agent.pk}
    assert "3 threads changed (assign to)" in said(agent_client, response)
    # Through the services: each change is in the thread's history.
    changed = SlaEvent.objects.filter(kind="thread_changed", actor=agent)
    assert sorted(changed.values_list("thread_id", flat=True)) == sorted(ids)


def test_team_priority_and_status_in_bulk(agent_client, setup, agent):
    one, two = open_thread(berlin(23, 10), "One"), open_thread(berlin(23, 10), "Two")
    moment = berlin(23, 10, 5)
    bulk(agent_client, moment, [one.pk, two.pk], action="team", team=setup["billing"].pk)
    bulk(agent_client, moment, [one.pk, two.pk], action="priority", priority="urgent")
    bulk(agent_client, moment, [one.pk, two.pk], action="status", status="resolved")
    assert set(Thread.objects.values_list("team", "priority", "status")) == {
        (setup["billing"].pk, "urgent", "resolved")
    }
    bulk(agent_client, moment, [one.pk], action="assign", assignee="none")
    bulk(agent_client, moment, [one.pk], action="team", team="none")
    one.refresh_from_db()
    assert (one.assignee_id, one.team_id) == (None, None)


def test_each_refusal_is_reported_with_the_threads_number(agent_client, setup, agent):
    AgentProfile.objects.filter(user=agent).update(only_my_teams=True)
    ours = open_thread(berlin(23, 10), "Ours", team=setup["support"])
    theirs = open_thread(berlin(23, 10), "Theirs", team=setup["billing"])
    moment = berlin(23, 10, 5)
    response = bulk(
        agent_client, moment, [ours.pk, theirs.pk, 999999], action="status", status="on_hold"
    )
    page = said(agent_client, response)
    # "On hold" pauses resolution time under this policy: the service wants a reason.
    assert f"Not changed: #{ours.pk}:" in page
    assert f"Not changed: #{theirs.pk}: no such thread among those you can see." in page
    assert "Not changed: #999999: no such thread among those you can see." in page
    response = bulk(
        agent_client,
        moment,
        [ours.pk, theirs.pk],
        action="status",
        status="on_hold",
        reason="waiting for the vendor",
    )
    page = said(agent_client, response)
    assert f"1 thread changed (set status): #{ours.pk}." in page
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_bad_bulk_input_is_answered_in_words(agent_client, setup):
    thread = open_thread(berlin(23, 10), "One")
    moment = berlin(23, 10, 5)
    cases = [
        ({"action": "assign", "assignee": "none"}, [], "Tick at least one thread first."),
        ({"action": "assign", "assignee": "none"}, ["abc"], "“abc” is not a thread number."),
        ({"action": "explode"}, [thread.pk], "Choose what to change."),
        ({"action": "assign", "assignee": "424242"}, [thread.pk], "Choose someone who works"),
        ({"action": "team", "team": "x"}, [thread.pk], "Choose a team"),
        ({"action": "priority", "priority": ""}, [thread.pk], "Choose a priority."),
        ({"action": "status", "status": "gone"}, [thread.pk], "Nothing was changed"),
    ]
    for data, ids, words in cases:
        response = bulk(agent_client, moment, ids, **data)
        assert response.status_code == 302, data
        assert words in said(agent_client, response), data
    thread.refresh_from_db()
    assert (thread.assignee_id, thread.priority) == (None, "normal")


def test_built_in_views_and_a_view_saved_for_me(agent_client, setup, agent):
    open_thread(berlin(23, 10), "One", priority="urgent")
    page = html(get(agent_client, berlin(23, 10, 5), "/inbox/"))
    for name in ("Mine", "My team&#x27;s", "Unassigned", "Breaching"):
        assert f'data-view="{name}"' in page
    with at(berlin(23, 10, 5)):
        response = agent_client.post(
            "/inbox/views/", {"name": "Urgent ones", "query": "priority=urgent&page=3"}
        )
    assert "View “Urgent ones” saved." in said(agent_client, response)
    view = SavedView.objects.get()
    assert (view.owner, view.team, view.query) == (agent, None, "priority=urgent")
    page = html(get(agent_client, berlin(23, 10, 5), "/inbox/", priority="urgent"))
    assert 'class="view current"' in page and "Urgent ones" in page


def test_a_view_shared_with_a_team_reaches_its_members_only(
    client, agent, other_agent, setup, django_user_model
):
    support = setup["support"]
    client.force_login(agent)
    client.post("/inbox/views/", {"name": "Big accounts", "query": "tier=1", "team": support.pk})
    assert SavedView.objects.get().team == support
    # Sharing with a team one is not in is refused.
    response = client.post("/inbox/views/", {"name": "X", "team": setup["billing"].pk})
    assert "not one of the available choices" in said(client, response)
    client.force_login(other_agent)  # in Billing, not Support
    assert "Big accounts" not in html(client.get("/inbox/"))
    support.members.add(other_agent)
    page = html(client.get("/inbox/"))
    assert "Big accounts" in page and "· Support" in page
    # Only its owner may delete it.
    response = client.post(f"/inbox/views/{SavedView.objects.get().pk}/delete/")
    assert "No such view among those you saved." in said(client, response)
    client.force_login(agent)
    response = client.post(f"/inbox/views/{SavedView.objects.get().pk}/delete/")
    assert "View “Big accounts” deleted." in said(client, response)
    assert not SavedView.objects.exists()


def test_a_view_needs_a_name(agent_client, setup):
    response = agent_client.post("/inbox/views/", {"name": "  ", "query": "q=x"})
    assert "The view was not saved: Give the view a name." in said(agent_client, response)
    assert Team.objects.count() == 2


@pytest.mark.parametrize("field", ["threads", "assignee", "team"])
@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999"])
def test_a_bulk_change_naming_a_unicode_digit_is_refused_with_a_message(
    agent_client, setup, other_agent, field, value
):
    thread = open_thread(berlin(23, 10), "One")
    ids = [thread.pk, value] if field == "threads" else [thread.pk]
    data = {"action": "assign", "assignee": other_agent.pk}
    if field == "team":
        data.update(action="team", team=value)
    elif field == "assignee":
        data["assignee"] = value
    response = bulk(agent_client, berlin(23, 10, 5), ids, **data)
    assert response.status_code == 302
    page = said(agent_client, response)
    assert "Nothing was changed:" in page
    thread.refresh_from_db()
    assert (thread.assignee_id, thread.team_id) == (None, None)


@pytest.fixture
def shared_by_agent(client, agent, other_agent, setup):
    """alex shares "Big accounts" with Support; sam is in Support too."""
    setup["support"].members.add(agent, other_agent)
    client.force_login(agent)
    client.post(
        "/inbox/views/", {"name": "Big accounts", "query": "tier=1", "team": setup["support"].pk}
    )
    view = SavedView.objects.get()
    client.force_login(other_agent)
    return view


def test_a_teammate_cannot_save_over_a_view_another_shared(client, shared_by_agent, setup):
    response = client.post(
        "/inbox/views/",
        {"name": "Big accounts", "query": "priority=low", "team": setup["support"].pk},
    )
    assert "only they can change it" in said(client, response)
    assert SavedView.objects.get().query == "tier=1"


def test_a_teammate_cannot_delete_a_view_another_shared(client, shared_by_agent):
    response = client.post(f"/inbox/views/{shared_by_agent.pk}/delete/")
    assert "No such view among those you saved." in said(client, response)
    assert SavedView.objects.get().query == "tier=1"


def test_a_teammate_saves_a_shared_view_as_their_own_and_changes_the_copy(
    client, shared_by_agent, other_agent
):
    page = html(client.get("/inbox/"))
    assert f"/inbox/views/{shared_by_agent.pk}/copy/" in page  # "Save as my view"
    assert f"/inbox/views/{shared_by_agent.pk}/delete/" not in page
    response = client.post(f"/inbox/views/{shared_by_agent.pk}/copy/")
    assert "View “Big accounts” saved as your own." in said(client, response)
    mine = SavedView.objects.get(owner=other_agent)
    assert (mine.name, mine.team, mine.query) == ("Big accounts", None, "tier=1")
    client.post("/inbox/views/", {"name": "Big accounts", "query": "priority=low"})
    mine.refresh_from_db()
    assert mine.query == "priority=low"
    assert SavedView.objects.get(pk=shared_by_agent.pk).query == "tier=1"


def test_a_view_shared_with_another_team_cannot_be_copied(client, agent, other_agent, setup):
    client.force_login(agent)
    client.post(
        "/inbox/views/", {"name": "Big accounts", "query": "tier=1", "team": setup["support"].pk}
    )
    client.force_login(other_agent)  # in Billing, not Support
    response = client.post(f"/inbox/views/{SavedView.objects.get().pk}/copy/")
    assert "No such view shared with your teams." in said(client, response)
    assert not SavedView.objects.filter(owner=other_agent).exists()
