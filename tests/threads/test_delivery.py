"""Alert delivery against real local servers: what each recipient receives, once, and what the
admin shows when a channel fails.

Every alert here comes from a real breach: a thread opened Monday 10:00 Berlin under a 1-hour
first-response target, caught up at 11:05, so the "breaching" event and its deliveries exist.
"""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from standardwebhooks import Webhook

from accounts.models import Account, AgentProfile
from policies.alert_kinds import TRANSPORTS, TransportKind
from policies.models import AlertChannel, NotificationRule
from tests.factories import office_calendar, policy, tier
from tests.threads.servers import closed_url, http_server, smtp_server
from threads.alerting.alert import state_transition
from threads.alerting.claims import claim
from threads.alerting.delivery import deliver_due
from threads.alerting.transports import transport_for
from threads.alerting.transports.base import Result, Transport
from threads.models import ClockState, Delivery, EventKind, SlaClock, SlaEvent
from threads.services import thread_catch_up, thread_create

pytestmark = [pytest.mark.django_db, pytest.mark.both]

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BERLIN)
DUE = MONDAY_10 + timedelta(hours=1)
NOW = DUE + timedelta(minutes=5)
SITE = "https://sla.example.com"


def travel(moment):
    return time_machine.travel(moment, tick=False)


def run(at=NOW):
    with travel(at):
        return deliver_due()


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch, settings):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings.SITE_URL = SITE


@pytest.fixture
def mail(settings):
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server


@pytest.fixture
def web():
    with http_server() as server:
        yield server


def channel(kind, name=None, **fields):
    return AlertChannel.objects.create(name=name or kind.title(), kind=kind, **fields)


def configure(*, channels=(), assignee=None, page_24_7=True, minutes=60):
    tier("Free", default=True)
    standard = policy(
        "Standard",
        calendar=office_calendar(),
        page_24_7=page_24_7,
        targets=(("first_response", "", minutes),),
    )
    rule = NotificationRule.objects.create(
        policy=standard, events=["breaching"], to_assignee=assignee is not None, in_app=False
    )
    rule.channels.set(channels)
    return standard


def breach(subject="Printer on fire", *, assignee=None, account=None, opened=MONDAY_10, at=NOW):
    with travel(opened):
        thread = thread_create(
            subject=subject, first_message="help", assignee=assignee, account=account
        ).thread
    with travel(at):
        thread_catch_up(thread=thread)
    return thread


def delivery(kind=None):
    rows = Delivery.objects.all() if kind is None else Delivery.objects.filter(kind=kind)
    [row] = rows
    return row


def attempts(row):
    return [(a.ok, a.response_code) for a in row.log.all()]


# ---------------------------------------------------------------------------------- e-mail


def test_the_assignee_gets_one_email_with_the_due_time_in_their_zone_and_a_link(mail, agent):
    AgentProfile.objects.create(user=agent, time_zone="America/New_York")
    configure(assignee=agent)
    thread = breach(assignee=agent, account=Account.objects.create(name="Acme"))

    first, second = run(), run()

    assert (first.sent, second.sent) == (1, 0)
    [received] = mail.received
    assert received.rcpt_tos == ["alex@example.com"]
    assert received.subject == f"[SLA] First response breaching: #{thread.pk} Printer on fire"
    text, html = received.part("text/plain"), received.part("text/html")
    link = f"{SITE}/threads/{thread.pk}/"
    for part in (text, html):
        assert "Mon 23 Nov 2026 05:00 EST" in part  # 11:00 Berlin, read in New York
        assert "Acme" in part and "Normal" in part and "First response" in part
        assert "overdue by 5m" in part
        assert link in part
    assert f'href="{link}"' in html
    sent = delivery()
    assert (sent.status, sent.attempts, sent.response_code) == ("sent", 1, 250)
    assert sent.sent_at == NOW
    assert attempts(sent) == [(True, 250)]


def test_a_channel_address_reads_the_due_time_in_the_policy_calendars_zone(mail):
    configure(channels=[channel("email", addresses="oncall@example.com")])
    breach()

    run()

    [received] = mail.to("oncall@example.com")
    assert "Mon 23 Nov 2026 11:00 CET" in received.part("text/plain")


