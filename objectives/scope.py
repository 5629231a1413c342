"""An objective's scope: which clocks count, matched on what the clock kept of its thread when
it counted (threads/clocks/outcome.py)."""

from django.db.models import Q

from policies.vocabulary import TEAM_METRICS, Channel, Priority

ID_KEYS = {
    "policies": "policy_id",
    "tiers": "scope_tier",
    "accounts": "scope_account",
    "teams": "scope_team",
}
VALUE_KEYS = {
    "priorities": ("scope_priority", Priority.values),
    "channels": ("scope_channel", Channel.values),
}


def scope_problems(scope, metric: str | None = None) -> list[str]:
    """What is wrong with a scope, one sentence each (empty: nothing). A team's own clocks
    (`metric` team response or resolution) have no policy, so a scope naming policies would
    count none of them: it is refused."""
    if scope in (None, ""):
        return []
    if not isinstance(scope, dict):
        return ['Give the scope as an object, e.g. {"teams": [3], "priorities": ["urgent"]}.']
    problems = []
    for key, values in scope.items():
        if key not in ID_KEYS and key not in VALUE_KEYS:
            known = ", ".join([*ID_KEYS, *VALUE_KEYS])
            problems.append(f"{key}: unknown key; a scope has {known}.")
            continue
        if values is None:
            continue
        if not isinstance(values, list):
            problems.append(f"{key}: give a list.")
            continue
        if key in ID_KEYS:
            if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
                problems.append(f"{key}: give a list of ids (whole numbers).")
        else:
            allowed = VALUE_KEYS[key][1]
            wrong = [v for v in values if v not in allowed]
            if wrong:
                problems.append(f"{key}: {wrong[0]!r} is not one of {', '.join(allowed)}.")
    if metric in TEAM_METRICS and scope.get("policies"):
        problems.append("policies: a team's clocks have no policy; scope them by teams.")
    return problems


def scope_filter(scope: dict) -> Q:
    query = Q()
    for key, values in (scope or {}).items():
        if not values:
            continue  # absent or empty: any
        column = ID_KEYS[key] if key in ID_KEYS else VALUE_KEYS[key][0]
        query &= Q(**{f"{column}__in": values})
    return query
