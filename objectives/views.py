"""The objectives pages: every objective's status, budget and burn-down (managers edit them in
the admin; agents read), one objective with its missed clocks, and the breaches nobody has
explained yet (docs/rules.md, "Objectives: pages")."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import is_manager
from accounts.selectors import viewer_zone
from objectives.board import card, missed_clocks
from objectives.charts import burn_down_chart
from objectives.models import Objective
from policies.models import BreachReason
from slaops.ids import parse_id
from threads.models import SlaClock, Thread
from threads.pages.views import agent_page
from threads.selectors import visible_threads


def objectives_page(view):
    return require_GET(
        login_required(permission_required("objectives.view_objective", raise_exception=True)(view))
    )


def _shown(objective: Objective, now) -> dict:
    found = card(objective, now)
    zone = objective.zone
    first = found.figures.period_start.astimezone(zone).date()
    last = (found.figures.period_end - timedelta(microseconds=1)).astimezone(zone).date()
    return {
        "card": found,
        "chart": burn_down_chart(
            found.burn, first, last, label=f"{objective.name}: error budget left per day"
        ),
        "first_day": first,  # both in the objective's zone (the page's zone is the reader's)
        "last_day": last,
    }


def _may_edit(user) -> bool:
    return user.has_perm("objectives.change_objective")


@objectives_page
def objective_list(request):
    now = timezone.now()
    shown = [_shown(objective, now) for objective in Objective.objects.order_by("name")]
    return render(
        request,
        "objectives/list.html",
        {"shown": shown, "may_edit": _may_edit(request.user), "zone": viewer_zone(request.user)},
    )


@objectives_page
def objective_detail(request, pk: int):
    objective = get_object_or_404(Objective, pk=pk)
    now = timezone.now()
    shown = _shown(objective, now)
    figures = shown["card"].figures
    missed = missed_clocks(objective, figures.period_start, figures.period_end, request.user)
    return render(
        request,
        "objectives/detail.html",
        {
            **shown,
            "objective": objective,
            "missed": missed,
            "may_edit": _may_edit(request.user),
            "zone": viewer_zone(request.user),
        },
    )


@require_GET
@agent_page
def unexplained_breaches(request):
    """Clocks past their policy's due time with no reason given, the newest first: whoever works
    the thread gives one here (a team-limited agent sees their teams' threads only)."""
    visible = visible_threads(Thread.objects.all(), user=request.user).values("pk")
    clocks = (
        SlaClock.objects.filter(
            missed_at__isnull=False, breach_reason__isnull=True, exempt=False, thread__in=visible
        )
        .select_related("thread", "holder")
        .order_by("-missed_at", "-pk")
    )
    page = Paginator(clocks, 50).get_page(parse_id(request.GET.get("page", "")) or 1)
    # Reasons agents gave that wait for a manager (excusing nothing until confirmed).
    waiting = (
        SlaClock.objects.filter(
            breach_reason__isnull=False, breach_reason_confirmed=False, thread__in=visible
        )
        .select_related("thread", "breach_reason", "breach_reason_by")
        .order_by("-breach_reason_at", "-pk")[:100]
    )
    return render(
        request,
        "objectives/unexplained.html",
        {
            "page": page,
            "waiting": waiting,
            "may_confirm": is_manager(request.user),
            "reasons": BreachReason.objects.filter(active=True).order_by("name"),
            "zone": viewer_zone(request.user),
            "here": request.get_full_path(),
        },
    )
