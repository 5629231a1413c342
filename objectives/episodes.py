"""An objective's alert episodes (docs/rules.md, "Objectives: alerts").

Every minute (tasks.evaluate_objectives) an objective's status is read from its figures, with a
burn-rate rule in the spirit of multi-window SLO alerting on top:

- fast burn: the last hour's misses exceed SLA_OBJECTIVE_FAST_BURN_SHARE (2 %) of the period's
  budget (the misses allowed at the period's end, or now when there is no previous period) and
  are at least SLA_OBJECTIVE_BURN_MIN_MISSES (3): at risk at once, reason `burn_rate`;
- slow burn: the last 6 hours' misses exceed SLA_OBJECTIVE_SLOW_BURN_SHARE (5 %) of the budget
  (at least 3 of them) and the last 30 minutes still burn at that rate: at risk, `slow_burn`.

`objective_at_risk` is sent on entering at risk, `objective_budget_spent` on entering below
target, `objective_recovered` on returning to healthy after either; each once per episode. An
episode ends (the alerts are re-armed) once the objective has been healthy for
SLA_OBJECTIVE_REARM_MINUTES (60). The state row moves by compare-and-set on its version, and the
event and its outbox rows are written in the same transaction, so two evaluators racing alert
once.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction

from objectives.alerts import record_objective_event
from objectives.conf import setting
from objectives.figures import Figures, count_clocks, figures
from objectives.models import Objective, ObjectiveAlertState, ObjectiveEvent, Status

FAST_WINDOW = timedelta(hours=1)
SLOW_WINDOW = timedelta(hours=6)
SLOW_STILL = timedelta(minutes=30)  # the slow burn's short window: is it still burning?


@dataclass
class Burn:
    reason: str  # "burn_rate" (fast) or "slow_burn"
    misses: int  # in the window
    window_minutes: int
    budget: int  # the period's misses allowed
    share: float  # of the budget the window may spend before it alerts


@dataclass
class Assessment:
    status: str
    reason: str  # why at risk: burn_rate, budget, projection, slow_burn ("" otherwise)
    figures: Figures
    burn: Burn | None


def budget_of(found: Figures) -> int:
    """The period's budget of misses: allowed at its end, or now without a previous period."""
    if found.allowed_misses_period_end is not None:
        return found.allowed_misses_period_end
    return found.allowed_misses


def _misses(objective: Objective, found: Figures, window: timedelta, now: datetime) -> int:
    return count_clocks(objective, max(now - window, found.period_start), now).misses


def burn(objective: Objective, found: Figures, now: datetime) -> Burn | None:
    budget = budget_of(found)
    least = setting("SLA_OBJECTIVE_BURN_MIN_MISSES")
    fast = setting("SLA_OBJECTIVE_FAST_BURN_SHARE")
    hour = _misses(objective, found, FAST_WINDOW, now)
    if hour >= least and hour > fast * budget:
        return Burn("burn_rate", hour, 60, budget, fast)
    slow = setting("SLA_OBJECTIVE_SLOW_BURN_SHARE")
    six = _misses(objective, found, SLOW_WINDOW, now)
    if six < least or six <= slow * budget:
        return None
    recent = _misses(objective, found, SLOW_STILL, now)
    if recent > 0 and recent > slow * budget * (SLOW_STILL / SLOW_WINDOW):
        return Burn("slow_burn", six, 360, budget, slow)
    return None


def assess(objective: Objective, now: datetime) -> Assessment:
    """The status alerts act on: the figures', raised to at risk by a burn."""
    found = figures(objective, now)
    status = found.status
    if status not in (Status.HEALTHY, Status.AT_RISK):
        return Assessment(status, "", found, None)
    burning = burn(objective, found, now)
    if burning is not None and (status == Status.HEALTHY or burning.reason == "burn_rate"):
        return Assessment(Status.AT_RISK, burning.reason, found, burning)
    if status == Status.HEALTHY:
        return Assessment(status, "", found, None)
    share = objective.at_risk_share * found.allowed_misses
    reason = "budget" if found.misses > 0 and found.misses >= share else "projection"
    return Assessment(status, reason, found, None)


FIELDS = ("status", "at_risk_sent", "spent_sent", "recovered_sent", "healthy_since")


def transition(state: ObjectiveAlertState, status: str, now: datetime) -> tuple[dict, str]:
    """The state's next values and the event to send ("" for none)."""
    new = {name: getattr(state, name) for name in FIELDS}
    new["status"] = status
    kind = ""
    if status == Status.HEALTHY:
        since = state.healthy_since if state.status == Status.HEALTHY else None
        new["healthy_since"] = since = since or now
        if (state.at_risk_sent or state.spent_sent) and not state.recovered_sent:
            kind = ObjectiveEvent.Kind.RECOVERED
            new["recovered_sent"] = True
        elif now - since >= timedelta(minutes=setting("SLA_OBJECTIVE_REARM_MINUTES")):
            new.update(at_risk_sent=False, spent_sent=False, recovered_sent=False)
        return new, kind
    new["healthy_since"] = None
    if status == Status.BELOW_TARGET and not state.spent_sent:
        kind = ObjectiveEvent.Kind.BUDGET_SPENT
        new.update(spent_sent=True, recovered_sent=False)
    elif status == Status.AT_RISK and not state.at_risk_sent and not state.spent_sent:
        kind = ObjectiveEvent.Kind.AT_RISK
        new.update(at_risk_sent=True, recovered_sent=False)
    return new, kind


def evaluate(objective: Objective, now: datetime) -> list[ObjectiveEvent]:
    """Move the objective's alert state; the events sent (none when another evaluator moved
    the state first, or nothing changed)."""
    assessed = assess(objective, now)
    state, _ = ObjectiveAlertState.objects.get_or_create(objective=objective)
    new, kind = transition(state, assessed.status, now)
    if all(getattr(state, name) == value for name, value in new.items()):
        return []
    with transaction.atomic():
        moved = ObjectiveAlertState.objects.filter(pk=state.pk, version=state.version).update(
            **new, version=state.version + 1, changed_at=now
        )
        if not moved or not kind:
            return []
        details = {
            "reason": assessed.reason
            if kind == ObjectiveEvent.Kind.AT_RISK
            else ("budget" if kind == ObjectiveEvent.Kind.BUDGET_SPENT else ""),
            "status": assessed.status,
            "previous_status": state.status,
            "figures": assessed.figures.as_json(),
            "burn": asdict(assessed.burn) if assessed.burn else None,
        }
        return [record_objective_event(objective, kind, details, now)]
