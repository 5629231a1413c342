"""Who held a clock's time, as the thread page shows it (docs/rules.md, "Who held the time"): each
holder's share of the business time used with its name, and the stacked bar that draws them.

The bar is server-drawn SVG in the reports' manner (threads/reports/charts.py): x in percentages
of the width, colours as classes with the light colours as attributes, the legend in HTML under
it. The legend says every holder and its time in words, so no colour has to be told apart."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Team
from policies.vocabulary import ThreadStatus
from slaops.formatting import format_duration
from threads.clocks import attribution
from threads.pages.clock_names import REMOVED_TEAM

# Teams take these colours by id, so a team keeps its colour on every clock and every page.
TEAM_COLOURS = ["#2f5bd3", "#0f8a7e", "#8e44ad", "#c0521b", "#3b7d23", "#b0306a"]
NO_TEAM_COLOUR = "#8c95a8"
STATUS_COLOURS = {ThreadStatus.WAITING_ON_CUSTOMER: "#d59a12", ThreadStatus.ON_HOLD: "#6b7390"}
OTHER_STATUS_COLOUR = "#a3793b"


@dataclass(frozen=True)
class Share:
    """One holder's part of a clock's used time."""

    holder: str  # "team:<id>", "no_team", "status:<status>"
    name: str  # "Tier 2", "No team", "Waiting on customer"
    seconds: int
    fraction: float  # of the clock's used time
    css: str  # "team-2", "no-team", "status-waiting_on_customer"
    colour: str

    @property
    def duration(self) -> str:
        """The time in the form managers read durations; under a minute in seconds."""
        if self.seconds < 60:
            return f"{self.seconds}s"
        return format_duration(timedelta(seconds=self.seconds))

    @property
    def percent(self) -> str:
        whole = round(self.fraction * 100)
        return "<1%" if whole == 0 else f"{whole}%"


def holder_name(holder: str, teams: dict[int, str]) -> str:
    team_id = attribution.team_id_of(holder)
    if team_id is not None:
        return teams.get(team_id, REMOVED_TEAM)
    if holder == attribution.NO_TEAM:
        return "No team"
    status = holder.removeprefix(attribution.STATUS)
    return ThreadStatus(status).label if status in ThreadStatus.values else status


def _look(holder: str) -> tuple[str, str]:
    team_id = attribution.team_id_of(holder)
    if team_id is not None:
        n = team_id % len(TEAM_COLOURS)
        return f"team-{n}", TEAM_COLOURS[n]
    if holder == attribution.NO_TEAM:
        return "no-team", NO_TEAM_COLOUR
    status = holder.removeprefix(attribution.STATUS)
    return f"status-{status}", STATUS_COLOURS.get(status, OTHER_STATUS_COLOUR)


def team_names(ids: set[int]) -> dict[int, str]:
    """The names of these teams, in one query."""
    if not ids:
        return {}
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))


def shares_of(clocks_used: list[tuple[object, timedelta]], thread) -> list[list[Share]]:
    """Each clock's shares, largest first, for (clock, used) pairs of one thread; team names are
    read in one query for them all. Time no stretch accounts for goes to the thread's holder."""
    fallback = attribution.holder_of(thread)
    raw = [attribution.shares(clock, used, fallback=fallback) for clock, used in clocks_used]
    ids = {attribution.team_id_of(h) for parts in raw for h, _ in parts} - {None}
    teams = team_names(ids)
    found = []
    for parts in raw:
        total = sum(seconds for _, seconds in parts) or 1
        found.append(
            [
                Share(holder, holder_name(holder, teams), seconds, seconds / total, *_look(holder))
                for holder, seconds in parts
            ]
        )
    return found


def held_bar(shares: list[Share], clock_label: str) -> SafeString:
    """One stacked bar, a segment per holder sized by its share, and its legend; empty for a
    clock that has used no time yet."""
    if not shares:
        return mark_safe("")
    # The legend is what a screen reader reads; the bar draws the same figures.
    parts = [
        '<svg class="held-bar" aria-hidden="true" width="100%" height="10">'
        '<rect class="track" x="0" y="0" width="100%" height="10" rx="3" fill="#eceef3"/>'
    ]
    start = 0.0
    for share in shares:
        width = share.fraction
        parts.append(
            f'<rect class="part {share.css}" x="{start * 100:.3f}%" y="0" '
            f'width="{width * 100:.3f}%" height="10" fill="{share.colour}">'
            f"<title>{escape(share.name)}: {share.duration} ({share.percent})</title></rect>"
        )
        start += width
    # Thin gaps between the parts, drawn over them, so neighbours read as two even in grey.
    edge = 0.0
    for share in shares[:-1]:
        edge += share.fraction
        parts.append(
            f'<rect class="gap" x="{edge * 100:.3f}%" y="0" width="2" height="10" fill="#fff"/>'
        )
    parts.append("</svg>")
    keys = "".join(
        f'<li class="key" data-holder="{escape(s.holder)}"><i class="swatch {s.css}" '
        f'aria-hidden="true"></i><span class="name">{escape(s.name)}</span> '
        f'<span class="time tnum">{s.duration}</span> <span class="pct">{s.percent}</span></li>'
        for s in shares
    )
    said = escape(f"Who held the {clock_label} time")
    return mark_safe(
        f'<div class="held">{"".join(parts)}<ul class="held-legend" aria-label="{said}">{keys}'
        "</ul></div>"
    )
