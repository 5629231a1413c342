"""The report's tables as CSV downloads: each table's header and rows, read only when asked for
and streamed (the breach review has every breach of the range, however many). Every duration is
written twice: as a manager reads it ("47h 30m") and, in the column beside it, as a number of
minutes (2850) that a spreadsheet can add up, average and sort."""

from datetime import timedelta

from policies.vocabulary import Metric
from slaops import csv_export
from slaops.formatting import format_duration
from threads.reports import contract, resolution, teams
from threads.reports import queries as reports

TABLES = (
    "summary",
    "breakdown",
    "trend",
    "breaches",
    "reasons",
    "overridden",
    "team_targets",
    "time_held",
    "teams_at_breach",
    "resolution",
)


def _pct(rate):
    return "" if rate is None else f"{rate * 100:.1f}"


def minutes(value: timedelta | None) -> int | float | str:
    """A duration as a number of minutes: whole minutes as an integer, else to a tenth; empty
    when there is none (a metric with no judged clock has no median)."""
    if value is None:
        return ""
    total = round(value.total_seconds() / 60, 1)
    return int(total) if total == int(total) else total


def _summary(span, data):
    header = [
        "metric",
        "achieved",
        "breached",
        "cancelled",
        "achievement %",
        "median business time",
        "median minutes",
        "p90 business time",
        "p90 minutes",
        "time paused",
        "time paused minutes",
        "excused",
        "contract breached",
        "contract achievement %",
        "operations achievement %",
    ]
    rows = (
        [
            s.label,
            s.achieved,
            s.breached,
            s.cancelled,
            _pct(s.rate),
            format_duration(s.median),
            minutes(s.median),
            format_duration(s.p90),
            minutes(s.p90),
            format_duration(s.paused),
            minutes(s.paused),
            s.excused,
            s.contract_breached,
            _pct(s.contract_rate),
            _pct(s.rate),
        ]
        for s in reports.summary(span)
    )
    return header, rows


def _breakdown(span, data):
    label = reports.DIMENSIONS[data["by"]][2].lower()
    header = [label, "metric", "achieved", "breached", "cancelled", "achievement %"]
    rows = (
        [r.label, Metric(r.metric).label, r.achieved, r.breached, r.cancelled, _pct(r.rate)]
        for r in reports.breakdown(span, data["by"])
    )
    return header, rows


def _trend(span, data):
    header = [data["per"], "achieved", "breached", "cancelled", "achievement %"]
    metric = data["metric"] or None
    rows = (
        [p.bucket.isoformat(), p.achieved, p.breached, p.cancelled, _pct(p.rate)]
        for p in reports.trend(span, per=data["per"], metric=metric)
    )
    return header, rows


def _breaches(span, data):
    header = [
        "thread",
        "subject",
        "metric",
        "held by",
        "due",
        "stopped",
        "late (business time)",
        "late minutes",
        "state",
    ]
    rows = (
        [
            b.thread_id,
            b.subject,
            b.metric,
            b.holder or "",
            b.due_at.isoformat() if b.due_at else "",
            b.stopped_at.isoformat() if b.stopped_at else "",
            format_duration(b.late),
            minutes(b.late),
            b.state,
        ]
        for b in reports.breaches(span)
    )
    return header, rows


def _reasons(span, data):
    header = ["reason", "excused", "breaches", "confirmed", "awaiting a manager"]
    rows = (
        [r.name, r.excused_text, r.breaches, r.confirmed, r.pending] for r in contract.reasons(span)
    )
    return header, rows


def _overridden(span, data):
    header = [
        "metric",
        "overridden clocks",
        "kept the original due time",
        "missed the original due time",
        "achievement % (original)",
        "kept the moved due time",
        "missed the moved due time",
        "achievement % (moved)",
    ]
    rows = (
        [
            o.label,
            o.clocks,
            o.original_kept,
            o.original_missed,
            _pct(o.original_rate),
            o.moved_kept,
            o.moved_missed,
            _pct(o.moved_rate),
        ]
        for o in contract.overridden(span)
    )
    return header, rows


def _team_targets(span, data):
    header = ["team", "metric", "achieved", "breached", "cancelled", "achievement %"]
    rows = (
        [r.team, r.metric_label, r.achieved, r.breached, r.cancelled, _pct(r.rate)]
        for r in teams.team_targets(span)
    )
    return header, rows


def _time_held(span, data):
    header = ["held by", "business time", "minutes", "seconds", "share %"]
    rows = (
        [
            r.label,
            format_duration(r.duration),
            minutes(r.duration),
            r.seconds,
            _pct(r.share),
        ]
        for r in teams.time_held(span)
    )
    return header, rows


def _teams_at_breach(span, data):
    header = ["team holding the thread", "breaches", "share %"]
    rows = ([r.team, r.breaches, _pct(r.share)] for r in teams.teams_at_breach(span))
    return header, rows


def _resolution(span, data):
    """Three rows: first and full resolution (kept, missed, %), then the reopened threads
    among the resolved ones (reopened, resolved, reopen rate %)."""
    header = ["figure", "count", "of", "%"]
    f = resolution.resolution_figures(span)
    first, full = f.first_achieved + f.first_breached, f.full_achieved + f.full_breached
    return header, [
        ["first resolution achieved", f.first_achieved, first, _pct(f.first_rate)],
        ["full resolution achieved", f.full_achieved, full, _pct(f.full_rate)],
        ["reopened of resolved", f.reopened, f.resolved, _pct(f.reopen_rate)],
    ]


_BUILDERS = {
    "summary": _summary,
    "breakdown": _breakdown,
    "trend": _trend,
    "breaches": _breaches,
    "reasons": _reasons,
    "overridden": _overridden,
    "team_targets": _team_targets,
    "time_held": _time_held,
    "teams_at_breach": _teams_at_breach,
    "resolution": _resolution,
}


def download(table: str, span: reports.ReportRange, data: dict):
    """The table as a streamed CSV attachment named for it and the range."""
    header, rows = _BUILDERS[table](span, data)
    name = f"sla-{table}-{span.start:%Y%m%d}-{span.end:%Y%m%d}.csv"
    return csv_export.download(name, header, rows)
