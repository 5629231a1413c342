"""Operator alerts: SLA Ops tells its operators when it is in trouble, once per incident, and
again when the incident ends ("Recovered: …").

The problems are the /status checks' (slaops/health/checks.py): the evaluator failing (its last
tick too old, or lagging), a channel whose deliveries have been failing for
SLA_HEALTH_CHANNEL_FAILING_SECONDS, an IMAP mailbox not polled successfully for
SLA_HEALTH_MAIL_POLL_SECONDS. A django-q2 schedule runs this every minute (slaops/schedules.py);
opening and closing an incident are compare-and-set, so two runs never announce one twice.

Alerts go through the existing transports to every enabled channel a manager marked "operator
alerts" in the admin; if there is none, or none accepted it, by e-mail to the people in the
Managers role. Rate limit: a problem back within SLA_OPERATOR_ALERT_QUIET_MINUTES of its last
announced incident is recorded but neither it nor its recovery is sent. An operator alert does
not go through the delivery outbox (it is about the outbox itself being in trouble): the
incident row is its outbox. Its announcement and its recovery are marked sent when a channel or
the managers' e-mail took them; until then every run tries again, start before recovery, for
SLA_OPERATOR_ALERT_RETRY_MINUTES. Each try is claimed by a compare-and-set on `tries`, so two
runs never send one twice.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from slaops.health import checks, heartbeats
from slaops.health.banner import minutes

log = logging.getLogger(__name__)


def problems(now: datetime) -> dict[str, str]:
    """{problem key: what is wrong, in words} for everything wrong now."""
    found = {}
    evaluator = checks.evaluator(now)
    if evaluator.state == checks.FAILING:
        found["evaluator"] = evaluator_trouble(evaluator.figures)
    for channel in checks.failing_channels(now):
        found[channel.key] = f"Alerts to “{channel.name}” failing for {minutes(channel.since, now)}"
    limit = settings.SLA_HEALTH_MAIL_POLL_SECONDS
    for box in checks.mailboxes(now).figures["mailboxes"]:
        age = box["last_poll_seconds_ago"]
        if age is None or age > limit:
            since = "never polled" if age is None else f"not polled for {age // 60} minutes"
            found[heartbeats.mailbox_name(box["id"])] = f"Mailbox “{box['name']}” {since}"
    return found


def evaluator_trouble(figures: dict) -> str:
    tick = figures["last_tick_seconds_ago"]
    if tick is None:
        return "The SLA evaluator has not completed a tick"
    if tick > figures["tick_limit_seconds"]:
        return f"The SLA evaluator is stopped: last evaluation {tick // 60} minutes ago"
    return f"The SLA evaluator is lagging: a due clock waiting {figures['lag_seconds']} s"


def run_operator_alerts(now: datetime | None = None) -> str:
    """Open an incident for each new problem and close those gone, announcing each once."""
    from slaops.models import OperatorIncident

    now = now or timezone.now()
    current = problems(now)
    still_open = {i.problem: i for i in OperatorIncident.objects.filter(ended_at__isnull=True)}
    opened = closed = 0
    for problem, title in current.items():
        if problem in still_open:
            continue
        announce = not _announced_lately(problem, now)
        try:
            with transaction.atomic():
                OperatorIncident.objects.create(
                    problem=problem, title=title[:300], started_at=now, announced=announce
                )
        except IntegrityError:
            continue  # another run opened it
        opened += 1
    for problem, incident in still_open.items():
        if problem in current:
            continue
        ended = OperatorIncident.objects.filter(pk=incident.pk, ended_at__isnull=True)
        closed += ended.update(ended_at=now)
    sent = send_due_notices(now)
    return f"{opened} incidents opened, {closed} recovered, {len(current)} open, {sent} sent"


def send_due_notices(now: datetime) -> int:
    """Send what is due: each announced incident's start, then (once it ended) its recovery,
    retried every run until sent or SLA_OPERATOR_ALERT_RETRY_MINUTES old. The notices sent."""
    from django.db.models import F, Q

    from slaops.models import OperatorIncident

    since = now - timedelta(minutes=settings.SLA_OPERATOR_ALERT_RETRY_MINUTES)
    due = OperatorIncident.objects.filter(announced=True).filter(
        Q(announced_at__isnull=True, started_at__gte=since)
        | Q(recovery_sent_at__isnull=True, ended_at__gte=since)
    )
    sent = 0
    for incident in due.order_by("started_at", "pk"):
        claimed = OperatorIncident.objects.filter(pk=incident.pk, tries=incident.tries)
        if not claimed.update(tries=F("tries") + 1):
            continue  # another run is trying it
        if incident.announced_at is None and incident.started_at >= since:
            if not notify(incident, recovered=False, now=now):
                continue  # the recovery waits for its start
            OperatorIncident.objects.filter(pk=incident.pk).update(announced_at=now)
            sent += 1
        ended, unsent = incident.ended_at is not None, incident.recovery_sent_at is None
        if ended and unsent and notify(incident, recovered=True, now=incident.ended_at):
            OperatorIncident.objects.filter(pk=incident.pk).update(recovery_sent_at=now)
            sent += 1
    return sent


def _announced_lately(problem: str, now: datetime) -> bool:
    from slaops.models import OperatorIncident

    quiet = timedelta(minutes=settings.SLA_OPERATOR_ALERT_QUIET_MINUTES)
    lately = OperatorIncident.objects.filter(problem=problem, announced=True)
    return lately.filter(started_at__gt=now - quiet).exists()


def operator_alert(incident, *, recovered: bool, now: datetime):
    from threads.alerting.alert import Alert

    title = f"Recovered: {incident.title}" if recovered else f"SLA Ops: {incident.title}"
    return Alert(
        title=title[:300],
        event_kind="operator.recovered" if recovered else "operator.incident",
        event_label="Recovered" if recovered else "Failing",
        at=now,
        issued_at=now,
        thread_id=None,
        subject=incident.title,
        account="",
        priority="urgent",
        priority_label="Urgent",
        status="",
        source="slaops",
        external_id="",
        metric="",
        metric_label="",
        previous_state=None,
        current_state="",
        due_at=None,
        zone=timezone.get_default_timezone_name(),
        time_left=None,
        policy="",
        link=settings.SITE_URL + "/admin/",
        operator={"incident": incident.pk, "problem": incident.problem, "recovered": recovered},
    )


def notify(incident, *, recovered: bool, now: datetime) -> bool:
    """Send to the operator channels; e-mail the managers when none took it. True if sent."""
    from policies.models import AlertChannel
    from threads.alerting.attempt import attempt
    from threads.alerting.transports import transport_for
    from threads.models import Delivery

    alert = operator_alert(incident, recovered=recovered, now=now)
    sent = False
    for channel in AlertChannel.objects.filter(operator_alerts=True, enabled=True):
        transport = transport_for(channel.kind)
        if transport is None:
            continue
        transport.prepare(channel)
        for recipient in transport.recipients(channel):
            delivery = Delivery(kind=channel.kind, channel=channel, recipient=recipient)
            outcome = attempt(transport, delivery, alert)
            sent = sent or outcome.ok
            if not outcome.ok:
                log.warning("operator alert to channel %s failed: %s", channel.pk, outcome.error)
    return sent or email_managers(alert)


def email_managers(alert) -> bool:
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    from accounts.roles import MANAGERS

    people = get_user_model().objects.filter(is_active=True, groups__name=MANAGERS)
    addresses = sorted(set(people.exclude(email="").values_list("email", flat=True)))
    if not addresses:
        log.warning("operator alert not sent: no operator channel and no manager's address")
        return False
    body = f"{alert.title}\n\nOpen SLA Ops: {alert.link}\n"
    try:
        send_mail(f"[SLA] {alert.title}", body, None, addresses)
    except Exception as error:  # noqa: BLE001 - a mail server down must not fail the run
        log.warning("operator alert e-mail failed: %s", type(error).__name__)
        return False
    return True
