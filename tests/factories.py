"""Small builders for the configuration most tests need."""

from datetime import time, timedelta

from policies.models import Calendar, OpeningHours, SlaPolicy, SlaTarget, Tier, WarningThreshold
from policies.models.policies import default_reply_resumes


def office_calendar(name="Office", zone="Europe/Berlin", opens=time(9), closes=time(17)):
    calendar = Calendar.objects.create(name=name, time_zone=zone)
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=day, opens=opens, closes=closes) for day in range(5)
    )
    return calendar


def tier(name, *, default=False, order=0):
    return Tier.objects.create(name=name, is_default=default, order=order)


def policy(
    name,
    *,
    calendar=None,
    order=10,
    targets=(("first_response", "", 60),),
    tiers=(),
    thresholds=(),
    **fields,
):
    # A bare policy pauses nothing unless a test says so (the model's own default pauses both
    # waits, as docs/rules.md documents); a reply ends only the waits that pause.
    fields.setdefault("pause_statuses", [])
    fields.setdefault(
        "reply_resumes", [s for s in default_reply_resumes() if s in fields["pause_statuses"]]
    )
    created = SlaPolicy.objects.create(name=name, calendar=calendar, order=order, **fields)
    created.tiers.set(tiers)
    SlaTarget.objects.bulk_create(
        SlaTarget(policy=created, metric=m, priority=p, duration=timedelta(minutes=minutes))
        for m, p, minutes in targets
    )
    WarningThreshold.objects.bulk_create(
        WarningThreshold(policy=created, kind=k, value=v) for k, v in thresholds
    )
    return created
