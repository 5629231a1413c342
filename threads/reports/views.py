"""The managers' compliance report: one page of tables with charts, each table as CSV too."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import is_manager
from accounts.selectors import viewer_zone
from policies.vocabulary import Metric
from slaops import csv_export
from slaops.formatting import format_duration
from threads.reports import queries as reports
from threads.reports.charts import rate_bars, trend_chart
from threads.reports.forms import ReportForm
from threads.reports.queries import achievement_rate


@login_required
def compliance(request):
    if not is_manager(request.user):
        raise PermissionDenied("Reports are for managers.")
    today = timezone.localdate()
    initial = {
        "start": (today - timedelta(days=29)).isoformat(),
        "end": today.isoformat(),
        "zone": viewer_zone(request.user),
        "by": "policy",
        "per": "day",
        "metric": "",
    }
    form = ReportForm({**initial, **request.GET.dict()})
    if not form.is_valid():
        return render(request, "reports/compliance.html", {"form": form}, status=400)
    data = form.cleaned_data
    span = reports.ReportRange(start=data["start"], end=data["end"], zone=data["zone"])
    metric = data["metric"] or None
    result = reports.full_report(span, by=data["by"], per=data["per"], metric=metric)
    summary, breakdown, trend = result["summary"], result["breakdown"], result["trend"]
    breaches = result["breaches"]
    table = request.GET.get("csv")
    if table:
        return _csv(table, summary, breakdown, trend, breaches, data)
    chart_rows = _chart_rows(breakdown, metric)
    context = {
        "form": form,
        "span": span,
        "summary": summary,
        "breakdown": breakdown,
        "by_label": reports.DIMENSIONS[data["by"]][2],
        "trend": trend,
        "breaches": breaches,
        "breach_count": result["breach_count"],
        "breakdown_chart": rate_bars(chart_rows),
        "trend_chart": trend_chart(
            [(f"{p.bucket:%d %b}", p.achieved, p.breached, p.rate) for p in trend]
        ),
        "query": request.GET.urlencode(),
    }
    return render(request, "reports/compliance.html", context)


def _chart_rows(rows, metric):
    groups: dict[str, list[int]] = {}
    for row in rows:
        if metric and row.metric != metric:
            continue
        counts = groups.setdefault(row.label, [0, 0])
        counts[0] += row.achieved
        counts[1] += row.breached
    return [(label, achievement_rate(a, b), a + b) for label, (a, b) in groups.items()]


def _pct(rate):
    return "" if rate is None else f"{rate * 100:.1f}"


def _csv(table, summary, breakdown, trend, breaches, data):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"sla-{table}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv_export.writer(response)
    if table == "summary":
        writer.writerow(
            [
                "metric",
                "achieved",
                "breached",
                "cancelled",
                "achievement %",
                "median business time",
                "p90 business time",
                "time paused",
            ]
        )
        for s in summary:
            writer.writerow(
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
            )
    elif table == "breakdown":
        writer.writerow(
            [
                reports.DIMENSIONS[data["by"]][2].lower(),
                "metric",
                "achieved",
                "breached",
                "cancelled",
                "achievement %",
            ]
        )
        for r in breakdown:
            writer.writerow(
                [r.label, Metric(r.metric).label, r.achieved, r.breached, r.cancelled, _pct(r.rate)]
            )
    elif table == "trend":
        writer.writerow([data["per"], "achieved", "breached", "cancelled", "achievement %"])
        for p in trend:
            writer.writerow(
                [p.bucket.isoformat(), p.achieved, p.breached, p.cancelled, _pct(p.rate)]
            )
    elif table == "breaches":
        writer.writerow(
            [
                "thread",
                "subject",
                "metric",
                "held by",
                "due",
                "stopped",
                "late (business time)",
                "state",
            ]
        )
        for b in breaches:
            writer.writerow(
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
            )
    else:
        return HttpResponse(
            "Unknown table: use summary, breakdown, trend or breaches.",
            status=400,
            content_type="text/plain",
        )
    return response
