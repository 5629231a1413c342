"""The inbox pages: the list, a bulk change, saving, copying and deleting a view.

Reads come from threads/pages/inbox.py; every change to a thread goes through
`threads.services.thread_change`, one transaction per thread, and each refusal is reported with
the thread's number and the service's own words."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team
from accounts.selectors import viewer_zone
from objectives import board
from policies.models import BreachReason
from policies.vocabulary import Priority, ThreadStatus
from slaops.ids import parse_id
from threads import overrides, services
from threads.models import RUNNING_STATES, SlaClock, Thread
from threads.pages.detail import assignable_people
from threads.pages.inbox import SORTS, inbox
from threads.pages.inbox_forms import BulkForm, InboxFilterForm, SavedViewForm
from threads.pages.inbox_saved import copy_view, delete_view, normalise, save_view, views_for
from threads.pages.views import agent_action, agent_page
from threads.selectors import visible_threads


def _page_number(raw) -> int:
    return parse_id(raw) or 1


def _sort_links(query: QueryDict, current: str) -> dict[str, str]:
    """Each column heading's link: its sort, or the reverse when it is the current one."""
    links = {}
    for key in SORTS:
        flipped = {"-created": "created", "created": "-created"}.get(key, key)
        target = flipped if current == key else key
        link = query.copy()
        link.pop("page", None)
        link["sort"] = target
        links[key.lstrip("-")] = f"?{link.urlencode()}"
    return links


@require_GET
@agent_page
def inbox_page(request):
    form = InboxFilterForm(request.GET)
    filters = form.filters()
    for problem in form.problems():
        messages.warning(request, problem)
    listing = inbox(user=request.user, filters=filters, page=_page_number(request.GET.get("page")))
    _mark_at_risk(listing)
    query = request.GET.copy()
    query.pop("page", None)
    current = normalise(query)
    return render(
        request,
        "threads/inbox.html",
        {
            "form": form,
            "filters": filters,
            "inbox": listing,
            "zone": viewer_zone(request.user),
            "views": views_for(request.user),
            "current_view": current,
            "full_query": request.GET.urlencode(),
            "page_prefix": f"{query.urlencode()}&" if query else "",
            "sort_links": _sort_links(query, filters.sort),
            "sort_label": SORTS[filters.sort],
            "people": assignable_people(),
            "teams": Team.objects.order_by("name"),
            "statuses": ThreadStatus.choices,
            "priorities": Priority.choices,
            "breach_reasons": BreachReason.objects.filter(active=True).order_by("name"),
            "view_form": SavedViewForm(user=request.user),
        },
    )


def _mark_at_risk(listing) -> None:
    """Each row's objectives at risk that one of its running clocks counts in: the objectives
    first (none: nothing more is read), then the shown threads' running clocks in one read."""
    if not listing.rows or not board.any_objective():
        return
    threads = {row.thread.pk: row for row in listing.rows}
    running = list(
        SlaClock.objects.filter(thread_id__in=threads, state__in=RUNNING_STATES).only(
            "pk", "thread_id", "metric", "policy_id", "team_id", "exempt", "state"
        )
    )
    found = board.watches(listing.now, [clock.metric for clock in running])
    owner = {clock.pk: threads[clock.thread_id] for clock in running}
    pairs = [(clock, owner[clock.pk].thread) for clock in running]
    for clock_id, watched in board.marks(pairs, found).items():
        row = owner[clock_id]
        row.at_risk.extend(w for w in watched if w not in row.at_risk)


def _back_to_inbox(request):
    query = normalise(request.POST.get("query", ""))
    page = _page_number(request.POST.get("page"))
    if page > 1:
        query = f"{query}&page={page}" if query else f"page={page}"
    return redirect(reverse("inbox") + (f"?{query}" if query else ""))


def _give_reason(request, thread_id: int, data: dict) -> str:
    """The reason to every clock of the thread past its policy's due time."""
    missed = list(
        SlaClock.objects.filter(thread_id=thread_id)
        .filter(Q(missed_at__isnull=False) | Q(breached_at__isnull=False))
        .values_list("pk", flat=True)
    )
    if not missed:
        return "no clock of this thread has missed its due time."
    try:
        with transaction.atomic():
            thread = Thread.objects.get(pk=thread_id)
            for clock_id in missed:
                overrides.clock_give_reason(
                    thread=thread,
                    clock_id=clock_id,
                    reason=data["breach_reason"],
                    note=data.get("note", ""),
                    actor=request.user,
                )
    except overrides.ClockRefused as error:
        return str(error)
    return ""


def _apply(request, thread_id: int, data: dict) -> str:
    """One thread's change in its own transaction; the refusal in words, or ""."""
    if data["action"] == "breach_reason":
        return _give_reason(request, thread_id, data)
    changes = data["changes"]
    status = data.get("status") if data["action"] == "status" else None
    try:
        with transaction.atomic():
            services.thread_change(
                thread=thread_id,
                status=status,
                reason=data.get("reason", ""),
                actor=request.user,
                **changes,
            )
    except services.ThreadError as error:
        return error.message
    return ""


@agent_action
def inbox_bulk(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, f"Nothing was changed: {' '.join(errors)}")
        return _back_to_inbox(request)
    data = form.cleaned_data
    wanted = data["threads"]
    visible = set(
        visible_threads(Thread.objects.filter(pk__in=wanted), user=request.user).values_list(
            "pk", flat=True
        )
    )
    done, refused = [], []
    for thread_id in wanted:
        if thread_id not in visible:
            refused.append(f"#{thread_id}: no such thread among those you can see.")
            continue
        problem = _apply(request, thread_id, data)
        if problem:
            refused.append(f"#{thread_id}: {problem}")
        else:
            done.append(thread_id)
    if done:
        what = dict(form.fields["action"].choices)[data["action"]].lower()
        numbers = ", ".join(f"#{pk}" for pk in done)
        plural = "s" if len(done) != 1 else ""
        messages.success(request, f"{len(done)} thread{plural} changed ({what}): {numbers}.")
    for line in refused:
        messages.error(request, f"Not changed: {line}")
    return _back_to_inbox(request)


@require_POST
@agent_page
def inbox_view_save(request):
    form = SavedViewForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, f"The view was not saved: {' '.join(errors)}")
        return _back_to_inbox(request)
    data = form.cleaned_data
    view, problem = save_view(
        user=request.user, name=data["name"], query=data["query"], team_id=data["team"]
    )
    if problem:
        messages.error(request, f"The view was not saved: {problem}")
    else:
        shared = f", shared with {view.team.name}" if view.team_id else ""
        messages.success(request, f"View “{view.name}” saved{shared}.")
    return _back_to_inbox(request)


@require_POST
@agent_page
def inbox_view_copy(request, pk: int):
    view, problem = copy_view(user=request.user, pk=pk)
    if problem:
        messages.error(request, f"The view was not copied: {problem}")
    else:
        messages.success(request, f"View “{view.name}” saved as your own.")
    return _back_to_inbox(request)


@require_POST
@agent_page
def inbox_view_delete(request, pk: int):
    name = delete_view(user=request.user, pk=pk)
    if name:
        messages.success(request, f"View “{name}” deleted.")
    else:
        messages.error(request, "No such view among those you saved.")
    return _back_to_inbox(request)
