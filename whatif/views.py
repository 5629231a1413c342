"""What-if pages of policies and calendars.

A manager edits a draft of a policy or a calendar and replays past threads under it
(whatif/run.py). The run goes on in steps of about a second: each request for the run page
replays the next threads, and htmx asks again until it is finished, so the page shows
"n of N threads" without a worker; the run's state is kept in the manager's session."""

import secrets
import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse

from policies.admin.helpers import viewer_zone
from policies.models import SetupStep, SlaPolicy
from threads.models import RUNNING_STATES, SlaClock
from whatif.apply import DraftStale, draft_apply
from whatif.draft import draft_changes
from whatif.forms import CalendarDraftForm, PolicyDraftForm, WhatIfForm
from whatif.run import WhatIfRun

# How long one step of a run may take: the page asks for the next step until the run is finished.
STEP_SECONDS = 0.8
WHATIF_SESSION_KEY = "slaops_whatif_runs"
WHATIF_RUNS_KEPT = 3


def whatif_urls(model_admin, prefix: str) -> list:
    view = model_admin.admin_site.admin_view
    return [
        path("<int:pk>/whatif/", view(model_admin.whatif_view), name=f"{prefix}_whatif"),
        path(
            "<int:pk>/whatif/<str:run>/",
            view(model_admin.whatif_view),
            name=f"{prefix}_whatif_run",
        ),
        path(
            "<int:pk>/whatif/<str:run>/apply/",
            view(model_admin.whatif_apply_view),
            name=f"{prefix}_whatif_apply",
        ),
    ]


def _whatif_load(request, run_id: str, subject):
    state = request.session.get(WHATIF_SESSION_KEY, {}).get(run_id)
    if state is None:
        return None
    run = WhatIfRun.from_json(state)
    mine = (
        run.draft.policy_id == subject.pk
        if isinstance(subject, SlaPolicy)
        else run.draft.calendar_id == subject.pk
    )
    return run if mine else None


def _whatif_keep(request, run_id: str, run) -> None:
    runs = dict(request.session.get(WHATIF_SESSION_KEY, {}))
    runs.pop(run_id, None)
    runs[run_id] = run.to_json()
    while len(runs) > WHATIF_RUNS_KEPT:  # the oldest go: a session stays small
        runs.pop(next(iter(runs)))
    request.session[WHATIF_SESSION_KEY] = runs


def _whatif_url(subject, name: str, *args) -> str:
    prefix = "policies_slapolicy" if isinstance(subject, SlaPolicy) else "policies_calendar"
    return reverse(f"admin:{prefix}_{name}", args=[subject.pk, *args])


def whatif_response(model_admin, request, *, policy=None, calendar=None, run=None):
    """The what-if page: the draft form and, once started, the run's progress or its result."""
    subject = policy or calendar
    if not model_admin.has_change_permission(request, subject):
        raise PermissionDenied
    zone = viewer_zone(request)
    form_class, subject_kwargs = (
        (PolicyDraftForm, {"policy": policy})
        if policy
        else (CalendarDraftForm, {"calendar": calendar})
    )
    run_id, run = run, None
    if run_id is not None:
        run = _whatif_load(request, run_id, subject)
        if run is None:
            model_admin.message_user(
                request, "That what-if is no longer kept: run it again.", messages.WARNING
            )
            return HttpResponseRedirect(_whatif_url(subject, "whatif"))
        run.advance(seconds=STEP_SECONDS)
        _whatif_keep(request, run_id, run)
        form = form_class(
            zone=zone, draft=run.draft, initial=_whatif_days(run, zone), **subject_kwargs
        )
    elif request.method == "POST":
        form = form_class(request.POST, zone=zone, **subject_kwargs)
        if form.is_valid():
            since, until = form.window()
            started = WhatIfRun.start(draft=form.draft(), since=since, until=until)
            SetupStep.tick(SetupStep.PREVIEWED, request.user)  # the index's "Preview a deadline"
            run_id = secrets.token_hex(8)
            _whatif_keep(request, run_id, started)
            return HttpResponseRedirect(_whatif_url(subject, "whatif_run", run_id))
    else:
        form = form_class(zone=zone, **subject_kwargs)
        form.initial.update(WhatIfForm.default_days(form.today()))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"What-if: {subject}",
        "subject": subject,
        "policy": policy,
        "calendar": calendar,
        "form": form,
        "run": run,
        "run_id": run_id,
        "viewer_zone": zone,
        "opts": model_admin.model._meta,
        "original": subject,
    }
    if run is not None:
        context.update(_whatif_result_context(subject, run, run_id))
        context["days"] = _whatif_days(run, zone)
        if request.headers.get("HX-Request"):
            return render(request, "admin/policies/whatif_run.html", context)
    return render(request, "admin/policies/whatif.html", context)


def _whatif_days(run, zone: str) -> dict:
    """The run's days as the manager chose them: [since, until) read back in their zone."""
    local = zoneinfo.ZoneInfo(zone)
    return {
        "since": run.since.astimezone(local).date(),
        "until": (run.until.astimezone(local) - timedelta(days=1)).date(),
    }


def _whatif_result_context(subject, run, run_id) -> dict:
    context = {
        "step_url": _whatif_url(subject, "whatif_run", run_id),
        "apply_url": _whatif_url(subject, "whatif_apply", run_id),
        "percent": int(run.done * 100 / run.total) if run.total else 100,
    }
    if run.finished and not run.stale:
        context.update(
            {
                "rows": run.rows(),
                "changes": run.change_list(),
                "more_changes": run.changed - len(run.changes),
                "draft_lines": draft_changes(run.draft),
                "subject_policies": list(SlaPolicy.objects.filter(pk__in=run.subjects)),
                "running_clocks": SlaClock.objects.filter(
                    policy_id__in=run.subjects, state__in=RUNNING_STATES
                ).count(),
            }
        )
    return context


def whatif_apply_response(model_admin, request, *, policy=None, calendar=None, run=None):
    """Write the draft the manager replayed; with the box ticked, re-apply it to running clocks."""
    subject = policy or calendar
    if not model_admin.has_change_permission(request, subject):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseRedirect(_whatif_url(subject, "whatif_run", run))
    loaded = _whatif_load(request, run, subject)
    if loaded is None or not loaded.finished or loaded.stale:
        model_admin.message_user(
            request,
            "Only a finished what-if can be applied: run it again.",
            messages.ERROR,
        )
        return HttpResponseRedirect(_whatif_url(subject, "whatif"))
    try:
        applied = draft_apply(
            draft=loaded.draft,
            reapply=bool(request.POST.get("reapply")),
            actor=request.user,
            version=loaded.version,
        )
    except DraftStale as error:
        model_admin.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(_whatif_url(subject, "whatif"))
    runs = dict(request.session.get(WHATIF_SESSION_KEY, {}))
    runs.pop(run, None)
    request.session[WHATIF_SESSION_KEY] = runs
    summary = "; ".join(applied.changes) or "nothing differed from the configuration"
    model_admin.log_change(request, subject, f"Applied a what-if draft: {summary}.")
    note = f"Draft applied ({summary}). Clocks started from now on follow it."
    if applied.reapplied is not None:
        note += f" {applied.reapplied} running clocks retargeted; finished clocks are unchanged."
    else:
        note += " Running and finished clocks are unchanged."
    model_admin.message_user(request, note)
    opts = model_admin.model._meta
    return HttpResponseRedirect(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[subject.pk])
    )
