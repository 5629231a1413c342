"""An account's statement for a month (objectives/statement.py): the page a manager prints to
PDF from the browser (its print stylesheet is the default), the same rows as a streamed CSV, and
a server-side PDF only where WeasyPrint and its system libraries are installed."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account
from accounts.roles import is_manager
from objectives.statement import parse_month, statement
from slaops import csv_export


@login_required
def page(request, account_id: int):
    if not is_manager(request.user):
        raise PermissionDenied("Statements are for managers.")
    account = get_object_or_404(Account, pk=account_id)
    now = timezone.now()
    text = request.GET.get("period") or f"{timezone.localdate(now):%Y-%m}"
    month = parse_month(text)
    context = {"account": account, "period": text, "zone": account.time_zone}
    if month is None:
        context["error"] = "period: give a month as YYYY-MM, e.g. 2026-11."
        return render(request, "reports/statement.html", context, status=400)
    context["month"] = month
    context["objectives"] = statement(account, month, now)
    context["now"] = now
    wanted = request.GET.get("download", "")
    if wanted == "csv":
        return csv_export.download(
            f"statement-{account.pk}-{month:%Y-%m}.csv", HEADER, csv_rows(context["objectives"])
        )
    if wanted == "pdf":
        return _pdf(request, context, f"statement-{account.pk}-{month:%Y-%m}.pdf")
    if wanted:
        context["error"] = "download: csv or pdf."
        return render(request, "reports/statement.html", context, status=400)
    context["pdf_available"] = pdf_available()
    return render(request, "reports/statement.html", context)


HEADER = [
    "objective",
    "target %",
    "period start",
    "period end",
    "period closed",
    "met",
    "missed",
    "excused",
    "cancelled",
    "compliance %",
    "misses allowed",
    "budget left",
    "status",
    "thread",
    "subject",
    "metric",
    "due",
    "due moved to",
    "outcome",
    "decided at",
    "reason",
    "due moved because",
]


def _text(value) -> str:
    return "" if value is None else str(value)


def _iso(value) -> str:
    return value.isoformat() if value else ""


def csv_rows(objectives):
    """One row per clock behind a figure, each with its objective's figures (an objective with
    no clock of the account still has one row, its figures)."""
    for each in objectives:
        f = each.figures
        figures = [
            each.objective.name,
            _text(each.objective.target_percent),
            _iso(each.start),
            _iso(each.end),
            "yes" if each.closed else "no",
            f.achieved,
            f.breached,
            f.excused,
            f.cancelled,
            _text(f.compliance_percent),
            f.allowed_misses,
            f.budget_left,
            f.status,
        ]
        if not each.clocks:
            yield figures + [""] * (len(HEADER) - len(figures))
        for line in each.clocks:
            yield figures + [
                line.thread_id,
                line.subject,
                line.metric,
                _iso(line.due_at),
                _iso(line.moved_due_at),
                line.outcome_text,
                _iso(line.decided_at),
                line.reason,
                line.moved_reason,
            ]


@functools.cache
def pdf_available() -> bool:
    """WeasyPrint imports only where its system libraries (Pango) are installed."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _refuse_fetch(url, *args, **kwargs):
    """The PDF fetches nothing: its stylesheet is inlined, and a URL written into a subject
    must not make the server request it."""
    raise ValueError(f"not fetched: {url}")


def _pdf(request, context, filename: str) -> HttpResponse:
    if not pdf_available():
        raise Http404("No server-side PDF here: print the page to PDF from the browser.")
    from django.contrib.staticfiles import finders
    from weasyprint import HTML

    css = ""
    for name in ("slaops/app.css", "slaops/reportsui.css", "slaops/statement.css"):
        found = finders.find(name)
        if found:
            with open(found, encoding="utf-8") as file:
                css += file.read()
    html = render_to_string(
        "reports/statement_pdf.html", {**context, "inline_css": css}, request=request
    )
    document = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