def test_a_subject_with_a_line_break_is_sent_as_one_line(mail):
    configure(channels=[channel("email", addresses="oncall@example.com")])
    thread = breach("Printer\r\nBcc: evil@example.com\nX-Injected: yes")

    assert run().sent == 1

    [received] = mail.received
    assert received.rcpt_tos == ["oncall@example.com"]
    assert received.subject == (
        f"[SLA] First response breaching: #{thread.pk} Printer Bcc: evil@example.com "
        "X-Injected: yes"
    )
    assert received.message["Bcc"] is None and received.message["X-Injected"] is None


def test_a_sender_name_with_a_line_break_stays_one_header(mail, settings):
    settings.DEFAULT_FROM_EMAIL = "SLA Ops\r\nBcc: evil@example.com <slaops@example.com>"
    configure(channels=[channel("email", addresses="oncall@example.com")])
    breach()

    assert run().sent == 1

    [received] = mail.received
    assert received.rcpt_tos == ["oncall@example.com"] and received.message["Bcc"] is None
    assert received.message["From"].addresses[0].addr_spec == "slaops@example.com"


def test_a_refused_address_is_dead_and_a_busy_one_is_retried(mail):
    mail.refuse.update(
        {"gone@example.com": "550 5.1.1 No such user", "busy@example.com": "451 4.3.0 Try later"}
    )
    addresses = "gone@example.com\nbusy@example.com\nok@example.com"
    configure(channels=[channel("email", addresses=addresses)])
    breach()

    report = run()

    assert (report.sent, report.retrying, report.dead) == (1, 1, 1)
    by_address = {d.recipient: d for d in Delivery.objects.all()}
    assert by_address["gone@example.com"].status == "dead"
    assert "550" in by_address["gone@example.com"].last_error
    assert by_address["busy@example.com"].status == "retrying"
    assert by_address["ok@example.com"].status == "sent"


# ----------------------------------------------------------------------------------- Slack


def test_slack_gets_a_block_kit_message_with_a_text_fallback(web):
    configure(channels=[channel("slack", url=web.script("/slack", ["200"]))])
    thread = breach()

    assert run().sent == 1

    [request] = web.to("/slack")
    message = request.json()
    link = f"{SITE}/threads/{thread.pk}/"
    assert "First response breaching" in message["text"] and link in message["text"]
    header, section, actions = message["blocks"]
    assert header["text"]["text"] == f"First response breaching: #{thread.pk} Printer on fire"
    fields = " ".join(f["text"] for f in section["fields"])
    assert "Printer on fire" in fields and "Breaching" in fields and "11:00 CET" in fields
    assert actions["elements"][0]["url"] == link
    assert (delivery().status, delivery().response_code) == ("sent", 200)


def test_a_subject_cannot_mention_the_channel_or_disguise_a_link_in_slack(web):
    configure(channels=[channel("slack", url=web.script("/slack", ["200"]))])
    attack = "<!channel> <https://evil.example/login|Click> & <@U123>"
    thread = breach(attack, account=Account.objects.create(name="<!here> Acme"))

    assert run().sent == 1

    [request] = web.to("/slack")
    message = request.json()
    escaped = "&lt;!channel&gt; &lt;https://evil.example/login|Click&gt; &amp; &lt;@U123&gt;"
    header, section, _ = message["blocks"]
    fields = "\n".join(f["text"] for f in section["fields"])
    for text in (message["text"], header["text"]["text"], fields):
        assert escaped in text
    assert "&lt;!here&gt; Acme" in fields
    raw = request.body.decode()
    for control in ("<!channel>", "<!here>", "<https://evil", "<@U123>"):
        assert control not in raw
    # Our own links still work.
    link = f"{SITE}/threads/{thread.pk}/"
    assert f"<{link}|#{thread.pk} {escaped}>" in fields
    assert f"<{link}|" in message["text"]


