"""The agents' pages: breach queue, thread page with its actions, in-app notifications.

Views are thin: reads come from the pages' selectors (`queue`, `detail`, `notifications`), every
change goes through
`threads.services` (the same door as the API and the admin), then POST-redirect-GET.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import viewer_zone
from policies.models import BreachReason
from policies.vocabulary import Metric, ThreadStatus
from threads import services
from threads.models import Message, Notification, Thread
from threads.pages.back import way_back
from threads.pages.clock_forms import clock_actions
from threads.pages.detail import thread_parts
from threads.pages.forms import (
    DetailsForm,
    MessageForm,
    NoReplyNeededForm,
    QueueFilterForm,
    StatusForm,
)
from threads.pages.notifications import notifications_for, unread_count
from threads.pages.queue import PAUSED, breach_queue, filter_choices
from threads.replies import registry as replies
from threads.selectors import visible_threads


def _refresh_seconds() -> int:
    # How often the queue polls its live part; tests shorten it.
    return settings.SLA_QUEUE_REFRESH_SECONDS


def agent_page(view):
    """Signed-in people who work threads. An htmx poll from an expired session is told to go to
    the login page instead of swapping the login form into the table."""

    protected = login_required(
        permission_required("threads.view_thread", raise_exception=True)(view)
    )

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and request.headers.get("HX-Request"):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = redirect_to_login(request.get_full_path()).url
            return response
        return protected(request, *args, **kwargs)

    return wrapper


def agent_action(view):
    """A POST that changes a thread: needs the permission to change threads."""
    return require_POST(
        login_required(permission_required("threads.change_thread", raise_exception=True)(view))
    )


def home(request):
    return redirect("inbox" if request.user.is_authenticated else "login")


STATE_TABS = [
    ("breaching", "Breaching"),
    ("imminent_breach", "Imminent breach"),
    ("pending", "Pending"),
    (PAUSED, "Paused"),
]


def _queue_context(request) -> dict:
    form = QueueFilterForm(request.GET, tiers=filter_choices()["tiers"])
    filters = form.filters()
    queue = breach_queue(user=request.user, filters=filters, page=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    state_links = []
    for key, label in STATE_TABS:  # each count is a link that shows only that state, or all again
        tab = query.copy()
        tab.pop("state", None)
        if filters.state != key:
            tab["state"] = key
        link = reverse("queue") + (f"?{tab.urlencode()}" if tab else "")
        state_links.append((key, label, link, queue.counts[key]))
    return {
        "form": form,
        "filters": filters,
        "queue": queue,
        "zone": viewer_zone(request.user),
        "state_links": state_links,
        "state_label": dict(STATE_TABS).get(filters.state, ""),
        "page_prefix": f"{query.urlencode()}&" if query else "",  # page links keep the filters
        "full_query": request.GET.urlencode(),  # the live refresh asks for the same view
        "refresh_seconds": _refresh_seconds(),
    }


@require_GET
@agent_page
def queue(request):
    return render(request, "threads/queue.html", _queue_context(request))


@require_GET
@agent_page
def queue_fragment(request):
    """The queue's live part alone, polled by htmx with the page's own query string."""
    return render(request, "threads/_queue_live.html", _queue_context(request))


def _refused(request, thread_id: int, what: str, form, **forms):
    """Show the thread again with the form's errors, and say so at the top (on a phone the form
    is a long way down)."""
    errors = [e for field_errors in form.errors.values() for e in field_errors]
    messages.error(request, f"{what}: {' '.join(errors)}")
    return _thread_page(request, thread_id, status=400, **forms)


def _thread_page(request, thread_id: int, *, status: int = 200, **forms):
    context = thread_parts(thread_id=thread_id, user=request.user)
    thread, detail = context["thread"], context["detail"]
    now = detail.now
    context |= {
        "message_form": forms.get("message_form") or MessageForm(),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": thread.status}),
        "details_form": forms.get("details_form")
        or DetailsForm(
            initial={
                "priority": thread.priority,
                "assignee": thread.assignee_id,
                "team": thread.team_id,
            }
        ),
        "pause_hint": _pause_hint(thread),
        "reply_route": replies.route(thread),
        "way_back": way_back(request, thread.pk),
        "clock_actions": clock_actions([row.clock for row in detail.clocks], request.user, now),
        "breach_reasons": BreachReason.objects.filter(active=True).order_by("name"),
        "response_running": any(
            row.clock.is_running and row.clock.metric in RESPONSE_METRICS for row in detail.clocks
        ),
    }
    return render(request, "threads/thread.html", context, status=status)


# The customer's response clocks, which "no reply needed" cancels (a team's response is its own).
RESPONSE_METRICS = {Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE}


def _pause_hint(thread) -> str:
    pausing = [
        f"“{ThreadStatus(s).label}”"
        for s in (thread.policy.pause_statuses if thread.policy_id else [])
        if s in ThreadStatus.values
    ]
    if not pausing:
        return ""
    verb = "pauses" if len(pausing) == 1 else "pause"
    return f"{' and '.join(pausing)} {verb} resolution time under this policy: say why."


@require_GET
@agent_page
def thread_page(request, pk: int):
    return _thread_page(request, pk)


def _thread_or_404(request, pk: int, *fields: str) -> Thread:
    """The thread if this person may work it: another team's thread is a 404 to a team-limited
    agent, as if it did not exist."""
    threads = visible_threads(Thread.objects.all(), user=request.user)
    return get_object_or_404(threads.only(*fields) if fields else threads, pk=pk)


def _back(pk: int):
    return redirect(reverse("thread", args=[pk]))


@agent_action
def thread_message(request, pk: int):
    thread = _thread_or_404(request, pk, "pk", "source", "contact")
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, "Nothing was sent", form, message_form=form)
    note = form.cleaned_data["kind"] == MessageForm.NOTE
    route = "" if note else replies.route(thread)
    services.agent_reply(
        thread=thread.pk,
        author=request.user,
        body=form.cleaned_data["body"],
        public=not note,
        send=bool(route),
    )
    if note:
        messages.success(request, "Internal note added.")
    elif route:
        messages.success(request, f"Reply recorded; it is {route}.")
    else:
        messages.success(request, "Reply recorded (this thread did not come by e-mail).")
    return _back(pk)


@agent_action
def thread_message_retry(request, thread_id: int, pk: int):
    """ "Try again" on a reply whose delivery failed; the thread's rules decide who may."""
    thread = _thread_or_404(request, thread_id, "pk")
    message = get_object_or_404(Message.objects.select_related("thread"), pk=pk, thread=thread)
    try:
        services.reply_retry(message=message)
    except services.ThreadError as error:
        messages.info(request, error.message)
    else:
        messages.success(request, "Sending the reply again now.")
    return _back(thread.pk)


