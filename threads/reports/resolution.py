"""First against full resolution (docs/rules.md, "Reports: teams and resolution"): first
resolution stops at the first resolve and never resumes, full resolution resumes on reopen; the
reopen rate is the share of resolved threads that were reopened at least once."""

from dataclasses import dataclass

from django.db.models import Count, Q

from policies.vocabulary import Metric
from threads.models import ClockState
from threads.reports.queries import ReportRange, achievement_rate, finished_clocks


@dataclass
class ResolutionFigures:
    first_achieved: int
    first_breached: int
    full_achieved: int
    full_breached: int
    resolved: int  # full resolution clocks that stopped achieved or breached in the range
    reopened: int  # of them, those reopened at least once

    @property
    def first_rate(self) -> float | None:
        return achievement_rate(self.first_achieved, self.first_breached)

    @property
    def full_rate(self) -> float | None:
        return achievement_rate(self.full_achieved, self.full_breached)

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None


def resolution_figures(report_range: ReportRange) -> ResolutionFigures:
    """One aggregate query over the range's stopped resolution clocks of both kinds."""
    first = Q(metric=Metric.FIRST_RESOLUTION)
    full = Q(metric=Metric.RESOLUTION)
    achieved, breached = Q(state=ClockState.ACHIEVED), Q(state=ClockState.BREACHED)
    row = (
        finished_clocks(report_range)
        .filter(metric__in=[Metric.FIRST_RESOLUTION, Metric.RESOLUTION])
        .aggregate(
            first_achieved=Count("pk", filter=first & achieved),
            first_breached=Count("pk", filter=first & breached),
            full_achieved=Count("pk", filter=full & achieved),
            full_breached=Count("pk", filter=full & breached),
            reopened=Count("pk", filter=full & (achieved | breached) & Q(reopens__gt=0)),
        )
    )
    return ResolutionFigures(
        resolved=row["full_achieved"] + row["full_breached"],
        **row,
    )