def test_a_long_title_is_cut_without_breaking_an_escape(web):
    configure(channels=[channel("slack", url=web.script("/slack", ["200"]))])
    breach("&" * 200)

    run()

    header = web.to("/slack")[0].json()["blocks"][0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("&amp;")


def test_slack_rate_limit_reschedules_at_retry_after_then_sends(web):
    url = web.script("/slack", ["429:Retry-After=30", "200"])
    configure(channels=[channel("slack", url=url)])
    breach()

    assert run().retrying == 1
    limited = delivery()
    assert limited.status == "retrying"
    assert limited.next_attempt_at == NOW + timedelta(seconds=30)
    assert "429" in limited.last_error

    assert run(NOW + timedelta(seconds=29)).sent == 0
    assert run(NOW + timedelta(seconds=30)).sent == 1
    assert len(web.to("/slack")) == 2
    assert attempts(delivery()) == [(False, 429), (True, 200)]


def test_a_short_slack_rate_limit_is_waited_out_in_the_same_attempt(web):
    configure(channels=[channel("slack", url=web.script("/slack", ["429:Retry-After=0", "200"]))])
    breach()

    assert run().sent == 1

    assert len(web.to("/slack")) == 2
    assert attempts(delivery()) == [(True, 200)]


def test_a_server_error_is_retried_with_backoff_then_sent(web):
    configure(channels=[channel("slack", url=web.script("/slack", ["500", "200"]))])
    breach()

    assert run().retrying == 1
    waiting = delivery()
    assert NOW + timedelta(seconds=24) <= waiting.next_attempt_at <= NOW + timedelta(seconds=36)

    assert run(waiting.next_attempt_at).sent == 1
    assert attempts(delivery()) == [(False, 500), (True, 200)]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("404 no_service", "Slack answered 404 Not Found: no_service"),
        ("403 invalid_token", "Slack answered 403 Forbidden: invalid_token"),
        ("404 channel_not_found", "Slack answered 404 Not Found: channel_not_found"),
        ("410 gone", "Slack answered 410 Gone"),
    ],
)
def test_a_revoked_slack_webhook_is_dead_and_disables_the_channel(web, answer, reason):
    slack = channel("slack", url=web.script("/slack", [answer]))
    configure(channels=[slack])
    breach()

    assert run().dead == 1

    assert delivery().status == "dead"
    slack.refresh_from_db()
    assert not slack.enabled and slack.disabled_at == NOW
    assert slack.disabled_reason == reason

    breach("Second thread")
    assert run().dropped == 1
    later = Delivery.objects.get(event__thread__subject="Second thread")
    assert later.status == "dropped" and "disabled" in later.last_error
    assert later.get_status_display() == "Dropped (not sent on purpose)"  # not "Dead (gave up)"
    assert later.attempts == 0
    assert len(web.to("/slack")) == 1  # no request for the later alert


def test_a_bad_request_kills_only_that_delivery(web):
    slack = channel("slack", url=web.script("/slack", ["400 invalid_payload"]))
    configure(channels=[slack])
    breach()

    assert run().dead == 1

    slack.refresh_from_db()
    assert slack.enabled


def test_a_slow_failing_slack_does_not_hold_up_the_email_of_the_same_run(mail, web):
    mail_arrived = threading.Event()
    mail.on_receive = lambda received: mail_arrived.set()
    seen = []

    def slack_answers_after_the_mail(request):
        # Answers only once the e-mail has arrived: sending one after the other would block
        # here until Slack's timeout; sending side by side gets through at once.
        seen.append(mail_arrived.wait(timeout=4))
        return "500"

    url = web.script("/slack", [slack_answers_after_the_mail])
    configure(channels=[channel("slack", url=url), channel("email", addresses="ops@example.com")])
    breach()

    report = run()

    assert (report.sent, report.retrying) == (1, 1)
    assert seen == [True]
    assert len(mail.received) == 1
    assert Delivery.objects.get(kind="email").status == "sent"


def test_an_unreachable_slack_is_retried(mail):
    configure(channels=[channel("slack", url=closed_url("/slack"))])
    breach()

    assert run().retrying == 1

    assert "unreachable" in delivery().last_error


def test_an_alert_still_failing_a_day_later_is_given_up(web):
    configure(channels=[channel("slack", url=web.script("/slack", ["503"]))])
    breach()

    assert run().retrying == 1
    assert run(NOW + timedelta(hours=24, minutes=1)).dead == 1

    assert delivery().status == "dead" and delivery().attempts == 2


