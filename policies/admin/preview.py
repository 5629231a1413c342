"""The preview page shared by policies and calendars: when would this thread warn and breach?"""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from policies import forms as policy_forms
from policies.admin.helpers import viewer_zone
from policies.models import SetupStep
from policies.selectors import preview_clocks
from policies.vocabulary import Channel, Priority, ThreadStatus


def preview_response(model_admin, request, *, policy=None, calendar=None):
    """The preview page shared by policies and calendars: when would this thread warn and breach?"""
    zone_source = calendar or (policy.calendar if policy else None)
    initial = {
        "start": policy_forms.default_preview_start(),
        # A calendar's page previews in its zone; "Which policy applies?" in the reader's.
        "zone": zone_source.time_zone if zone_source else viewer_zone(request),
        # Start from a thread this policy is meant for, so the first answer is useful.
        "priority": (policy.priorities[0] if policy and policy.priorities else Priority.NORMAL),
        "channel": (policy.channels[0] if policy and policy.channels else Channel.EMAIL),
        "tier": next((t.pk for t in policy.tiers.all()), "") if policy else "",
        "team": next((t.pk for t in policy.teams.all()), "") if policy else "",
        "customer_zone": "",
    }
    # Without a query the page answers for the initial values at once.
    form = policy_forms.PreviewForm(request.GET or initial)
    result = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        result = preview_clocks(
            start=data["start"],
            tier_id=data["tier"].pk if data["tier"] else None,
            priority=data["priority"],
            channel=data["channel"],
            team_id=data["team"].pk if data["team"] else None,
            customer_zone=data["customer_zone"] or None,
            policy=policy,
            calendar=calendar,
        )
    if result is not None:
        SetupStep.tick(SetupStep.PREVIEWED, request.user)  # the index's "Preview a deadline"
    calendar_days = []
    if calendar is not None:
        from policies.selectors import business_calendar

        engine = business_calendar(calendar)
        start = form.cleaned_data["start"] if result else timezone.now()
        calendar_days = [
            (opens, closes, closes - opens)
            for opens, closes in engine.open_intervals(start, start + timedelta(days=7))
        ]
    subject = policy or calendar
    return render(
        request,
        "admin/policies/preview.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": f"Preview: {subject}" if subject else "Preview: which policy applies?",
            "form": form,
            "result": result,
            "policy": policy,
            "calendar": calendar,
            "calendar_days": calendar_days,
            "viewer_zone": viewer_zone(request),
            "opts": model_admin.model._meta,
            "statuses": ThreadStatus,
        },
    )
