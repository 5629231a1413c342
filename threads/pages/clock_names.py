"""What the agents' pages call a clock: the metric, with the team for a team's own clock ("Team
response — Tier 2") and the cycle for a periodic update ("Periodic update, cycle 3"); and the
short form of the inbox badge ("Tier 2 response")."""

from policies.vocabulary import TEAM_METRICS, Metric

REMOVED_TEAM = "a removed team"
# The badge's short words for a team's clock, after the team's name.
TEAM_BADGE_WORDS = {Metric.TEAM_RESPONSE: "response", Metric.TEAM_RESOLUTION: "resolution"}


def team_name(clock) -> str:
    """The team a team clock measures (its `team` loaded with it), or that it was removed."""
    return clock.team.name if clock.team_id and clock.team else REMOVED_TEAM


def clock_name(clock, team: str | None = None) -> str:
    """`team`: the team clock's team name when the caller read it (else `clock.team`'s)."""
    label = Metric(clock.metric).label if clock.metric in Metric.values else clock.metric
    if clock.metric in TEAM_METRICS:
        return f"{label} — {team or team_name(clock)}"
    if clock.metric == Metric.PERIODIC_UPDATE and clock.cycle:
        return f"{label}, cycle {clock.cycle}"
    return label


def badge_name(clock) -> str:
    """The inbox badge's words for which clock it shows: "Tier 2 response" for a team's clock,
    the metric for the customer's."""
    if clock.metric in TEAM_METRICS:
        return f"{team_name(clock)} {TEAM_BADGE_WORDS[clock.metric]}"
    return clock_name(clock)
