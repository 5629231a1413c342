"""The demo's promises: breach reasons a desk keeps, two objectives over the demo's history, and
reasons on some of its past breaches (so the contract and operations figures differ)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from policies.models import BreachReason, Tier
from policies.vocabulary import Metric

HISTORY_DAYS = 60  # the demo's history goes back 42 days
REASONS = [
    ("Customer unreachable", True, "The customer did not answer our questions in time."),
    ("Third-party outage", True, "A provider we depend on was down."),
    ("Understaffed", False, ""),
    ("Missed in queue", False, ""),
]


def seed_objectives(report) -> None:
    from objectives.models import Objective
    from threads.models import SlaClock

    reasons = []
    for name, excused, customer_text in REASONS:
        reason, created = BreachReason.objects.get_or_create(
            name=name, defaults={"excused": excused, "customer_text": customer_text}
        )
        reasons.append(reason)
        if created:
            report.created.append(f"breach reason {name}")
    objectives = [
        ("First responses 95% monthly", Metric.FIRST_RESPONSE, "95", "month", {}),
        ("Resolutions 90% each quarter", Metric.RESOLUTION, "90", "quarter", {}),
    ]
    enterprise = Tier.objects.filter(name="Enterprise").first()
    if enterprise is not None:
        scope = {"tiers": [enterprise.pk]}
        objectives.append(
            ("Enterprise first responses 98%", Metric.FIRST_RESPONSE, "98", "month", scope)
        )
    for name, metric, target, period, scope in objectives:
        objective, created = Objective.objects.get_or_create(
            name=name,
            defaults={
                "metric": metric,
                "target_percent": Decimal(target),
                "period": period,
                "time_zone": "Europe/Berlin",
                "scope": scope,
            },
        )
        if created:
            # As if the desk had kept it since before the demo's history: its past months
            # close as snapshots (GET /api/v1/objectives/{id}/periods/).
            Objective.objects.filter(pk=objective.pk).update(
                created_at=timezone.now() - timedelta(days=HISTORY_DAYS)
            )
            report.created.append(f"objective {name}")
    # Every third past breach got a reason, confirmed as a manager would.
    missed = SlaClock.objects.filter(missed_at__isnull=False, breach_reason__isnull=True)
    for n, pk in enumerate(missed.order_by("pk").values_list("pk", flat=True)[:60:3]):
        SlaClock.objects.filter(pk=pk).update(
            breach_reason=reasons[n % len(reasons)], breach_reason_confirmed=True
        )
