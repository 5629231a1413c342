"""The managers' compliance report: one page of tables with charts, each table as CSV too."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import is_manager
from accounts.selectors import viewer_zone
from threads.reports import exports
from threads.reports import queries as reports
from threads.reports.charts import rate_bars, trend_chart
from threads.reports.forms import ReportForm
from threads.reports.queries import achievement_rate

# The one way the reports write a day, "Mon 30 Nov 2026" (an instant adds its time and zone:
# "Mon 30 Nov 2026 09:30 CET", the in_zone filter); the template's `date` filter spells it DAY_TAG.
DAY = "%a %d %b %Y"
DAY_TAG = "D d M Y"


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
    if data["csv"]:  # only the table asked for is read, and streamed
        return exports.download(data["csv"], span, data)
    metric = data["metric"] or None
    result = reports.full_report(
        span, by=data["by"], per=data["per"], metric=metric, page=data["page"] or 1
    )
    summary, breakdown, trend = result["summary"], result["breakdown"], result["trend"]
    breaches = result["breaches"]
    chart_rows = _chart_rows(breakdown, metric)
    context = {
        "form": form,
        "span": span,
        "summary": summary,
        "breakdown": breakdown,
        "by_label": reports.DIMENSIONS[data["by"]][2],
        "trend": trend,
        "breaches": breaches,
        "reasons": result["reasons"],
        "overridden": result["overridden"],
        "team_targets": result["team_targets"],
        "time_held": result["time_held"],
        "teams_at_breach": result["teams_at_breach"],
        "resolution": result["resolution"],
        "breach_count": f"{breaches.paginator.count:,}",  # as the queue counts: 1,081
        "breach_range": f"{breaches.start_index():,}–{breaches.end_index():,}",
        "breach_pages": breaches.paginator.get_elided_page_range(breaches.number),
        "breakdown_chart": rate_bars(chart_rows),
        "trend_chart": trend_chart(
            [(f"{p.bucket:%d %b}", f"{p.bucket:{DAY}}", *p.counts) for p in trend]
        ),
        "query": _without(request.GET, "csv", "page"),
        "day_format": DAY_TAG,
    }
    return render(request, "reports/compliance.html", context)


def _chart_rows(rows, metric):
    """One bar per group (by its key: two agents may share a display name)."""
    groups: dict[object, list] = {}
    for row in rows:
        if metric and row.metric != metric:
            continue
        counts = groups.setdefault(row.key, [row.label, 0, 0])
        counts[1] += row.achieved
        counts[2] += row.breached
    return [(label, achievement_rate(a, b), a + b) for label, a, b in groups.values()]


def _without(query, *names) -> str:
    """The query string of the filters, for the CSV and page links to add their own part to."""
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()