def test_an_alert_outside_business_hours_waits_for_the_calendar_to_open(web):
    url = web.script("/slack", ["200"])
    configure(channels=[channel("slack", url=url)], page_24_7=False, minutes=10)
    friday_1650 = datetime(2026, 11, 27, 16, 50, tzinfo=BERLIN)
    monday_9 = datetime(2026, 11, 30, 9, tzinfo=BERLIN)
    breach(opened=friday_1650, at=friday_1650 + timedelta(minutes=15))

    held = delivery()
    assert held.held_for_quiet_hours and held.next_attempt_at == monday_9
    assert run(friday_1650 + timedelta(minutes=15)).sent == 0
    assert run(monday_9).sent == 1


# --------------------------------------------------------------------------------- webhooks


def test_a_webhook_is_signed_and_keeps_its_id_when_retried(web):
    hook = channel("webhook", url=web.script("/hook", ["503", "200"]))
    configure(channels=[hook])
    thread = breach()

    assert run().retrying == 1
    hook.refresh_from_db()
    assert hook.secret.startswith("whsec_")
    retry_at = delivery().next_attempt_at
    assert run(retry_at).sent == 1

    first, second = web.to("/hook")
    hook_id = f"dlv_{delivery().uid.hex}"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == hook_id
    for request, at in ((first, NOW), (second, retry_at)):
        with travel(at):
            body = Webhook(hook.secret).verify(request.body, request.headers)
    assert body["type"] == "sla.status_transitioned"
    data = body["data"]
    assert data["thread"]["id"] == thread.pk
    assert data["thread"]["subject"] == "Printer on fire"
    assert (data["metric"], data["previous_state"], data["current_state"]) == (
        "first_response",
        "pending",
        "breaching",
    )
    assert data["due_at"] == "2026-11-23T10:00:00Z"
    assert data["policy"] == "Standard"
    assert first.body == second.body


def test_a_webhook_answering_410_disables_the_channel(web):
    hook = channel("webhook", url=web.script("/hook", ["410"]))
    configure(channels=[hook])
    breach()

    assert run().dead == 1

    hook.refresh_from_db()
    assert not hook.enabled and "410" in hook.disabled_reason


@pytest.mark.parametrize(("answer", "status"), [("422", "dead"), ("408", "retrying")])
def test_a_webhook_client_error_is_final_except_timeouts_and_rate_limits(web, answer, status):
    hook = channel("webhook", url=web.script("/hook", [answer]))
    configure(channels=[hook])
    breach()

    run()

    assert delivery().status == status
    hook.refresh_from_db()
    assert hook.enabled


def test_a_webhook_rate_limit_honours_retry_after(web):
    configure(channels=[channel("webhook", url=web.script("/hook", ["429:Retry-After=120"]))])
    breach()

    run()

    assert delivery().next_attempt_at == NOW + timedelta(seconds=120)


def test_the_webhook_states_follow_the_clock():
    clock = SlaClock(metric="first_response", warnings_passed=1, breached_at=DUE)

    def states(kind, **details):
        return state_transition(SlaEvent(kind=kind, clock=clock, details=details))

    assert states(EventKind.WARNING, index=1) == ("pending", "imminent_breach")
    assert states(EventKind.WARNING, index=2) == ("imminent_breach", "imminent_breach")
    assert states(EventKind.BREACHING) == ("imminent_breach", "breaching")
    assert states(EventKind.ESCALATED, level=1) == ("breaching", "breaching")
    assert states(EventKind.BREACHED) == ("breaching", "breached")
    assert states(EventKind.CANCELLED) == ("breaching", "cancelled")
    clock.warnings_passed, clock.breached_at = 0, None
    assert states(EventKind.ACHIEVED) == (ClockState.PENDING, ClockState.ACHIEVED)


# ---------------------------------------------------------------------- exactly once


def test_a_delivery_claimed_by_two_runs_is_sent_once(mail):
    configure(channels=[channel("email", addresses="ops@example.com")])
    breach()

    row = delivery()
    with travel(NOW):
        first, again = claim(row, now=NOW), claim(row, now=NOW)
    assert first is not None and again is None
    assert delivery().status == "sending"

    assert run().sent == 0  # still claimed by the first run
    assert mail.received == []


