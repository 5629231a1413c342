"""Who hears about an objective, and what they read (docs/rules.md, "Objectives: alerts").

An objective event's outbox rows go through the clocks' outbox (threads.Delivery, threads.
Notification) and its transports: one delivery per recipient of each of the objective's alert
channels, and, with `notify_managers`, an in-app notification and an e-mail for every manager.
They are written in the transaction that moved the objective's alert state (episodes.py) and are
never held for quiet hours: an objective has no business hours, and a budget is spent at night
as well as by day.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from accounts.roles import MANAGERS
from objectives.models import Objective, ObjectiveEvent, Status
from policies.vocabulary import Metric
from threads.alerting.alert import Alert
from threads.alerting.outbox import kick_delivery, save_outbox
from threads.alerting.transports import transport_for
from threads.models import Delivery, Notification

STATUS_LABELS = dict(Status.choices)
KIND_LABELS = dict(ObjectiveEvent.Kind.choices)
# The Slack app's second recipient is a thread's assignee: an objective has none.
NO_ASSIGNEE = ":assignee"


def objective_url(objective_id: int) -> str:
    """Where an objective is read: its page where there is one, else the admin's form."""
    try:
        path = reverse("objective", args=[objective_id])
    except NoReverseMatch:
        path = reverse("admin:objectives_objective_change", args=[objective_id])
    return settings.SITE_URL + path


def _misses(count: int) -> str:
    return f"{count} miss" if count == 1 else f"{count} misses"


def objective_title(name: str, kind: str, details: dict) -> str:
    """ "FRT 95% monthly at risk: 3 misses of 5 allowed"; a burn names its window."""
    numbers = details.get("figures") or {}
    budget = f"{_misses(numbers.get('misses', 0))} of {numbers.get('allowed_misses', 0)} allowed"
    reason = details.get("reason")
    if kind == ObjectiveEvent.Kind.AT_RISK and reason == "burn_rate":
        burn = details.get("burn") or {}
        what = f"at risk: {_misses(burn.get('misses', 0))} in the last hour (fast burn)"
    elif kind == ObjectiveEvent.Kind.AT_RISK and reason == "slow_burn":
        burn = details.get("burn") or {}
        what = f"at risk: {_misses(burn.get('misses', 0))} in the last 6 hours (slow burn)"
    elif kind == ObjectiveEvent.Kind.AT_RISK:
        what = f"at risk: {budget}"
    elif kind == ObjectiveEvent.Kind.BUDGET_SPENT:
        what = f"below target: {budget}"
    else:
        what = f"recovered: {budget}"
    return f"{name} {what}"[:300]


def record_objective_event(
    objective: Objective, kind: str, details: dict, now: datetime
) -> ObjectiveEvent:
    """The event and its outbox rows; call inside the transaction that moved the state."""
    event = ObjectiveEvent.objects.create(objective=objective, kind=kind, at=now, details=details)
    rows: dict[tuple[str, str], Delivery] = {}
    for channel in objective.alert_channels.all():
        transport = transport_for(channel.kind)
        if transport is None:
            continue
        for recipient in transport.recipients(channel):
            if recipient.endswith(NO_ASSIGNEE) or (channel.kind, recipient) in rows:
                continue
            rows[channel.kind, recipient] = Delivery(
                objective_event=event, kind=channel.kind, recipient=recipient, channel=channel
            )
    notifications = []
    if objective.notify_managers:
        title = objective_title(objective.name, kind, details)
        managers = get_user_model().objects.filter(groups__name=MANAGERS, is_active=True)
        for user_id, email in managers.order_by("pk").values_list("pk", "email").distinct():
            notifications.append(
                Notification(
                    user_id=user_id, objective_event=event, title=title, body=_summary(details)
                )
            )
            key = (Delivery.Kind.EMAIL, (email or "").lower())
            if email and key not in rows:
                rows[key] = Delivery(
                    objective_event=event, kind=key[0], recipient=key[1], user_id=user_id
                )
    for delivery in rows.values():
        delivery.next_attempt_at = now  # never held for quiet hours
    save_outbox(list(rows.values()), notifications)
    if rows:
        transaction.on_commit(kick_delivery)
    return event


def _summary(details: dict) -> str:
    numbers = details.get("figures") or {}
    compliance = numbers.get("compliance_percent")
    parts = [
        f"compliance {compliance} %" if compliance is not None else "no finished clock yet",
        f"budget left {numbers.get('budget_left', 0)}",
    ]
    if numbers.get("projected_percent") is not None:
        parts.append(f"projected {numbers['projected_percent']} %")
    return "; ".join(parts)


def objective_alert(delivery: Delivery) -> Alert:
    """What the transports say about an objective event (select_related its objective)."""
    event = delivery.objective_event
    objective = event.objective
    details = dict(event.details)
    status = details.get("status", "")
    previous = details.get("previous_status") or None
    return Alert(
        title=objective_title(objective.name, event.kind, details),
        event_kind=event.kind,
        event_label=str(KIND_LABELS.get(event.kind, event.kind)),
        at=event.at,
        issued_at=delivery.created_at,
        thread_id=None,
        subject=objective.name,
        account="",
        priority="urgent" if event.kind == ObjectiveEvent.Kind.BUDGET_SPENT else "normal",
        priority_label="—",
        status="",
        source="slaops",
        external_id="",
        metric=objective.metric,
        metric_label=str(dict(Metric.choices).get(objective.metric, objective.metric)),
        previous_state=previous,
        current_state=status,
        due_at=None,
        zone="UTC",
        time_left=None,
        policy="",
        link=objective_url(objective.pk),
        event_id=event.pk,
        details=details,
        objective={
            "id": objective.pk,
            "name": objective.name,
            "metric": objective.metric,
            "target_percent": float(objective.target_percent),
            "period": objective.period,
            "status": status,
            "status_label": str(STATUS_LABELS.get(status, status)),
        },
    )