@agent_action
def thread_no_reply_needed(request, pk: int):
    thread = _thread_or_404(request, pk, "pk")
    form = NoReplyNeededForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, "Not marked", form)
    services.thread_mark_no_reply_needed(
        thread=thread.pk, actor=request.user, reason=form.cleaned_data["reason"]
    )
    messages.success(
        request,
        "Marked “no reply needed”: the response clock is stopped "
        "(cancelled with time left, breached if it was already past due).",
    )
    return _back(pk)


@agent_action
def thread_status(request, pk: int):
    thread = _thread_or_404(request, pk, "pk")
    form = StatusForm(request.POST)
    if form.is_valid():
        new = form.cleaned_data["status"]
        try:
            services.thread_set_status(
                thread=thread.pk, status=new, reason=form.cleaned_data["reason"], actor=request.user
            )
        except services.ThreadError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Status set to {ThreadStatus(new).label.lower()}.")
            return _back(pk)
    return _refused(request, pk, "The status was not changed", form, status_form=form)


@agent_action
def thread_details(request, pk: int):
    thread = _thread_or_404(request, pk)
    form = DetailsForm(request.POST)
    if form.is_valid():
        changes = form.changes(thread)
        if not changes:
            messages.info(request, "Nothing changed.")
            return _back(pk)
        try:
            services.thread_update(thread=thread.pk, actor=request.user, **changes)
        except services.ThreadError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            saved = f"Saved: {', '.join(changes)}."
            if set(changes) & set(services.REMATCH_FIELDS):
                saved += " The SLA policy was matched again."
            messages.success(request, saved)
            return _back(pk)
    return _refused(request, pk, "Nothing was saved", form, details_form=form)


@require_GET
@agent_page
def notifications(request):
    page = notifications_for(user=request.user, page=request.GET.get("page"))
    return render(
        request,
        "threads/notifications.html",
        {
            "page": page,
            "zone": viewer_zone(request.user),
            "unread": unread_count(request.user),
        },
    )


def _next_or(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@require_POST
@agent_page
def notification_read(request, pk: int):
    updated = Notification.objects.filter(pk=pk, user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if not updated and not Notification.objects.filter(pk=pk, user=request.user).exists():
        raise Http404("No such notification.")
    return redirect(_next_or(request, reverse("notifications")))


@require_POST
@agent_page
def notifications_read_all(request):
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect(_next_or(request, reverse("notifications")))
