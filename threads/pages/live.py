"""The parts of the agents' pages that update themselves: the thread page's clocks, messages and
history (polled by htmx, swapped by id so the reply form and what is typed in it stay), and the
header's bell; and a notification's link, which marks it read as it opens the thread. Page and
poll build their parts with the same detail.thread_parts."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from threads.models import Notification
from threads.pages.detail import thread_parts
from threads.pages.notifications import open_notification
from threads.pages.views import agent_page
from threads.templatetags.agent_pages import agent_nav


@require_GET
@agent_page
def thread_live(request, pk: int):
    parts = thread_parts(thread_id=pk, user=request.user)
    return render(request, "threads/_thread_live.html", parts)


@require_GET
@agent_page
def bell(request):
    return render(request, "threads/_bell.html", {"nav": agent_nav({"user": request.user})})


@require_GET
@agent_page
def notification_open(request, pk: int):
    """A notification's link: marks it read, then shows its thread."""
    try:
        target = open_notification(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    return redirect(target)
