"""A clock's actions on the agents' pages: give a breach reason, move the due time, exempt it
from objectives. Each calls its service in threads/overrides.py (the same door as the API), then
goes back where it came from with a message; a refusal is a message too, never an error page."""

import zoneinfo

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from accounts.selectors import viewer_zone
from threads import overrides
from threads.models import SlaClock
from threads.pages.clock_forms import ExemptForm, MoveDueForm, ReasonForm
from threads.pages.views import _next_or, _thread_or_404, agent_action


def _act(request, thread_id: int, form, act, refused: str):
    """Validate, call `act(thread, data)` (which returns the message to show), go back."""
    thread = _thread_or_404(request, thread_id)
    back = redirect(_next_or(request, reverse("thread", args=[thread.pk])))
    if not form.is_valid():
        errors = " ".join(e for field_errors in form.errors.values() for e in field_errors)
        messages.error(request, f"{refused}: {errors}")
        return back
    try:
        said = act(thread, form.cleaned_data)
    except SlaClock.DoesNotExist:
        messages.error(request, f"{refused}: this thread has no such clock.")
    except overrides.ClockRefused as error:
        messages.error(request, f"{refused}: {error}")
    else:
        messages.success(request, said)
    return back


@agent_action
def clock_give_reason(request, thread_id: int, pk: int):
    def act(thread, data):
        clock = overrides.clock_give_reason(
            thread=thread, clock_id=pk, reason=data["reason"], note=data["note"], actor=request.user
        )
        state = "confirmed" if clock.breach_reason_confirmed else "waiting for a manager"
        return f"{clock.get_metric_display()}: breach reason “{data['reason'].name}” ({state})."

    return _act(request, thread_id, ReasonForm(request.POST), act, "No reason was given")


@agent_action
def clock_move_due(request, thread_id: int, pk: int):
    zone = viewer_zone(request.user)

    def act(thread, data):
        clock = overrides.clock_move_due(
            thread=thread,
            clock_id=pk,
            reason=data["reason"],
            actor=request.user,
            due_at=data["due_at"],
            extend_by=data["extend_by"],
        )
        due = clock.due_at.astimezone(zoneinfo.ZoneInfo(zone))
        return f"{clock.get_metric_display()}: due time moved to {due:%a %d %b %H:%M} ({zone})."

    form = MoveDueForm(request.POST, zone=zone)
    return _act(request, thread_id, form, act, "The due time was not moved")


@agent_action
def clock_exempt(request, thread_id: int, pk: int):
    def act(thread, data):
        clock = overrides.clock_exempt(
            thread=thread, clock_id=pk, reason=data["reason"], actor=request.user
        )
        return f"{clock.get_metric_display()}: exempt from objectives."

    return _act(request, thread_id, ExemptForm(request.POST), act, "The clock was not exempted")