def test_two_runs_in_a_row_send_each_alert_once(mail):
    configure(channels=[channel("email", addresses="a@example.com, b@example.com")])
    breach()

    assert (run().sent, run().sent) == (2, 0)
    assert sorted(m.rcpt_tos[0] for m in mail.received) == ["a@example.com", "b@example.com"]


def test_a_sending_row_whose_claim_expired_is_sent_again(mail):
    configure(channels=[channel("email", addresses="ops@example.com, other@example.com")])
    breach()
    Delivery.objects.filter(recipient="ops@example.com").update(
        status="sending", claimed_until=NOW - timedelta(seconds=1)
    )
    Delivery.objects.filter(recipient="other@example.com").update(
        status="sending", claimed_until=NOW + timedelta(seconds=60)
    )

    assert run().sent == 1

    assert [m.rcpt_tos for m in mail.received] == [["ops@example.com"]]
    assert Delivery.objects.get(recipient="other@example.com").status == "sending"


def test_deliveries_not_started_in_a_runs_time_stay_in_the_queue(mail):
    configure(channels=[channel("email", addresses="a@example.com, b@example.com")])
    breach()

    with travel(NOW):
        report = deliver_due(budget=timedelta(0))

    assert (report.sent, report.skipped, report.more) == (0, 0, True)
    assert mail.received == []
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    assert run().sent == 2


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_postgresql_send_each_alert_once(mail):
    assert connection.vendor == "postgresql"
    addresses = ", ".join(f"agent{i}@example.com" for i in range(6))
    configure(channels=[channel("email", addresses=addresses)])
    breach()
    barrier, errors = threading.Barrier(4), []

    def worker():
        try:
            barrier.wait(timeout=10)
            deliver_due(now=NOW)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    with travel(NOW):
        workers = [threading.Thread(target=worker) for _ in range(4)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=30)

    assert not errors, errors
    assert sorted(m.rcpt_tos[0] for m in mail.received) == sorted(addresses.split(", "))
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


# ------------------------------------------------------------------------------- admin


def test_manager_opens_the_alert_pages(manager_client, web):
    slack = channel("slack", url=web.script("/slack", ["200"]))
    standard = configure(channels=[slack])
    breach()
    run()
    pages = [
        reverse("admin:policies_alertchannel_changelist"),
        reverse("admin:policies_alertchannel_add"),
        reverse("admin:policies_alertchannel_change", args=[slack.pk]),
        reverse("admin:threads_delivery_changelist"),
        reverse("admin:threads_delivery_change", args=[delivery().pk]),
        reverse("admin:threads_notification_changelist"),
        reverse("admin:policies_slapolicy_change", args=[standard.pk]),
    ]
    for page in pages:
        assert manager_client.get(page).status_code == 200, page
    log = manager_client.get(pages[4]).content.decode()
    assert "delivery log" in log.lower() and "200" in log
    # A Slack webhook URL is a password: no page shows it, the list only its host.
    for page in pages:
        assert "/slack" not in manager_client.get(page).content.decode(), page


def test_a_test_alert_reports_each_channel(manager_client, mail, web):
    good = channel("slack", "Team Slack", url=web.script("/slack", ["200"]))
    bad = channel("webhook", "Partner hook", url=web.script("/hook", ["500"]))
    inbox = channel("email", "On-call", addresses="oncall@example.com")

    response = manager_client.post(
        reverse("admin:policies_alertchannel_changelist"),
        {"action": "send_test_alert", "_selected_action": [good.pk, bad.pk, inbox.pk]},
        follow=True,
    )

    shown = [str(m) for m in response.context["messages"]]
    assert "Team Slack: test alert sent (accepted (200))." in shown
    assert (
        "Partner hook: test alert failed: 127.0.0.1 had a problem on its side (it answered 500)"
        in shown
    )
    assert "On-call: test alert sent (oncall@example.com: accepted (250))." in shown
    assert mail.to("oncall@example.com")[0].subject == "[SLA] Test alert from SLA Ops"
    [hook_request] = web.to("/hook")
    bad.refresh_from_db()
    assert Webhook(bad.secret).verify(hook_request.body, hook_request.headers)["type"] == "sla.test"
    assert not Delivery.objects.exists()


