"""The objectives' daily rollups always add up to a recount from the clocks: after late events
that rebuild a thread, reasons given days later, exemptions, moved due times, team changes after
the outcome and clocks breaching while running, seen at many instants across local midnights in
time zones far from UTC; a closed month changed afterwards keeps its figures and shows a
correction; and concurrent breaches on PostgreSQL leave the counts equal to a recount."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Team
from integrations.models import IntegrationKey
from objectives import rollup
from objectives.figures import count_clocks, counts_between, figures, period_bounds, previous_bounds
from objectives.models import Objective, ObjectiveDay, ObjectivePeriod
from objectives.rollup import apply_count_changes, close_periods, count_day
from policies.models import BreachReason
from tests.factories import policy, tier
from threads import overrides, services
from threads.evaluator import evaluate
from threads.models import CountChange, SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.both]
OCT_1 = datetime(2026, 10, 1, tzinfo=UTC)
# Where October begins in Los Angeles and in Auckland (in UTC): a closed period's start.
OCTOBER = (datetime(2026, 9, 30, tzinfo=UTC), datetime(2026, 10, 1, 12, tzinfo=UTC))


def utc(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def setting(db):
    """First response within 1 hour around the clock; objectives in Los Angeles (UTC−7, UTC−8
    from 1 November) and Auckland (UTC+13), one of them for the Support team only."""
    tier("Free", default=True)
    policy("Standard", targets=[("first_response", "", 60)])
    support = Team.objects.create(name="Support")
    billing = Team.objects.create(name="Billing")
    made = []
    with at(OCT_1):
        for name, zone, period, scope in [
            ("LA monthly", "America/Los_Angeles", "month", {}),
            ("LA quarterly", "America/Los_Angeles", "quarter", {}),
            ("LA support", "America/Los_Angeles", "month", {"teams": [support.pk]}),
            ("Auckland monthly", "Pacific/Auckland", "month", {}),
            ("Auckland 7 days", "Pacific/Auckland", "rolling_7d", {}),
        ]:
            made.append(
                Objective.objects.create(
                    name=name,
                    metric="first_response",
                    target_percent=95,
                    period=period,
                    time_zone=zone,
                    scope=scope,
                )
            )
    return made, support, billing


def assert_rollups_agree():
    """At the frozen instant: every objective's figures from its rollups (this and the previous
    period) equal a recount from the clocks, and every stored day equals its recount."""
    now = timezone.now()
    apply_count_changes()
    for objective in Objective.objects.all():
        start, end = period_bounds(objective, now)
        for first, last in (previous_bounds(objective, start), (start, end)):
            kept = counts_between(objective, first, last, now)
            recount = count_clocks(objective, first, min(last, now))
            assert kept == recount, f"{objective} from {first} at {now}"
        for day in ObjectiveDay.objects.filter(objective=objective):
            fresh = count_day(objective, day.day)
            stored = (day.achieved, day.breached, day.excused, day.cancelled)
            assert stored == (fresh.achieved, fresh.breached, fresh.excused, fresh.cancelled), (
                f"{objective} on {day.day} at {now}"
            )


def check(moment):
    with at(moment):
        assert_rollups_agree()


def frt(thread) -> SlaClock:
    return SlaClock.objects.get(thread=thread, metric="first_response")


def opened(moment, *, team=None, replied_after=None):
    with at(moment):
        thread = services.thread_create(subject="Export", first_message="Help", team=team).thread
    if replied_after is not None:
        with at(moment + replied_after):
            services.agent_reply(thread=thread, body="On it")
    return thread


def test_rollups_equal_a_recount_through_a_mix_of_stories(setting, manager, agent):
    objectives, support, billing = setting
    _, key = IntegrationKey.objects.create_key(name="Bridge", source="zendesk")
    bridge = APIClient()
    bridge.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    manager_api = APIClient()
    manager_api.force_login(manager)

    # 30 Oct: a reply at 11:00 UTC, Auckland's midnight; a clock left to breach while running;
    # a bridge's thread whose reply is delivered only days later.
    kept = opened(utc(10, 30, 10, 30), team=support, replied_after=timedelta(minutes=30))
    running = opened(utc(10, 30, 10), team=support)
    with at(utc(10, 30, 6)):
        made = bridge.post("/api/v1/threads/", {"subject": "Sync", "message": "Help"}, "json")
        assert made.status_code == 201, made.json()
    bridged = made.json()["id"]
    for moment in (utc(10, 30, 6, 59), utc(10, 30, 7, 10), utc(10, 30, 11, 5)):
        with at(moment):
            evaluate()  # 07:00 UTC is Los Angeles' midnight
        check(moment)
    assert frt(running).counted_as == "missed" and frt(running).state == "breaching"

    # 31 Oct and 1 Nov: a breach given an excused reason later, one given an agent's reason,
    # one exempted later, one moved due time, a thread closed before any reply.
    excused = opened(utc(10, 31, 20), replied_after=timedelta(hours=2))
    check(utc(10, 31, 23))
    agents = opened(utc(10, 31, 23), replied_after=timedelta(hours=3))
    exempted = opened(utc(11, 1, 2), replied_after=timedelta(hours=2))
    check(utc(11, 1, 7, 59))  # Los Angeles' midnight is 08:00 UTC from 1 November
    check(utc(11, 1, 10, 59))
    moved = opened(utc(11, 1, 12))
    with at(utc(11, 1, 12, 10)):
        overrides.clock_move_due(
            thread=moved,
            clock_id=frt(moved).pk,
            reason="Customer asked for the evening",
            actor=manager,
            due_at=utc(11, 1, 18),
        )
    check(utc(11, 1, 13, 30))
    with at(utc(11, 1, 15)):
        services.agent_reply(thread=moved, body="Done")
    assert (frt(moved).state, frt(moved).counted_as) == ("achieved", "missed")
    closed = opened(utc(11, 1, 20))
    with at(utc(11, 1, 20, 30)):
        services.thread_set_status(thread=closed, status="closed", reason="Spam")
    check(utc(11, 1, 23))

    # 2 Nov: October closes; then the bridge delivers its reply of 30 Oct 06:40 UTC (in time),
    # which takes back a breach of a closed month, and the kept thread changes team.
    with at(utc(11, 2, 9)):
        assert close_periods() >= 3
        october = {
            p.objective.name: dict(p.figures)
            for p in ObjectivePeriod.objects.filter(start__range=OCTOBER)
        }
    assert october["LA monthly"]["breached"] == 5  # running, bridged, excused, agents, exempted
    with at(utc(11, 2, 10)):
        reply = bridge.post(
            f"/api/v1/threads/{bridged}/messages/",
            {"author": "agent", "body": "Fixed", "created_at": "2026-10-30T06:40:00Z"},
            "json",
        )
        assert reply.status_code == 201, reply.json()
        services.thread_update(thread=kept, team=billing, reason="Moved")
    check(utc(11, 2, 10, 5))

    # 3 and 4 Nov: reasons and an exemption, days after the outcome.
    outage = BreachReason.objects.create(name="Third-party outage", excused=True)
    with at(utc(11, 3, 9)):
        overrides.clock_give_reason(
            thread=excused, clock_id=frt(excused).pk, reason=outage, actor=manager
        )
        overrides.clock_give_reason(
            thread=agents, clock_id=frt(agents).pk, reason=outage, actor=agent
        )
    check(utc(11, 3, 9, 1))
    with at(utc(11, 4, 9)):
        overrides.clock_exempt(
            thread=exempted, clock_id=frt(exempted).pk, reason="Test thread", actor=manager
        )
    for moment in (utc(11, 4, 9, 1), utc(11, 4, 11, 30), utc(11, 5, 8), utc(11, 9, 12)):
        check(moment)

    la, _, la_support, auckland, _ = objectives
    with at(utc(11, 9, 12)):
        apply_count_changes()
        for objective in (la, auckland):
            period = ObjectivePeriod.objects.get(objective=objective, start__range=OCTOBER)
            assert period.figures == october[objective.name]  # as it closed
            recount = count_clocks(objective, period.start, period.end)
            assert period.correction is not None, objective
            assert (period.correction["achieved"], period.correction["breached"]) == (
                recount.achieved,
                recount.breached,
            )
        # The kept thread still counts for Support, where it was when it was answered.
        assert frt(kept).scope_team == support.pk
        la_october = ObjectivePeriod.objects.get(objective=la_support, start__range=OCTOBER)
        assert la_october.figures["achieved"] == 1
        assert la_october.correction is None  # nothing of Support's changed after it closed


def test_a_rebuild_after_tampered_rollups_says_which_objective_was_wrong(setting, capsys):
    objectives, *_ = setting
    opened(utc(10, 20, 9), replied_after=timedelta(minutes=90))
    opened(utc(10, 20, 12), replied_after=timedelta(minutes=10))
    with at(utc(10, 25, 12)):
        figures(objectives[0])
        ObjectiveDay.objects.filter(objective=objectives[0], breached=1).update(breached=7)
        with pytest.raises(SystemExit) as exited:
            call_command("rebuild_objectives")
        assert exited.value.code == 1
        out, err = capsys.readouterr()
        assert err.strip().splitlines() == [
            f"{objectives[0].pk} LA monthly: rollups counted Counts(achieved=1, breached=7, "
            "excused=0, cancelled=0), the clocks Counts(achieved=1, breached=1, excused=0, "
            "cancelled=0)"
        ]
        assert "before: achieved=1 breached=7" in out and "after:  achieved=1 breached=1" in out
        call_command("rebuild_objectives", "--objective", str(objectives[0].pk))  # agrees now


def test_a_figure_reads_every_change_told_however_many(setting, monkeypatch):
    la = setting[0][0]
    for day in (20, 21, 22):
        opened(utc(10, day, 15), replied_after=timedelta(minutes=90))
    with at(utc(10, 25, 12)):
        assert figures(la).breached == 3
        ObjectiveDay.objects.filter(objective=la).update(breached=0)  # as if stale
        CountChange.objects.bulk_create(CountChange(at=utc(10, day, 16)) for day in (20, 21, 22))
        monkeypatch.setattr(rollup, "CHANGES_AT_ONCE", 2)  # more changes than one read takes
        assert figures(la).breached == 3


def test_an_objective_given_another_scope_counts_its_past_days_again(setting, manager):
    la, support = setting[0][0], setting[1]
    opened(utc(10, 20, 15), team=support, replied_after=timedelta(minutes=90))
    opened(utc(10, 21, 15), replied_after=timedelta(minutes=90))
    client = APIClient()
    client.force_login(manager)
    with at(utc(10, 25, 12)):
        assert figures(la).breached == 2
        changed = client.patch(
            f"/api/v1/objectives/{la.pk}/", {"scope": {"teams": [support.pk]}}, "json"
        )
        assert changed.json()["current"]["breached"] == 1
        la.refresh_from_db()
        la.time_zone = "Pacific/Auckland"
        la.save()
        assert_rollups_agree()


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_concurrent_breaches_leave_the_counts_equal_to_a_recount():
    assert connection.vendor == "postgresql"
    tier("Free", default=True)
    policy("Standard", targets=[("first_response", "", 60)])
    with at(OCT_1):
        frt_la = Objective.objects.create(
            name="LA", metric="first_response", target_percent=95, time_zone="America/Los_Angeles"
        )
        Objective.objects.create(
            name="NZ", metric="first_response", target_percent=99, time_zone="Pacific/Auckland"
        )
    threads = [opened(utc(11, 2, 1) + timedelta(minutes=13 * n)) for n in range(24)]
    now = utc(11, 3, 12)
    errors = []

    def work(i):
        try:
            barrier.wait(timeout=10)
            if i == 0:
                for _ in range(5):
                    figures(frt_la, now)  # rollups of 2 Nov made while the breaches land
            elif i == 1:
                evaluate()
            else:
                for thread in threads[i - 2 :: 4]:
                    services.thread_catch_up(thread=thread.pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    with at(now):
        barrier = threading.Barrier(6)
        workers = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert not errors, errors
        assert SlaClock.objects.filter(counted_as="missed").count() == 24
        assert_rollups_agree()
        assert figures(frt_la, now).breached == 24
