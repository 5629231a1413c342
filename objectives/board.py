"""Reads for the objectives pages and the at-risk marks on the inbox and thread page: each
objective's figures with its burn-down (budget left per local day) and worst contributors, the
missed clocks of a period, and which clocks fall in an objective that is at risk now."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count

from accounts.models import Team
from objectives.figures import (
    Counts,
    Figures,
    allowed_misses,
    clocks_of,
    count_clocks,
    figures,
    local_midnight,
    rolled_until,
)
from objectives.models import Objective, ObjectiveAlertState, ObjectiveDay, Status
from policies.vocabulary import TEAM_METRICS
from threads.clocks.outcome import MISSED
from threads.models import SlaClock, Thread
from threads.selectors import visible_threads

WORRYING = (Status.AT_RISK, Status.BELOW_TARGET)
TOP = 5  # contributors shown per kind


@dataclass
class Contributor:
    label: str
    misses: int


@dataclass
class Card:
    """One objective as its page shows it."""

    objective: Objective
    figures: Figures
    burn: list[tuple[date, int]] = field(default_factory=list)  # (local day, budget left)
    by_team: list[Contributor] = field(default_factory=list)
    by_agent: list[Contributor] = field(default_factory=list)
    by_reason: list[Contributor] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return Status(self.figures.status).label

    @property
    def contributors(self) -> list[tuple[str, list[Contributor]]]:
        return [("By team", self.by_team), ("By agent", self.by_agent),
                ("By reason", self.by_reason)]  # fmt: skip

    @property
    def spent_percent(self) -> int | None:
        """How much of the budget so far is spent, for the bar beside the number."""
        allowed = self.figures.allowed_misses
        if allowed <= 0:
            return 100 if self.figures.misses > 0 else None
        return min(100, round(100 * self.figures.misses / allowed))


def card(objective: Objective, now: datetime) -> Card:
    found = figures(objective, now)
    result = Card(objective=objective, figures=found)
    result.burn = burn_down(objective, found, now)
    result.by_team, result.by_agent, result.by_reason = contributors(
        objective, found.period_start, found.period_end
    )
    return result


def burn_down(objective: Objective, found: Figures, now: datetime) -> list[tuple[date, int]]:
    """Budget left at the end of each local day of the period so far (today: as of now), from
    the daily rollups (which `figures` just made) and the clocks of the days not rolled up yet."""
    zone = objective.zone
    first = found.period_start.astimezone(zone).date()
    today = min(now, found.period_end - timedelta(microseconds=1)).astimezone(zone).date()
    open_day = min(rolled_until(now, zone), today + timedelta(days=1))
    per_day: dict[date, Counts] = {}
    rows = ObjectiveDay.objects.filter(objective=objective, day__gte=first, day__lt=open_day)
    for row in rows.values_list("day", "achieved", "breached", "excused", "cancelled"):
        per_day[row[0]] = Counts(*row[1:])
    day = max(first, open_day)
    while day <= today:  # at most a day or two: those the rollups do not hold yet
        start = local_midnight(day, zone)
        end = min(local_midnight(day + timedelta(days=1), zone), now)
        per_day[day] = count_clocks(objective, start, end) if start < end else Counts()
        day += timedelta(days=1)
    points, total, day = [], Counts(), first
    while day <= today:
        total = total + per_day.get(day, Counts())
        points.append((day, allowed_misses(total.volume, objective.target_percent) - total.misses))
        day += timedelta(days=1)
    return points


def period_misses(objective: Objective, start: datetime, end: datetime):
    return clocks_of(objective).filter(counted_at__gte=start, counted_at__lt=end, counted_as=MISSED)


def contributors(objective: Objective, start: datetime, end: datetime):
    """The period's misses by team (as counted), by agent (the clock's holder) and by reason:
    three aggregates, the most first."""
    misses = period_misses(objective, start, end).order_by()

    def top(column: str) -> list[tuple]:
        rows = misses.values(column).annotate(n=Count("pk")).order_by("-n", column)
        return [(row[column], row["n"]) for row in rows[:TOP]]

    teams = top("scope_team")
    named = Team.objects.filter(pk__in=[k for k, _ in teams if k])
    team_names = dict(named.values_list("pk", "name"))
    agents = top("holder")
    people = {
        p.pk: p.get_full_name() or p.get_username()
        for p in get_user_model().objects.filter(pk__in=[k for k, _ in agents if k])
    }
    reasons = list(
        misses.values("breach_reason__name").annotate(n=Count("pk")).order_by("-n")[:TOP]
    )
    return (
        [Contributor(team_names.get(k, "No team"), n) for k, n in teams],
        [Contributor(people.get(k, "Nobody held it"), n) for k, n in agents],
        [Contributor(r["breach_reason__name"] or "No reason yet", r["n"]) for r in reasons],
    )


def missed_clocks(objective: Objective, start: datetime, end: datetime, user, limit: int = 200):
    """The period's missed clocks that `user` may see, newest first (at most `limit`)."""
    visible = visible_threads(Thread.objects.all(), user=user).values("pk")
    return list(
        period_misses(objective, start, end)
        .filter(thread__in=visible)
        .select_related("thread", "breach_reason", "holder")
        .order_by("-counted_at", "-pk")[:limit]
    )


