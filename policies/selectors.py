"""Reads of the SLA configuration: which policy applies, which target, which business hours."""

from collections import OrderedDict
from datetime import time, timedelta

from policies import business_time
from policies.models import (
    Calendar,
    ConfigurationVersion,
    SlaPolicy,
    SlaTarget,
    Tier,
    interval_minutes,
)

_CALENDAR_CACHE_SIZE = 256
_calendars: OrderedDict[tuple, business_time.Calendar] = OrderedDict()
_calendars_version: int | None = None  # the configuration version the cache was built under


def business_calendar(
    calendar: Calendar | None, *, zone: str | None = None
) -> business_time.Calendar:
    """The engine calendar for a configured one (None = 24/7), optionally read in another zone.

    Cached per saved version of the calendar (its `updated_at`), so the engine's year tables are
    built once per process and not per clock; `configuration_version()` empties the cache when
    any configuration write happened since (the policy book reads it once per request).
    """
    key = (
        ("24/7", zone or "UTC")
        if calendar is None
        else (calendar.pk, calendar.updated_at, zone or calendar.time_zone)
    )
    cached = _calendars.get(key)
    if cached is not None:
        _calendars.move_to_end(key)
        return cached
    if calendar is None:
        _calendars[key] = business_time.Calendar.always_open(zone or "UTC")
        return _calendars[key]
    built = engine_calendar(calendar, zone=zone)
    _calendars[key] = built
    if len(_calendars) > _CALENDAR_CACHE_SIZE:
        _calendars.popitem(last=False)
    return built


def engine_calendar(
    calendar: Calendar, *, zone: str | None = None, weekly: dict | None = None, holidays=None
) -> business_time.Calendar:
    """The one builder of an engine calendar from a configured one (uncached: callers cache).

    A what-if passes its draft's `weekly` hours or `holidays` in place of the saved ones."""
    if weekly is None:
        weekly = weekly_hours(calendar)
    special: dict = {}
    for day, opens, closes in calendar.special_days.values_list("date", "opens", "closes"):
        spans = special.setdefault(day, [])
        if opens is not None:
            spans.append((opens, closes))
    if holidays is None:
        holidays = set(calendar.holidays.values_list("date", flat=True))
    return business_time.Calendar(
        zone=zone or calendar.time_zone,
        weekly={day: spans for day, spans in weekly.items() if spans},
        holidays=holidays,
        special_days=special,
    )


def policy_calendar(policy: SlaPolicy, *, customer_zone: str | None = None):
    """The engine calendar a policy's clocks run in, honouring "use the customer's time zone"."""
    zone = customer_zone if policy.use_customer_time_zone and customer_zone else None
    if policy.calendar_id is None:
        return business_calendar(None, zone=zone)
    return business_calendar(policy.calendar, zone=zone)


def configuration_version(number: int | None = None) -> int:
    """The configuration's version: one query of one row, changed by every configuration write
    (policies.models.ConfigurationModel), or `number` when the caller just read it. Reading a
    newer one than the engine calendars were built under drops them, so hours changed by any
    path are never counted from a stale copy."""
    global _calendars_version
    if number is None:
        number = ConfigurationVersion.current()
    if number != _calendars_version:
        _calendars.clear()
        _calendars_version = number
    return number


def active_policies() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.active()
        .select_related("calendar")
        .prefetch_related(
            "tiers", "teams", "targets", "thresholds", "escalations", "rules__channels"
        )
        .order_by("order", "id")
    )


def teams_with_targets() -> dict:
    """Teams with targets of their own, with what their clocks read (calendar, targets,
    warnings, escalation levels, alert rules and their channels)."""
    from accounts.models import Team

    teams = (
        Team.objects.filter(targets__isnull=False)
        .distinct()
        .select_related("calendar")
        .prefetch_related("targets", "thresholds", "escalations", "rules__channels")
    )
    return {team.pk: team for team in teams}


def team_memberships() -> dict:
    """user id -> the ids of their teams."""
    from accounts.models import Team

    members: dict[int, list] = {}
    for team_id, user_id in Team.members.through.objects.values_list("team_id", "user_id"):
        members.setdefault(user_id, []).append(team_id)
    return {user: tuple(sorted(teams)) for user, teams in members.items()}


def policy_mismatches(
    policy: SlaPolicy, *, tier_id: int | None, priority: str, channel: str, team_id: int | None
) -> list[str]:
    """The policy's conditions a thread fails, in a manager's words (empty = it matches)."""
    from policies.vocabulary import Channel, Priority

    reasons = []
    tiers = {t.pk: t.name for t in policy.tiers.all()}
    teams = {t.pk: t.name for t in policy.teams.all()}
    if tiers and tier_id not in tiers:
        reasons.append(f"tier must be {' or '.join(tiers.values())}")
    if policy.priorities and priority not in policy.priorities:
        wanted = " or ".join(Priority(p).label for p in policy.priorities)
        reasons.append(f"priority must be {wanted}")
    if policy.channels and channel not in policy.channels:
        reasons.append(f"channel must be {' or '.join(Channel(c).label for c in policy.channels)}")
    if teams and team_id not in teams:
        reasons.append(f"team must be {' or '.join(teams.values())}")
    return reasons


