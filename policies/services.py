"""Writes to the SLA configuration. Admin actions, commands and the demo seed call these."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import holidays as holidays_package
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from policies.catalog import TEMPLATES
from policies.models import (
    Calendar,
    ConfigurationVersion,
    EscalationLevel,
    Holiday,
    NotificationRule,
    OpeningHours,
    SlaPolicy,
    SlaTarget,
    Tier,
    WarningThreshold,
)
from policies.models.policies import default_reply_resumes
from policies.selectors import weekly_hours
from policies.vocabulary import Metric, Priority
from slaops.formatting import format_duration, parse_duration


@dataclass(frozen=True)
class TargetRow:
    metric: str
    priority: str
    duration: timedelta


@dataclass(frozen=True)
class ThresholdRow:
    kind: str
    value: int


def policy_problems(
    *, targets: Iterable[TargetRow], thresholds: Iterable[ThresholdRow]
) -> list[str]:
    """What is wrong with a policy's targets and warnings as a whole, in a manager's words."""
    targets, thresholds = list(targets), list(thresholds)
    problems = []
    first = {t.priority for t in targets if t.metric == Metric.FIRST_RESPONSE}
    all_priorities = set(Priority.values)
    for target in targets:
        if target.metric != Metric.NEXT_RESPONSE:
            continue
        covered = "" in first or (
            first >= all_priorities if not target.priority else target.priority in first
        )
        if not covered:
            who = Priority(target.priority).label if target.priority else "any priority"
            problems.append(
                f"A next response target ({who}) needs a first response target for the same "
                "priority (or for any priority) in this policy: next response only starts after "
                "a first reply."
            )
    if targets:
        shortest = min(targets, key=lambda t: t.duration)
        for threshold in thresholds:
            if (
                threshold.kind == WarningThreshold.Kind.MINUTES_BEFORE
                and timedelta(minutes=threshold.value) >= shortest.duration
            ):
                problems.append(
                    f"The warning {format_duration(timedelta(minutes=threshold.value))} before "
                    f"due is not shorter than the shortest target "
                    f"({Metric(shortest.metric).label}, {format_duration(shortest.duration)}): "
                    "it would fire the moment the clock starts."
                )
            if threshold.kind == WarningThreshold.Kind.PERCENT_USED and not (
                1 <= threshold.value <= 99
            ):
                problems.append(f"A warning at {threshold.value}% must be between 1% and 99%.")
    return problems


def configuration_changed() -> None:
    """Change the configuration version in the current transaction, so every process's caches
    reload. Writes through the models do it themselves (policies.models.ConfigurationModel);
    call it after a write that bypasses them (raw SQL)."""
    ConfigurationVersion.bump()


@transaction.atomic
def policies_set_active(*, policies: Iterable[SlaPolicy], active: bool) -> int:
    """Switch policies on or off for threads matched from now on; returns how many."""
    ids = [p.pk for p in policies]
    return SlaPolicy.objects.filter(pk__in=ids).update(active=active, updated_at=timezone.now())


@transaction.atomic
def tier_make_default(*, tier: Tier) -> Tier:
    # Unset first: the partial unique index allows one default at any moment of the transaction.
    Tier.objects.filter(is_default=True).exclude(pk=tier.pk).update(is_default=False)
    Tier.objects.filter(pk=tier.pk).update(is_default=True)
    tier.is_default = True
    return tier


def next_policy_order() -> int:
    """After every policy: what a new one (a template's, a clone, the admin's add form) gets."""
    return (SlaPolicy.objects.aggregate(m=Max("order"))["m"] or 0) + 10


@transaction.atomic
def policy_move(*, policy: SlaPolicy, up: bool) -> None:
    """Swap a policy with its neighbour in the matching order."""
    ordered = list(SlaPolicy.objects.select_for_update().order_by("order", "id"))
    # Renumber so equal orders never make a move ambiguous.
    for index, item in enumerate(ordered):
        item.order = (index + 1) * 10
    position = next(i for i, p in enumerate(ordered) if p.pk == policy.pk)
    other = position - 1 if up else position + 1
    if 0 <= other < len(ordered):
        ordered[position].order, ordered[other].order = (
            ordered[other].order,
            ordered[position].order,
        )
    SlaPolicy.objects.bulk_update(ordered, ["order"])


@transaction.atomic
def policy_clone(*, policy: SlaPolicy) -> SlaPolicy:
    """A copy placed last and inactive, so it can be edited before it takes any thread."""
    base, n = f"Copy of {policy.name}", 1
    name = base
    while SlaPolicy.objects.filter(name=name).exists():
        n += 1
        name = f"{base} ({n})"
    clone = SlaPolicy.objects.create(
        name=name,
        order=next_policy_order(),
        active=False,
        description=policy.description,
        priorities=list(policy.priorities),
        channels=list(policy.channels),
        calendar=policy.calendar,
        use_customer_time_zone=policy.use_customer_time_zone,
        pause_statuses=list(policy.pause_statuses),
        reply_resumes=list(policy.reply_resumes),
        page_24_7=policy.page_24_7,
    )
    clone.tiers.set(policy.tiers.all())
    clone.teams.set(policy.teams.all())
    SlaTarget.objects.bulk_create(
        SlaTarget(policy=clone, metric=t.metric, priority=t.priority, duration=t.duration)
        for t in policy.targets.all()
    )
    WarningThreshold.objects.bulk_create(
        WarningThreshold(policy=clone, kind=t.kind, value=t.value) for t in policy.thresholds.all()
    )
    EscalationLevel.objects.bulk_create(
        EscalationLevel(
            policy=clone,
            level=e.level,
            after=e.after,
            reassign_team_id=e.reassign_team_id,
            raise_priority=e.raise_priority,
        )
        for e in policy.escalations.all()
    )
    for rule in policy.rules.all():
        channels = list(rule.channels.all())
        rule.pk, rule.policy = None, clone
        rule.save()
        rule.channels.set(channels)
    return clone


BUSINESS_HOURS_CALENDAR = "Business hours"


def business_hours_calendar(*, zone: str) -> Calendar:
    """The calendar a business-hours template describes: “Business hours”, Monday to Friday
    9:00–17:00, in `zone` when it has to be created (an existing one is used as it is)."""
    from datetime import time

    calendar, created = Calendar.objects.get_or_create(
        name=BUSINESS_HOURS_CALENDAR, defaults={"time_zone": zone}
    )
    if created:
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=calendar, weekday=day, opens=time(9), closes=time(17))
            for day in range(5)
        )
    return calendar


@transaction.atomic
def policies_from_template(
    *, key: str, calendar: Calendar | None, active: bool = True, prefix: str = ""
) -> list[SlaPolicy]:
    """Create the template's policies (and the tiers it needs) at the end of the order.

    Names that already exist get a number, so a template can be used twice."""
    template = TEMPLATES[key]
    tiers = {}
    for index, tier_name in enumerate(template.tiers):
        tier, _ = Tier.objects.get_or_create(name=tier_name, defaults={"order": index + 1})
        tiers[tier_name] = tier
    if not Tier.objects.filter(is_default=True).exists() and tiers:
        tier_make_default(tier=tiers[template.tiers[-1]])
    created = []
    for spec in template.policies:
        name, n = f"{prefix}{spec.name}", 1
        while SlaPolicy.objects.filter(name=name).exists():
            n += 1
            name = f"{prefix}{spec.name} ({n})"
        policy = SlaPolicy.objects.create(
            name=name,
            order=next_policy_order(),
            active=active,
            description=f"From the “{template.name}” template. {spec.description}".strip(),
            priorities=list(spec.priorities),
            calendar=None if spec.page_24_7 and not template.wants_business_hours else calendar,
            pause_statuses=[str(s) for s in spec.pause_statuses],
            reply_resumes=[s for s in default_reply_resumes() if s in spec.pause_statuses],
            page_24_7=spec.page_24_7,
        )
        policy.tiers.set([tiers[name] for name in spec.tiers])
        SlaTarget.objects.bulk_create(
            SlaTarget(policy=policy, metric=m, priority=p, duration=parse_duration(d))
            for m, p, d in spec.targets
        )
        WarningThreshold.objects.bulk_create(
            WarningThreshold(policy=policy, kind=k, value=v) for k, v in spec.thresholds
        )
        EscalationLevel.objects.bulk_create(
            EscalationLevel(policy=policy, level=n, after=parse_duration(after), raise_priority=p)
            for n, (after, p) in enumerate(spec.escalations, start=1)
        )
        NotificationRule.objects.bulk_create(
            NotificationRule(
                policy=policy,
                events=events,
                to_assignee=assignee,
                to_team=team,
                to_managers=managers,
            )
            for events, assignee, team, managers in spec.rules
        )
        created.append(policy)
    return created


class HolidayImportError(ValueError):
    pass


@transaction.atomic
def holidays_import(
    *, calendar: Calendar, country: str, subdivision: str = "", years: Iterable[int]
) -> int:
    """Add the public holidays of a country (and subdivision) for some years; returns how many
    were new. Dates already on the calendar are kept as they are."""
    country, subdivision = country.strip().upper(), subdivision.strip().upper()
    supported = holidays_package.list_supported_countries()
    if country not in supported:
        raise HolidayImportError(f"Unknown country code '{country}' (use ISO codes such as DE).")
    if subdivision and subdivision not in supported[country]:
        raise HolidayImportError(
            f"Unknown subdivision '{subdivision}' for {country}; known: "
            f"{', '.join(supported[country][:20])}…"
        )
    years = list(years)
    found = holidays_package.country_holidays(country, subdiv=subdivision or None, years=years)
    existing = set(calendar.holidays.values_list("date", flat=True))
    source = f"holidays:{country}" + (f"-{subdivision}" if subdivision else "")
    new = [
        Holiday(calendar=calendar, date=day, name=name[:120], source=source)
        for day, name in sorted(found.items())
        if day not in existing
    ]
    Holiday.objects.bulk_create(new)
    # The engine cache is keyed on updated_at: touch it so every process sees the new dates.
    Calendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
    return len(new)


@transaction.atomic
def policy_times_set(
    *,
    policy_id: int,
    targets: dict[int, timedelta],
    thresholds: Iterable[tuple[str, int]] | None = None,
) -> None:
    """New durations for some of a policy's targets (by target id) and, unless None, its whole
    set of warnings as (kind, value) pairs; what is unchanged is not rewritten."""
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    changed = []
    for target in policy.targets.all():
        new = targets.get(target.pk)
        if new is not None and new != target.duration:
            target.duration = new
            changed.append(target)
    SlaTarget.objects.bulk_update(changed, ["duration"])
    if thresholds is not None:
        wanted = set(thresholds)
        existing = {(t.kind, t.value): t.pk for t in policy.thresholds.all()}
        WarningThreshold.objects.filter(
            pk__in=[pk for key, pk in existing.items() if key not in wanted]
        ).delete()
        WarningThreshold.objects.bulk_create(
            WarningThreshold(policy=policy, kind=kind, value=value)
            for kind, value in sorted(wanted - set(existing))
        )
    SlaPolicy.objects.filter(pk=policy.pk).update(updated_at=timezone.now())


@transaction.atomic
def calendar_days_set(
    *,
    calendar_id: int,
    weekly: dict | None = None,
    holidays_added: dict | None = None,
    holidays_removed: Iterable = (),
) -> None:
    """New weekly hours for a calendar (weekday -> [(opens, closes)], None = unchanged), and
    holidays added (date -> name; dates already there are kept) and removed."""
    calendar = Calendar.objects.select_for_update().get(pk=calendar_id)
    holidays_added = holidays_added or {}
    if weekly is not None:
        current = weekly_hours(calendar)
        if any(sorted(weekly.get(d, [])) != sorted(current[d]) for d in range(7)):
            OpeningHours.objects.filter(calendar=calendar).delete()
            OpeningHours.objects.bulk_create(
                OpeningHours(calendar=calendar, weekday=day, opens=opens, closes=closes)
                for day, spans in sorted(weekly.items())
                for opens, closes in sorted(spans)
            )
    Holiday.objects.filter(calendar=calendar, date__in=list(holidays_removed)).delete()
    existing = set(
        Holiday.objects.filter(calendar=calendar, date__in=list(holidays_added)).values_list(
            "date", flat=True
        )
    )
    Holiday.objects.bulk_create(
        Holiday(calendar=calendar, date=day, name=name)
        for day, name in sorted(holidays_added.items())
        if day not in existing
    )
    # The engine cache is keyed on updated_at as well as on the configuration version.
    Calendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