# ------------------------------------------------------------------------ at-risk marks


@dataclass(frozen=True)
class Watch:
    """An objective at risk or below target, with what its scope matches."""

    objective: Objective
    status: str

    @property
    def label(self) -> str:
        return f"{self.objective.name}: {Status(self.status).label.lower()}"


def any_objective() -> bool:
    return Objective.objects.exists()


def watches(now: datetime, metrics=None) -> list[Watch]:
    """The objectives at risk or below target now, among those of `metrics` (None: all): the
    status the objectives' task keeps (evaluated every minute, objectives/episodes.py), or, for
    an objective it has not seen yet, its figures read now. One query for every page and poll."""
    objectives = Objective.objects.select_related("alert_state")
    if metrics is not None:
        if not metrics:
            return []
        objectives = objectives.filter(metric__in=set(metrics))
    found = []
    for objective in objectives:
        try:
            status = objective.alert_state.status
        except ObjectiveAlertState.DoesNotExist:
            status = figures(objective, now).status
        if status in WORRYING:
            found.append(Watch(objective, status))
    return found


def _attributes(clock: SlaClock, thread: Thread) -> dict:
    """What a scope matches a running clock on: its policy and the thread as it is now (the
    thread it will count with, unless it changes before the outcome); a team's own clock, its
    own team (threads/clocks/outcome.py)."""
    return {
        "policies": clock.policy_id,
        "tiers": thread.tier_id,
        "accounts": thread.account_id,
        "teams": clock.team_id if clock.metric in TEAM_METRICS else thread.team_id,
        "priorities": thread.priority,
        "channels": thread.channel,
    }


def in_scope(objective: Objective, clock: SlaClock, thread: Thread) -> bool:
    if clock.metric != objective.metric or clock.exempt:
        return False
    values = _attributes(clock, thread)
    for key, wanted in (objective.scope or {}).items():
        if not wanted:
            continue
        if key not in values or values[key] not in wanted:
            return False
    return True


def marks(clocks: list[tuple[SlaClock, Thread]], found: list[Watch]) -> dict[int, list[Watch]]:
    """Running clock id -> the worrying objectives it will count in (pure: no query)."""
    result: dict[int, list[Watch]] = {}
    for clock, thread in clocks:
        if not clock.is_running:
            continue
        hit = [w for w in found if in_scope(w.objective, clock, thread)]
        if hit:  # the worst first: one mark shows it, the others are in its title
            result[clock.pk] = sorted(hit, key=lambda w: w.status != Status.BELOW_TARGET)
    return result