def policy_matches(
    policy: SlaPolicy, *, tier_id: int | None, priority: str, channel: str, team_id: int | None
) -> bool:
    """All of the policy's conditions hold (an empty condition matches anything)."""
    return not policy_mismatches(
        policy, tier_id=tier_id, priority=priority, channel=channel, team_id=team_id
    )


def effective_tier_id(tier_id: int | None) -> int | None:
    """An account without a tier counts as the default tier."""
    if tier_id is not None:
        return tier_id
    default = Tier.default()
    return default.pk if default else None


def matching_policy(
    *,
    tier_id: int | None,
    priority: str,
    channel: str,
    team_id: int | None = None,
    policies: list[SlaPolicy] | None = None,
) -> SlaPolicy | None:
    """The first active policy, in order, whose conditions all match; None means no SLA."""
    tier_id = effective_tier_id(tier_id)
    for policy in policies if policies is not None else active_policies():
        if policy.active and policy_matches(
            policy, tier_id=tier_id, priority=priority, channel=channel, team_id=team_id
        ):
            return policy
    return None


def target_for(policy, *, metric: str, priority: str) -> SlaTarget | None:
    """The policy's (or a team's) target for a metric: one for the thread's priority wins over
    "any"."""
    candidates = [t for t in policy.targets.all() if t.metric == metric]
    for target in candidates:
        if target.priority == priority:
            return target
    for target in candidates:
        if not target.priority:
            return target
    return None


def weekly_hours(calendar: Calendar) -> dict[int, list[tuple[time, time]]]:
    """A calendar's opening hours per weekday (0 = Monday; a closed day has none)."""
    weekly: dict[int, list[tuple[time, time]]] = {day: [] for day in range(7)}
    for day, opens, closes in calendar.hours.values_list("weekday", "opens", "closes"):
        weekly[day].append((opens, closes))
    return weekly


def week_open_time(calendar: Calendar) -> timedelta:
    """Open time of an ordinary week, shown beside a calendar in the admin (uses the calendar's
    prefetched hours when the list has them)."""
    total = timedelta()
    for hours in calendar.hours.all():
        start, end = interval_minutes(hours.opens, hours.closes)
        total += timedelta(minutes=end - start)
    return total


def preview_clocks(
    *,
    start,
    tier_id: int | None,
    priority: str,
    channel: str,
    team_id: int | None = None,
    customer_zone: str | None = None,
    policy: SlaPolicy | None = None,
    calendar: Calendar | None = None,
) -> dict:
    """What a thread with these attributes would get: the matching policy (or the one given)
    and, per metric, its target with warning and due instants — counted in the given calendar
    instead of the policy's own when one is given (the preview on a calendar page)."""
    configuration_version()  # drop engine calendars built before the latest write
    policies = active_policies()
    matched = matching_policy(
        tier_id=tier_id, priority=priority, channel=channel, team_id=team_id, policies=policies
    )
    shown = policy or matched
    rows = []
    engine = None
    if shown is not None:
        from policies.deadlines import deadlines
        from policies.vocabulary import Metric

        if calendar is not None:
            zone = customer_zone if shown.use_customer_time_zone and customer_zone else None
            engine = business_calendar(calendar, zone=zone)
        else:
            engine = policy_calendar(shown, customer_zone=customer_zone)
        thresholds = list(shown.thresholds.all())
        for metric in Metric:
            target = target_for(shown, metric=metric, priority=priority)
            if target is None:
                continue
            rows.append(
                {
                    "metric": metric,
                    "target": target,
                    "deadlines": deadlines(
                        engine, start=start, target=target.duration, thresholds=thresholds
                    ),
                }
            )
    mismatches = []
    if policy is not None:
        mismatches = policy_mismatches(
            policy,
            tier_id=effective_tier_id(tier_id),
            priority=priority,
            channel=channel,
            team_id=team_id,
        )
        if not policy.active:
            mismatches.insert(0, "the policy is inactive")
    return {
        "matched": matched,
        "mismatches": mismatches,
        "shown": shown,
        "rows": rows,
        "zone": engine.zone if engine else None,
        "is_open": engine.is_open(start) if engine else None,
        "other_calendar": calendar is not None
        and shown is not None
        and shown.calendar_id != calendar.pk,
    }
