"""The report's tables as CSV downloads: each table's header and rows, read only when asked for
and streamed (the breach review has every breach of the range, however many)."""

from policies.vocabulary import Metric
from slaops import csv_export
from slaops.formatting import format_duration
from threads.reports import queries as reports

TABLES = ("summary", "breakdown", "trend", "breaches")


def _pct(rate):
    return "" if rate is None else f"{rate * 100:.1f}"


def _summary(span, data):
    header = [
        "metric",
        "achieved",
        "breached",
        "cancelled",
        "achievement %",
        "median business time",
        "p90 business time",
        "time paused",
    ]
    rows = (
        [
            s.label,
            s.achieved,
            s.breached,
            s.cancelled,
            _pct(s.rate),
            format_duration(s.median),
            format_duration(s.p90),
            format_duration(s.paused),
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
            b.state,
        ]
        for b in reports.breaches(span)
    )
    return header, rows


_BUILDERS = {"summary": _summary, "breakdown": _breakdown, "trend": _trend, "breaches": _breaches}


def download(table: str, span: reports.ReportRange, data: dict):
    """The table as a streamed CSV attachment named for it and the range."""
    header, rows = _BUILDERS[table](span, data)
    name = f"sla-{table}-{span.start:%Y%m%d}-{span.end:%Y%m%d}.csv"
    return csv_export.download(name, header, rows)
