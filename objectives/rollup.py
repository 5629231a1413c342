"""Objectives' daily rollups and closed periods.

A rollup is one objective's counts for one local day that is over, counted from the clocks once
(`ensure_days`, when a figure first needs it) and counted again when something changed that day
after the fact: a late event, a rebuild, a breach reason, an exemption (threads' `CountChange`
rows, appended in the clock's own transaction and read here). No row is updated by many writers
at once. `rebuild` counts everything again; a test holds rollups equal to a recount.

A period that is over is kept as a snapshot (`close_periods`); a later recount that differs is
kept beside it as a correction.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from objectives.models import Objective, ObjectiveDay, ObjectivePeriod
from threads.models import CountChange


def _day_bounds(objective: Objective, day: date) -> tuple[datetime, datetime]:
    from objectives.figures import local_midnight

    return local_midnight(day, objective.zone), local_midnight(
        day + timedelta(days=1), objective.zone
    )


def count_day(objective: Objective, day: date) -> ObjectiveDay:
    from objectives.figures import count_clocks

    counts = count_clocks(objective, *_day_bounds(objective, day))
    return ObjectiveDay(
        objective=objective,
        day=day,
        achieved=counts.achieved,
        breached=counts.breached,
        excused=counts.excused,
        cancelled=counts.cancelled,
    )


def ensure_days(objective: Objective, first: date, until: date, now: datetime) -> dict:
    """Rollups for every day in [first, until), counted for the days that have none yet:
    day -> Counts."""
    from objectives.figures import Counts

    if until <= first:
        return {}
    while apply_count_changes() == CHANGES_AT_ONCE:
        pass  # every change told so far, however many: a figure never reads a stale day
    days = {
        day: Counts(*row)
        for day, *row in ObjectiveDay.objects.filter(
            objective=objective, day__gte=first, day__lt=until
        ).values_list("day", "achieved", "breached", "excused", "cancelled")
    }
    missing = [
        first + timedelta(days=n)
        for n in range((until - first).days)
        if first + timedelta(days=n) not in days
    ]
    if missing:
        rows = [count_day(objective, day) for day in missing]
        ObjectiveDay.objects.bulk_create(rows, ignore_conflicts=True)
        for row in rows:
            days[row.day] = Counts(row.achieved, row.breached, row.excused, row.cancelled)
    return days


CHANGES_AT_ONCE = 5000


def apply_count_changes(limit: int | None = None) -> int:
    """Forget the rollups of the days whose figures changed after the fact (they are counted
    again when next needed), and recount closed periods they fall in. Returns how many changes
    were read."""
    limit = limit or CHANGES_AT_ONCE
    changes = list(CountChange.objects.order_by("pk").values_list("pk", "at")[:limit])
    if not changes:
        return 0
    instants = sorted({at for _, at in changes})
    with transaction.atomic():
        # The rows read, exactly: one committed meanwhile under a lower key is read next time.
        # Deleted first, so the recounts below (which ask for rollups) do not read them again.
        CountChange.objects.filter(pk__in=[pk for pk, _ in changes]).delete()
        periods = []
        for objective in Objective.objects.all():
            days = {at.astimezone(objective.zone).date() for at in instants}
            ObjectiveDay.objects.filter(objective=objective, day__in=days).delete()
            periods += [
                period
                for period in ObjectivePeriod.objects.filter(objective=objective)
                if any(period.start <= at < period.end for at in instants)
            ]
        for period in periods:
            _recount(period)
    return len(changes)


def _snapshot(objective: Objective, start: datetime, end: datetime, now: datetime) -> dict:
    from objectives.figures import figures_for

    found = figures_for(objective, start, end, now)
    return found.as_json()


def _recount(period: ObjectivePeriod) -> None:
    now = timezone.now()
    zone = period.objective.zone  # the bounds as the snapshot wrote them, in the local zone
    recount = _snapshot(
        period.objective, period.start.astimezone(zone), period.end.astimezone(zone), now
    )
    if recount == period.figures:
        if period.correction is not None:
            period.correction, period.corrected_at = None, now
            period.save(update_fields=["correction", "corrected_at"])
        return
    if recount != period.correction:
        period.correction, period.corrected_at = recount, now
        period.save(update_fields=["correction", "corrected_at"])


def close_periods(now: datetime | None = None) -> int:
    """Keep a snapshot of every calendar period that is over (since its objective was made);
    rolling windows have none. Returns how many were closed."""
    from objectives.figures import period_bounds, previous_bounds

    now = now or timezone.now()
    closed = 0
    for objective in Objective.objects.all():
        if objective.rolling:
            continue
        start, _ = period_bounds(objective, now)
        # The periods before the current one, back to the one the objective was made in.
        while True:
            start, end = previous_bounds(objective, start)
            if end <= objective.created_at:
                break
            if end > now - timedelta(hours=1):
                continue
            if ObjectivePeriod.objects.filter(objective=objective, start=start).exists():
                break  # older ones were closed before
            figures = _snapshot(objective, start, end, now)
            ObjectivePeriod.objects.get_or_create(
                objective=objective,
                start=start,
                defaults={
                    "end": end,
                    "figures": figures,
                    "status": figures["status"],
                    "closed_at": now,
                },
            )
            closed += 1
    return closed


def rebuild(objective: Objective | None = None) -> int:
    """Count every rollup again from the clocks (after a restore, or to check). Returns how many
    day rows were written."""
    objectives = [objective] if objective else list(Objective.objects.all())
    written = 0
    now = timezone.now()
    from objectives.figures import rolled_until

    for each in objectives:
        days = list(ObjectiveDay.objects.filter(objective=each).values_list("day", flat=True))
        ObjectiveDay.objects.filter(objective=each).delete()
        open_day = rolled_until(now, each.zone)
        rows = [count_day(each, day) for day in days if day < open_day]
        ObjectiveDay.objects.bulk_create(rows, ignore_conflicts=True)
        written += len(rows)
    return written
