"""The objectives pages, breaches without a reason, and what objectives add to the thread page
and the inbox: the at-risk marks, a breach reason, a moved due time and an exemption."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from django.contrib.auth.models import Group

from accounts.models import AgentProfile, Team
from accounts.roles import AGENTS
from objectives.board import burn_down
from objectives.figures import figures
from objectives.models import Objective
from policies.models import BreachReason
from tests.objectives.stories import START, at, frt, opened
from threads import services
from threads.models import EventKind, SlaEvent, Thread

pytestmark = pytest.mark.django_db
LATER = START + timedelta(days=1)  # the pages are read the day after


@pytest.fixture
def at_risk(around_the_clock, agent):
    """FRT 95 % monthly: 19 answered in time, one missed by the Support team's agent: misses
    reach the whole allowance (1 of 1), so the objective is at risk."""
    support = Team.objects.create(name="Support")
    support.members.add(agent)
    for n in range(19):
        opened(START + timedelta(hours=n), replied_after=timedelta(minutes=30))
    late = opened(
        START + timedelta(hours=20),
        replied_after=timedelta(minutes=90),
        team=support,
        assignee=agent,
    )
    goal = Objective.objects.create(
        name="FRT 95% monthly", metric="first_response", target_percent=95, time_zone="UTC"
    )
    return {"objective": goal, "late": late, "team": support}


@pytest.fixture
def reasons(db):
    return {
        "understaffed": BreachReason.objects.create(name="Understaffed"),
        "unreachable": BreachReason.objects.create(name="Customer unreachable", excused=True),
    }


def page(client, url, moment=LATER):
    with at(moment):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def post(client, url, data, moment=LATER):
    with at(moment):
        return client.post(url, data)


def said(client, url="/objectives/") -> list[str]:
    """The messages the next page shows."""
    with at(LATER):
        html = client.get(url).content.decode()
    return [unescape(m) for m in re.findall(r'<li class="[a-z ]*">(.*?)</li>', html)]


# ------------------------------------------------------------------------- the objectives


def test_a_manager_sees_an_objective_at_risk_with_its_budget_chart_and_worst_contributors(
    manager_client, at_risk
):
    html = page(manager_client, "/objectives/")
    card = html[html.index(f'id="objective-{at_risk["objective"].pk}"') :]
    assert 'data-status="at_risk"' in card and "At risk" in card  # colour and words
    budget = re.search(r'class="budget[^"]*">(-?\d+)<', card).group(1)
    assert budget == "0" and "misses 1 of 1 allowed so far" in card
    assert "95.00 %" in card  # compliance: 19 of 20
    assert '<svg class="chart burn-down"' in card and "burn-dot" in card
    assert "Support" in card and "alex" in card  # the team and the clock's holder
    assert "No reason yet" in card
    assert "/admin/objectives/objective/" in card  # a manager's edit link
    assert 'href="/objectives/"' in html  # in the nav


def test_an_agent_reads_the_objectives_without_edit_links(agent_client_objectives, at_risk):
    html = page(agent_client_objectives, "/objectives/")
    assert "FRT 95% monthly" in html and "At risk" in html
    assert "/admin/objectives/" not in html and "New objective" not in html


@pytest.fixture
def agent_client_objectives(client, agent):
    client.force_login(agent)
    return client


def test_the_burn_down_gives_the_budget_left_at_the_end_of_each_day(at_risk):
    goal = at_risk["objective"]
    with at(LATER):
        found = figures(goal, LATER)
        points = burn_down(goal, found, LATER)
    # 1 Nov: nothing (0 allowed); 2 Nov: 19 in time, 1 missed (1 allowed); 3 Nov: so far nothing.
    assert points == [(date(2026, 11, 1), 0), (date(2026, 11, 2), 0), (date(2026, 11, 3), 0)]
    with at(LATER):  # one more miss today: the budget is overspent
        late = opened(LATER - timedelta(hours=3))
        services.thread_catch_up(thread=late)
        points = burn_down(goal, figures(goal, LATER), LATER)
    assert points[-1] == (date(2026, 11, 3), -1)


def test_an_objective_page_lists_the_missed_clocks_of_the_period_with_their_threads(
    manager_client, at_risk, reasons
):
    late = at_risk["late"]
    html = page(manager_client, f"/objectives/{at_risk['objective'].pk}/")
    missed = html[html.index('id="missed"') :]
    assert f'href="/threads/{late.pk}/"' in missed and "none yet" in missed
    assert missed.count("data-clock=") == 1


def test_a_team_limited_agent_does_not_see_another_teams_missed_thread(
    client, at_risk, other_agent
):
    AgentProfile.objects.create(user=other_agent, only_my_teams=True)
    client.force_login(other_agent)
    html = page(client, f"/objectives/{at_risk['objective'].pk}/")
    missed = html[html.index('id="missed"') :]
    assert f"/threads/{at_risk['late'].pk}/" not in missed


def test_an_unknown_objective_is_a_404(manager_client, db):
    with at(LATER):
        assert manager_client.get("/objectives/999/").status_code == 404


# ---------------------------------------------------------------- breaches without a reason


def test_breaches_without_a_reason_are_listed_newest_first_until_one_is_given(
    agent_client_objectives, around_the_clock, reasons, agent
):
    older = opened(START, replied_after=timedelta(hours=2))
    newer = opened(START + timedelta(hours=3))  # still running, past due
    with at(LATER):
        services.thread_catch_up(thread=newer)
    html = page(agent_client_objectives, "/breaches/unexplained/")
    rows = re.findall(r'<tr data-clock="(\d+)"', html)
    assert rows == [str(frt(newer).pk), str(frt(older).pk)]
    url = f"/threads/{older.pk}/clocks/{frt(older).pk}/reason/"
    answer = post(
        agent_client_objectives,
        url,
        {
            "reason": reasons["understaffed"].pk,
            "note": "Two off sick",
            "next": "/breaches/unexplained/",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == "/breaches/unexplained/"
    html = page(agent_client_objectives, "/breaches/unexplained/")
    to_explain, waiting = html.split('id="waiting-heading"')
    assert re.findall(r'<tr data-clock="(\d+)"', to_explain) == [str(frt(newer).pk)]
    assert re.findall(r'<tr data-clock="(\d+)"', waiting) == [str(frt(older).pk)]
    assert "Understaffed" in html or "waiting for a manager" in html  # the message says so


# ------------------------------------------------------------------------ the thread page


def test_an_agent_gives_a_reason_on_the_thread_page_which_waits_for_a_manager(
    agent_client_objectives, at_risk, reasons, agent
):
    late = at_risk["late"]
    clock = frt(late)
    html = page(agent_client_objectives, f"/threads/{late.pk}/")
    assert f'id="reason-form-{clock.pk}"' in html
    answer = post(
        agent_client_objectives,
        f"/threads/{late.pk}/clocks/{clock.pk}/reason/",
        {"reason": reasons["unreachable"].pk, "note": "No answer on the phone"},
    )
    assert answer.status_code == 302 and answer["Location"] == f"/threads/{late.pk}/"
    clock.refresh_from_db()
    assert clock.breach_reason == reasons["unreachable"] and not clock.breach_reason_confirmed
    html = page(agent_client_objectives, f"/threads/{late.pk}/")
    notes = html[html.index('class="breach-reason"') :]
    assert "Customer unreachable" in notes and "waiting for a manager" in notes
    assert "No answer on the phone" in notes
    history = html[html.index('id="history"') :]
    assert "First response: breach reason “Customer unreachable”, excused (waiting for a" in history
    assert SlaEvent.objects.filter(clock=clock, kind=EventKind.BREACH_REASON).count() == 1


def test_an_agent_cannot_change_a_reason_a_manager_confirmed_and_is_told_why(
    agent_client_objectives, at_risk, reasons, manager, agent
):
    late = at_risk["late"]
    clock = frt(late)
    with at(LATER):
        from threads.overrides import clock_give_reason

        clock_give_reason(
            thread=late, clock_id=clock.pk, reason=reasons["unreachable"], actor=manager
        )
    html = page(agent_client_objectives, f"/threads/{late.pk}/")
    assert f'id="reason-form-{clock.pk}"' not in html  # not offered
    assert "confirmed by Maria" in html
    answer = post(
        agent_client_objectives,
        f"/threads/{late.pk}/clocks/{clock.pk}/reason/",
        {"reason": reasons["understaffed"].pk},
    )
    assert answer.status_code == 302
    assert any("only a manager changes it" in m for m in said(agent_client_objectives))
    clock.refresh_from_db()
    assert clock.breach_reason == reasons["unreachable"]


def test_a_reason_for_a_clock_that_did_not_miss_is_refused_with_a_message(
    agent_client_objectives, around_the_clock, reasons
):
    thread = opened(LATER - timedelta(minutes=10))
    answer = post(
        agent_client_objectives,
        f"/threads/{thread.pk}/clocks/{frt(thread).pk}/reason/",
        {"reason": reasons["understaffed"].pk},
    )
    assert answer.status_code == 302
    assert any("needs no reason" in m for m in said(agent_client_objectives))


def test_a_bad_reason_id_or_another_threads_clock_is_a_message_not_an_error(
    agent_client_objectives, at_risk
):
    late = at_risk["late"]
    other = opened(LATER - timedelta(minutes=5))
    for url, data in (
        (f"/threads/{late.pk}/clocks/{frt(late).pk}/reason/", {"reason": "²"}),
        (f"/threads/{late.pk}/clocks/{frt(other).pk}/reason/", {"reason": "1"}),
    ):
        assert post(agent_client_objectives, url, data).status_code == 302
    messages = said(agent_client_objectives)
    assert any("Choose one of the reasons offered" in m for m in messages)


def test_a_manager_extends_a_due_time_and_the_clock_says_by_whom_and_why(
    manager_client, around_the_clock
):
    thread = opened(LATER - timedelta(minutes=10))
    clock = frt(thread)
    html = page(manager_client, f"/threads/{thread.pk}/")
    assert f'id="move-form-{clock.pk}"' in html and f'id="exempt-form-{clock.pk}"' in html
    answer = post(
        manager_client,
        f"/threads/{thread.pk}/clocks/{clock.pk}/due/",
        {"extend_by": "2h", "reason": "customer asked for Monday"},
    )
    assert answer.status_code == 302
    clock.refresh_from_db()
    assert clock.due_at == LATER + timedelta(minutes=50) + timedelta(hours=2)
    assert clock.original_due_at == LATER + timedelta(minutes=50)
    html = page(manager_client, f"/threads/{thread.pk}/")
    note = html[html.index('class="override"') :]
    assert "Due moved by <strong>Maria</strong>: customer asked for Monday" in note
    assert "the policy's due time was" in note
    assert "First response due time moved" in html and ": customer asked for Monday." in html


def test_a_new_due_time_is_read_in_the_persons_zone(manager_client, around_the_clock, manager):
    AgentProfile.objects.create(user=manager, time_zone="Europe/Berlin")
    thread = opened(LATER - timedelta(minutes=10))
    post(
        manager_client,
        f"/threads/{thread.pk}/clocks/{frt(thread).pk}/due/",
        {"due_at": "2026-11-03T15:00", "reason": "Vendor call at three"},
    )
    assert frt(thread).due_at == datetime(2026, 11, 3, 14, tzinfo=UTC)  # 15:00 in Berlin


def test_an_agent_may_not_move_a_due_time_without_the_permission(
    agent_client_objectives, around_the_clock, agent
):
    thread = opened(LATER - timedelta(minutes=10))
    clock = frt(thread)
    html = page(agent_client_objectives, f"/threads/{thread.pk}/")
    assert f'id="move-form-{clock.pk}"' not in html
    post(
        agent_client_objectives,
        f"/threads/{thread.pk}/clocks/{clock.pk}/due/",
        {"extend_by": "2h", "reason": "Asked"},
    )
    assert any("may not move due times" in m for m in said(agent_client_objectives))
    assert frt(thread).override_due_at is None


def test_a_move_needs_a_reason_and_exactly_one_of_time_or_extension(
    manager_client, around_the_clock
):
    thread = opened(LATER - timedelta(minutes=10))
    url = f"/threads/{thread.pk}/clocks/{frt(thread).pk}/due/"
    post(manager_client, url, {"extend_by": "2h"})
    post(manager_client, url, {"reason": "Asked"})
    post(manager_client, url, {"extend_by": "2 days", "reason": "Asked"})
    messages = said(manager_client)
    assert any("Say why the due time moves" in m for m in messages)
    assert any("either a new due time or how long" in m for m in messages)
    assert any("Write days as hours" in m for m in messages)
    assert frt(thread).override_due_at is None


def test_a_manager_exempts_a_clock_from_objectives(manager_client, at_risk):
    late = at_risk["late"]
    clock = frt(late)
    post(manager_client, f"/threads/{late.pk}/clocks/{clock.pk}/exempt/", {"reason": "Test thread"})
    clock.refresh_from_db()
    assert clock.exempt
    html = page(manager_client, f"/threads/{late.pk}/")
    assert "Exempt from objectives by <strong>Maria</strong>" in html


def test_an_agent_may_not_exempt_a_clock(agent_client_objectives, at_risk):
    late = at_risk["late"]
    post(
        agent_client_objectives,
        f"/threads/{late.pk}/clocks/{frt(late).pk}/exempt/",
        {"reason": "x"},
    )
    assert any("Only managers exempt" in m for m in said(agent_client_objectives))
    assert not frt(late).exempt


def test_the_thread_page_marks_a_running_clock_whose_objective_is_at_risk(
    agent_client_objectives, at_risk
):
    running = opened(LATER - timedelta(minutes=10))
    html = page(agent_client_objectives, f"/threads/{running.pk}/")
    assert "⚑ FRT 95% monthly: at risk" in html


def test_a_clock_outside_the_objectives_scope_is_not_marked(agent_client_objectives, at_risk):
    goal = at_risk["objective"]
    goal.scope = {"priorities": ["urgent"]}
    goal.save()
    Objective.objects.create(  # healthy: nothing counted yet for resolution
        name="Resolution 90%", metric="resolution", target_percent=90, time_zone="UTC"
    )
    running = opened(LATER - timedelta(minutes=10), priority="normal")
    html = page(agent_client_objectives, f"/threads/{running.pk}/")
    assert "⚑" not in html


# ------------------------------------------------------------------------------ the inbox


def test_the_inbox_marks_a_thread_whose_objective_is_at_risk(agent_client_objectives, at_risk):
    running = opened(LATER - timedelta(minutes=10))
    html = page(agent_client_objectives, "/inbox/?status=any")
    row = html[html.index(f'data-thread="{running.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "FRT 95% monthly: at risk" in row


def test_the_inbox_gives_a_breach_reason_to_the_ticked_threads_missed_clocks(
    agent_client_objectives, at_risk, reasons
):
    late = at_risk["late"]
    fine = Thread.objects.exclude(pk=late.pk).first()
    answer = post(
        agent_client_objectives,
        "/inbox/bulk/",
        {
            "threads": [late.pk, fine.pk],
            "action": "breach_reason",
            "breach_reason": reasons["understaffed"].pk,
            "note": "Monday rush",
        },
    )
    assert answer.status_code == 302
    clock = frt(late)
    assert clock.breach_reason == reasons["understaffed"] and clock.breach_note == "Monday rush"
    messages = said(agent_client_objectives, "/inbox/")
    assert any(f"#{late.pk}" in m and "breach reason" in m for m in messages)
    assert any(f"#{fine.pk}: no clock of this thread has missed" in m for m in messages)


def test_the_inbox_bulk_refuses_an_unknown_breach_reason(agent_client_objectives, at_risk):
    answer = post(
        agent_client_objectives,
        "/inbox/bulk/",
        {"threads": [at_risk["late"].pk], "action": "breach_reason", "breach_reason": "99"},
    )
    assert answer.status_code == 302
    assert frt(at_risk["late"]).breach_reason is None


def test_no_role_no_objectives_page(client, django_user_model, db):
    nobody = django_user_model.objects.create_user("nobody", "n@example.com", "pw")
    client.force_login(nobody)
    assert client.get("/objectives/").status_code == 403
    nobody.groups.add(Group.objects.get(name=AGENTS))
    assert client.get("/objectives/").status_code == 200


def test_a_manager_confirms_an_agents_reason_from_the_waiting_list(
    around_the_clock, agent, manager
):
    from django.test import Client

    from threads import overrides

    thread = opened(START, replied_after=timedelta(minutes=90))
    clock = frt(thread)
    reason = BreachReason.objects.create(name="Customer unreachable", excused=True)
    overrides.clock_give_reason(thread=thread, clock_id=clock.pk, reason=reason, actor=agent)
    lead = Client()
    lead.force_login(manager)
    page = lead.get("/breaches/unexplained/").content.decode()
    assert "Waiting for a manager" in page and "Confirm" in page
    lead.post(
        f"/threads/{thread.pk}/clocks/{clock.pk}/reason/",
        {"reason": reason.pk, "note": "", "next": "/breaches/unexplained/"},
    )
    clock.refresh_from_db()
    assert clock.breach_reason_confirmed
    assert "No reason waits for a manager." in lead.get("/breaches/unexplained/").content.decode()