def test_enable_again_clears_why_a_channel_was_disabled(manager_client, web):
    slack = channel("slack", url=web.script("/slack", ["403 invalid_token"]))
    configure(channels=[slack])
    breach()
    run()  # a real alert refused: the channel is disabled (a test alert never disables it)
    slack.refresh_from_db()
    assert not slack.enabled and "invalid_token" in slack.disabled_reason
    listing = manager_client.get(reverse("admin:policies_alertchannel_changelist"))
    assert "invalid_token" in listing.content.decode()

    manager_client.post(
        reverse("admin:policies_alertchannel_changelist"),
        {"action": "enable_again", "_selected_action": [slack.pk]},
    )

    slack.refresh_from_db()
    assert slack.enabled and slack.disabled_reason == "" and slack.disabled_at is None


def test_retry_now_sends_a_dead_delivery_at_the_next_run(manager_client, web):
    configure(channels=[channel("slack", url=web.script("/slack", ["400 invalid_payload", "200"]))])
    breach()
    run()
    dead = delivery()
    assert dead.status == "dead"

    later = NOW + timedelta(minutes=10)
    with travel(later):
        manager_client.post(
            reverse("admin:threads_delivery_changelist"),
            {"action": "retry_now", "_selected_action": [dead.pk]},
        )
    dead.refresh_from_db()
    assert (dead.status, dead.next_attempt_at) == ("pending", later)

    assert run(later).sent == 1


def test_manager_sets_up_escalations_and_notification_rules_with_checkboxes(manager_client):
    slack = channel("slack", url="https://hooks.slack.com/services/T/B/x")
    management = {
        f"{prefix}-{name}": value
        for prefix, total in (("targets", 1), ("thresholds", 0), ("escalations", 1), ("rules", 1))
        for name, value in (
            ("TOTAL_FORMS", str(total)),
            ("INITIAL_FORMS", "0"),
            ("MIN_NUM_FORMS", "0"),
            ("MAX_NUM_FORMS", "1000"),
        )
    }
    response = manager_client.post(
        reverse("admin:policies_slapolicy_add"),
        {
            "name": "Gold",
            "active": "on",
            "order": "10",
            **management,
            "targets-0-metric": "first_response",
            "targets-0-priority": "",
            "targets-0-duration": "1h",
            "escalations-0-level": "1",
            "escalations-0-after": "30m",
            "escalations-0-raise_priority": "urgent",
            "rules-0-events": ["breaching", "escalated"],
            "rules-0-metrics": ["first_response"],
            "rules-0-escalation_levels": ["1", "2"],
            "rules-0-to_assignee": "on",
            "rules-0-by_email": "on",
            "rules-0-channels": [str(slack.pk)],
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    rule = NotificationRule.objects.get()
    assert rule.events == ["breaching", "escalated"]
    assert rule.metrics == ["first_response"] and rule.escalation_levels == [1, 2]
    assert list(rule.channels.all()) == [slack]
    assert rule.policy.escalations.get().raise_priority == "urgent"


# --------------------------------------------------------------------------- a new transport


class PagerTransport(Transport):
    """A transport as a new module would add it: only its own network work."""

    def __init__(self):
        self.sent = []

    def send(self, delivery, alert):
        self.sent.append((delivery.recipient, alert.title, alert.current_state))
        return Result(202)


PAGER = TransportKind(
    label="Pager",
    channel_label="Pager (on-call app)",
    transport=f"{__name__}.PagerTransport",
    fields=("url",),
    check=lambda channel: None,
    held_in_quiet_hours=False,
)


def test_a_new_transport_is_one_module_and_one_registry_line(monkeypatch):
    monkeypatch.setitem(TRANSPORTS, "pager", PAGER)
    pager = channel("pager", url="https://pager.example.com/")
    configure(channels=[pager], page_24_7=False)
    thread = breach(at=MONDAY_10.replace(hour=19))  # after hours: a pager is not held

    report = run(at=MONDAY_10.replace(hour=19))

    assert report.sent == 1
    sent = delivery()
    assert (sent.kind, sent.status, sent.response_code) == ("pager", "sent", 202)
    assert not sent.held_for_quiet_hours
    assert transport_for("pager").sent == [
        (
            f"channel:{pager.pk}",
            f"First response breaching: #{thread.pk} Printer on fire",
            ClockState.BREACHING,
        )
    ]
