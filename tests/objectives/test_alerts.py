"""Budget alerts, each once: an objective entering at risk, spending its budget and recovering
reaches its alert channels and the managers once per episode, through the clocks' outbox and
transports, never held for quiet hours; a fast burn alerts at once, with at least 3 misses."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from objectives import episodes
from objectives.models import Objective, ObjectiveAlertState, ObjectiveEvent
from objectives.tasks import evaluate_objectives
from policies.models import AlertChannel, BreachReason
from tests.factories import office_calendar, policy, tier
from tests.objectives.stories import START, at, opened
from tests.threads.servers import http_server, smtp_server
from threads import services
from threads.alerting.delivery import deliver_due
from threads.models import Delivery, Notification, SlaClock, Thread
from threads.overrides import clock_give_reason

pytestmark = [pytest.mark.django_db, pytest.mark.both]
T0 = START + timedelta(days=1)
SITE = "https://sla.example.com"


@pytest.fixture(autouse=True)
def site(settings, monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings.SITE_URL = SITE


@pytest.fixture
def web():
    with http_server() as server:
        yield server


@pytest.fixture
def hook(web):
    url = web.script("/hook", ["204"])
    return AlertChannel.objects.create(name="Ops hook", kind="webhook", url=url)


def missed(moment, *, seen_at=None) -> Thread:
    """A thread opened at `moment` nobody answers: caught up once it is past due."""
    thread = opened(moment)
    with at(seen_at or moment + timedelta(minutes=61)):
        services.thread_catch_up(thread=thread)
    return thread


def kept(count, moment=START):
    for n in range(count):
        opened(moment + timedelta(minutes=10 * n), replied_after=timedelta(minutes=30))


def frt_95(*channels, **fields) -> Objective:
    with at(START - timedelta(days=1)):
        objective = Objective.objects.create(
            name="FRT 95% monthly",
            metric="first_response",
            target_percent=95,
            period="month",
            time_zone="UTC",
            **fields,
        )
    objective.alert_channels.set(channels)
    return objective


def evaluate(moment):
    with at(moment):
        return evaluate_objectives()


def sent(objective):
    return list(
        ObjectiveEvent.objects.filter(objective=objective)
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )


def excuse(thread, manager, *, excused=True):
    reason, _ = BreachReason.objects.get_or_create(
        name="Third-party outage" if excused else "Understaffed", defaults={"excused": excused}
    )
    clock = SlaClock.objects.get(thread=thread, metric="first_response")
    clock_give_reason(thread=thread, clock_id=clock.pk, reason=reason, actor=manager)


# ------------------------------------------------------------------------------- at risk


def test_entering_at_risk_alerts_each_recipient_once_by_webhook_and_managers_in_app(
    around_the_clock, manager, hook, web
):
    objective = frt_95(hook)
    kept(19)
    missed(START + timedelta(hours=5))

    assert evaluate(T0) == "1 objectives, 1 alerts"
    evaluate(T0 + timedelta(minutes=1))  # the next minute's run: nothing new
    with at(T0 + timedelta(minutes=1)):
        deliver_due()
        deliver_due()

    [request] = web.to("/hook")
    body = request.json()
    assert body["type"] == "sla.objective" and body["event"] == "objective_at_risk"
    assert body["objective"] == {"id": objective.pk, "name": "FRT 95% monthly"}
    assert body["data"]["title"] == "FRT 95% monthly at risk: 1 miss of 1 allowed"
    assert body["data"]["details"]["reason"] == "budget"
    assert body["data"]["details"]["figures"]["budget_left"] == 0
    assert request.headers["webhook-signature"]
    [note] = Notification.objects.filter(user=manager)
    assert note.title == "FRT 95% monthly at risk: 1 miss of 1 allowed" and note.thread is None
    kinds = sorted(Delivery.objects.values_list("kind", "recipient"))
    assert kinds == [("email", "maria@example.com"), ("webhook", f"channel:{hook.pk}")]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_budget_spent_alerts_once_and_later_at_risk_figures_do_not_repeat_it(
    around_the_clock, manager, hook, web
):
    objective = frt_95(hook, notify_managers=False)
    kept(19)
    missed(START + timedelta(hours=5))
    evaluate(T0)
    missed(T0)  # a second miss: 2 of 1 allowed
    evaluate(T0 + timedelta(minutes=62))
    evaluate(T0 + timedelta(minutes=63))
    assert sent(objective) == ["objective_at_risk", "objective_budget_spent"]
    spent = ObjectiveEvent.objects.get(kind="objective_budget_spent")
    assert spent.details["status"] == "below_target"
    assert spent.details["previous_status"] == "at_risk"
    assert Delivery.objects.filter(objective_event=spent).count() == 1


def test_recovered_is_sent_only_when_the_objective_is_healthy_again(
    around_the_clock, manager, hook, web
):
    objective = frt_95(hook)
    kept(19)
    first = missed(START + timedelta(hours=5))
    second = missed(START + timedelta(hours=6))
    evaluate(T0)  # 2 misses of 1 allowed
    with at(T0 + timedelta(minutes=5)):
        excuse(first, manager)  # 1 miss of 1 allowed: at risk, not recovered
    evaluate(T0 + timedelta(minutes=6))
    assert sent(objective) == ["objective_budget_spent"]
    with at(T0 + timedelta(minutes=10)):
        excuse(second, manager)  # no miss left: healthy
    evaluate(T0 + timedelta(minutes=11))
    evaluate(T0 + timedelta(minutes=12))
    assert sent(objective) == ["objective_budget_spent", "objective_recovered"]
    recovered = ObjectiveEvent.objects.get(kind="objective_recovered")
    with at(T0 + timedelta(minutes=12)):
        deliver_due()
    # Both alerts go out in this one delivery run, in parallel: in either order.
    titles = {r.json()["data"]["title"] for r in web.to("/hook")}
    assert "FRT 95% monthly recovered: 0 misses of 0 allowed" in titles  # excused: out of n
    assert recovered.details["previous_status"] == "at_risk"


def test_alerts_are_rearmed_only_after_an_hour_healthy(around_the_clock, manager, hook):
    objective = frt_95(hook, notify_managers=False)
    kept(19)
    first = missed(START + timedelta(hours=5))
    evaluate(T0)  # at risk
    with at(T0 + timedelta(minutes=5)):
        excuse(first, manager)
    evaluate(T0 + timedelta(minutes=6))  # recovered, healthy from now
    again = missed(T0 - timedelta(minutes=20), seen_at=T0 + timedelta(minutes=45))
    evaluate(T0 + timedelta(minutes=46))  # at risk again within the hour: not said again
    assert sent(objective) == ["objective_at_risk", "objective_recovered"]

    with at(T0 + timedelta(minutes=50)):
        excuse(again, manager)
    evaluate(T0 + timedelta(minutes=51))  # healthy again, no second "recovered"
    evaluate(T0 + timedelta(minutes=112))  # held for an hour: re-armed
    assert not ObjectiveAlertState.objects.get(objective=objective).at_risk_sent
    missed(T0 + timedelta(minutes=55), seen_at=T0 + timedelta(minutes=116))
    evaluate(T0 + timedelta(minutes=117))
    assert sent(objective) == ["objective_at_risk", "objective_recovered", "objective_at_risk"]


# ---------------------------------------------------------------------------------- burn


def test_a_fast_burn_alerts_at_once_but_only_with_three_misses_in_the_hour(
    around_the_clock, manager, hook
):
    # 80 %: 30 clocks allow 6 misses; at risk only at all 6 (share 1.0), so only the burn speaks.
    objective = frt_95(hook, notify_managers=False, at_risk_share=1)
    Objective.objects.filter(pk=objective.pk).update(target_percent=80)
    kept(27)
    t = T0
    missed(t - timedelta(minutes=90), seen_at=t - timedelta(minutes=29))
    missed(t - timedelta(minutes=85), seen_at=t - timedelta(minutes=24))
    evaluate(t - timedelta(minutes=23))  # 2 misses in the last hour
    assert sent(objective) == []

    missed(t - timedelta(minutes=80), seen_at=t - timedelta(minutes=19))
    evaluate(t - timedelta(minutes=18))
    [event] = ObjectiveEvent.objects.filter(objective=objective)
    assert event.kind == "objective_at_risk" and event.details["reason"] == "burn_rate"
    assert event.details["burn"]["misses"] == 3 and event.details["status"] == "at_risk"
    assert event.details["figures"]["status"] == "healthy"  # the figures alone would not alert


def test_misses_spread_over_the_day_are_no_fast_burn(around_the_clock, manager, hook):
    objective = frt_95(hook, notify_managers=False, at_risk_share=1)
    Objective.objects.filter(pk=objective.pk).update(target_percent=80)
    kept(27)
    for hours in (1, 3, 5):
        missed(T0 - timedelta(hours=hours + 1), seen_at=T0 - timedelta(hours=hours))
    evaluate(T0)
    assert sent(objective) == []


# -------------------------------------------------------------------------- exactly once


def test_two_evaluators_racing_on_one_change_alert_once(
    around_the_clock, manager, hook, monkeypatch
):
    """The other cluster moves the state between this one's read and its write."""
    objective = frt_95(hook)
    kept(19)
    missed(START + timedelta(hours=5))
    real = episodes.transition
    raced = []

    def meanwhile(state, status, now):
        if not raced:
            raced.append(True)
            episodes.evaluate(Objective.objects.get(pk=objective.pk), now)  # the other cluster
        return real(state, status, now)

    monkeypatch.setattr(episodes, "transition", meanwhile)
    evaluate(T0)
    assert sent(objective) == ["objective_at_risk"]
    assert Delivery.objects.count() == 2 and Notification.objects.count() == 1
    assert ObjectiveAlertState.objects.get(objective=objective).version == 1


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_four_evaluate_runs_at_once_on_postgresql_alert_once(around_the_clock, manager, hook):
    assert connection.vendor == "postgresql"
    objective = frt_95(hook)
    kept(19)
    missed(START + timedelta(hours=5))
    barrier, errors = threading.Barrier(4), []

    def run():
        try:
            barrier.wait(timeout=10)
            evaluate_objectives()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    with at(T0):
        workers = [threading.Thread(target=run) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
    assert not errors, errors
    assert sent(objective) == ["objective_at_risk"]
    assert Delivery.objects.count() == 2 and Notification.objects.count() == 1


# --------------------------------------------------------------------------- quiet hours


def test_an_objective_alert_is_never_held_for_quiet_hours(settings, manager):
    """Saturday night, office hours only, by e-mail (a kind quiet hours hold for clocks)."""
    tier("Free", default=True)
    policy(
        "Office", calendar=office_calendar(), page_24_7=False, targets=[("first_response", "", 60)]
    )
    mailbox = AlertChannel.objects.create(name="Leads", kind="email", addresses="leads@example.com")
    objective = frt_95(mailbox, notify_managers=False)
    saturday_night = datetime(2026, 11, 28, 23, tzinfo=UTC)
    kept(19)
    missed(START + timedelta(hours=5))
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        evaluate(saturday_night)
        [row] = Delivery.objects.filter(objective_event__objective=objective)
        assert not row.held_for_quiet_hours and row.next_attempt_at == saturday_night
        with at(saturday_night):
            deliver_due()
        [mail] = server.to("leads@example.com")
    assert mail.subject == "[SLA] FRT 95% monthly at risk: 1 miss of 1 allowed"
    assert "Budget left: 0" in mail.part("text/plain")


# ------------------------------------------------------------------------------ the pages


def test_managers_read_objective_alerts_in_the_deliveries_list_and_their_notifications(
    around_the_clock, manager, client, hook
):
    objective = frt_95(hook)
    kept(19)
    missed(START + timedelta(hours=5))
    evaluate(T0)
    client.force_login(manager)
    listing = client.get(reverse("admin:threads_delivery_changelist"))
    assert listing.status_code == 200
    assert "Objective: FRT 95% monthly" in listing.content.decode()
    page = client.get(reverse("notifications"))
    assert "FRT 95% monthly at risk: 1 miss of 1 allowed" in page.content.decode()
    note = Notification.objects.get(user=manager)
    opened_note = client.get(reverse("notification-open", args=[note.pk]))
    assert opened_note.status_code == 302
    assert opened_note["Location"].endswith(f"/objectives/{objective.pk}/")  # its page
    note.refresh_from_db()
    assert note.read_at is not None


def test_the_fewest_misses_of_a_burn_is_set_by_the_environment(
    around_the_clock, manager, hook, monkeypatch
):
    monkeypatch.setenv("SLA_OBJECTIVE_BURN_MIN_MISSES", "2")
    objective = frt_95(hook, notify_managers=False, at_risk_share=1)
    Objective.objects.filter(pk=objective.pk).update(target_percent=80)
    kept(27)
    missed(T0 - timedelta(minutes=90), seen_at=T0 - timedelta(minutes=29))
    missed(T0 - timedelta(minutes=85), seen_at=T0 - timedelta(minutes=24))
    evaluate(T0 - timedelta(minutes=23))
    [event] = ObjectiveEvent.objects.filter(objective=objective)
    assert event.details["reason"] == "burn_rate" and event.details["burn"]["misses"] == 2


def test_a_slow_burn_alerts_only_while_the_last_half_hour_still_burns(
    around_the_clock, manager, hook
):
    objective = frt_95(hook, notify_managers=False, at_risk_share=1)
    Objective.objects.filter(pk=objective.pk).update(target_percent=80)
    kept(27)
    for hours in (5, 3):  # one miss an hour or two apart: no fast burn
        missed(T0 - timedelta(hours=hours, minutes=61), seen_at=T0 - timedelta(hours=hours))
    missed(T0 - timedelta(hours=2, minutes=1), seen_at=T0 - timedelta(minutes=60))
    evaluate(T0)  # 3 misses in 6 hours, none in the last 30 minutes: cooling down
    assert sent(objective) == []

    missed(T0 - timedelta(minutes=50), seen_at=T0 + timedelta(minutes=11))
    evaluate(T0 + timedelta(minutes=12))
    [event] = ObjectiveEvent.objects.filter(objective=objective)
    assert event.details["reason"] == "slow_burn" and event.details["burn"]["misses"] == 4


def test_slack_teams_and_pagerduty_say_which_objective_and_its_budget(
    around_the_clock, manager, hook
):
    from threads.alerting.alert import alert_for
    from threads.alerting.transports import pagerduty, slack, teams

    objective = frt_95(hook, notify_managers=False)
    kept(19)
    missed(START + timedelta(hours=5))
    evaluate(T0)
    alert = alert_for(Delivery.objects.select_related("objective_event__objective").get())
    posted = slack.message(alert)
    assert posted["blocks"][0]["text"]["text"] == "FRT 95% monthly at risk: 1 miss of 1 allowed"
    shown = [field["text"] for field in posted["blocks"][1]["fields"]]
    assert "*Status*\nAt risk" in shown and "*Budget left*\n0" in shown
    facts = {f["title"]: f["value"] for f in teams.card(alert)["body"][1]["facts"]}
    assert facts["Objective"] == "FRT 95% monthly" and facts["Budget left"] == "0"
    paged = pagerduty.trigger(alert, "k" * 32)
    assert paged["dedup_key"] == f"slaops-objective-{objective.pk}@sla.example.com"
