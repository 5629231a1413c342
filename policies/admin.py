"""The managers' SLA configuration in the Django admin."""

import secrets
import zoneinfo
from datetime import date, timedelta
from urllib.parse import urlparse

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTimeWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.models import AgentProfile
from policies import forms as policy_forms
from policies.catalog import TEMPLATES
from policies.durations import format_duration
from policies.models import (
    AlertChannel,
    AlertEvent,
    Calendar,
    EscalationLevel,
    Holiday,
    NotificationRule,
    OpeningHours,
    SlaPolicy,
    SlaTarget,
    SpecialDay,
    Tier,
    WarningThreshold,
    describe_interval,
)
from policies.secret_fields import masked
from policies.selectors import preview_clocks, week_open_time
from policies.services import (
    HolidayImportError,
    holidays_import,
    policies_from_template,
    policy_clone,
    policy_move,
    tier_make_default,
)
from policies.vocabulary import Channel, Metric, Priority, ThreadStatus
from policies.whatif_forms import CalendarDraftForm, PolicyDraftForm, WhatIfForm
from threads import whatif
from threads.models import RUNNING_STATES, SlaClock


def viewer_zone(request) -> str:
    profile = AgentProfile.objects.filter(user_id=request.user.pk).first()
    return profile.time_zone if profile else timezone.get_default_timezone_name()


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = policy_forms.TierForm
    list_display = ["name", "order", "is_default", "account_count"]
    list_editable = ["order"]
    search_fields = ["name"]
    actions = ["make_default"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_accounts=Count("accounts"))

    @admin.display(description="accounts", ordering="n_accounts")
    def account_count(self, obj):
        return obj.n_accounts

    @admin.action(description="Make the selected tier the default")
    def make_default(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one tier.", messages.ERROR)
            return
        tier = tier_make_default(tier=queryset.get())
        self.message_user(request, f"“{tier}” is now the default tier.")

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


HH_MM = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    formfield_overrides = HH_MM
    formset = policy_forms.DayIntervalsFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    classes = ["collapse"]
    verbose_name_plural = "holidays (this year onwards; hours starting on these dates are closed)"
    fields = ["date", "name", "source"]
    readonly_fields = ["source"]

    def get_queryset(self, request):
        # Long imported ranges stay usable: show this year onwards, older ones are history.
        return super().get_queryset(request).filter(date__gte=date(date.today().year, 1, 1))


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    formfield_overrides = HH_MM
    verbose_name_plural = "special days (their hours replace the week's; no hours = closed)"
    formset = policy_forms.SpecialDayFormSet
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "weekly_hours", "week_open_time", "upcoming_holidays"]
    search_fields = ["name", "time_zone"]
    list_filter = ["time_zone"]
    inlines = [OpeningHoursInline, SpecialDayInline, HolidayInline]
    actions = ["import_holidays"]
    change_form_template = "admin/policies/calendar/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("hours")

    @admin.display(description="opening hours")
    def weekly_hours(self, obj):
        by_day = {}
        for hours in obj.hours.all():
            by_day.setdefault(hours.weekday, []).append(
                describe_interval(hours.opens, hours.closes)
            )
        days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return "; ".join(f"{days[d]} {', '.join(spans)}" for d, spans in sorted(by_day.items()))

    @admin.display(description="open per week")
    def week_open_time(self, obj):
        return format_duration(week_open_time(obj))

    @admin.display(description="next holidays")
    def upcoming_holidays(self, obj):
        upcoming = obj.holidays.filter(date__gte=date.today()).order_by("date")[:3]
        return ", ".join(f"{h.date:%d %b} {h.name}" for h in upcoming) or "—"

    @admin.action(description="Import public holidays…")
    def import_holidays(self, request, queryset):
        form = policy_forms.HolidayImportForm(
            request.POST if "apply" in request.POST else None,
            initial={"first_year": date.today().year, "last_year": date.today().year + 2},
        )
        if "apply" in request.POST and form.is_valid():
            data = form.cleaned_data
            try:
                for calendar in queryset:
                    added = holidays_import(
                        calendar=calendar,
                        country=data["country"],
                        subdivision=data["subdivision"],
                        years=range(data["first_year"], data["last_year"] + 1),
                    )
                    self.message_user(request, f"{calendar.name}: {added} holidays added.")
            except HolidayImportError as error:
                form.add_error(None, str(error))
            else:
                return None
        return render(
            request,
            "admin/policies/calendar/import_holidays.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import public holidays",
                "form": form,
                "calendars": queryset,
                "opts": self.model._meta,
                "action": "import_holidays",
            },
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="policies_calendar_preview",
            ),
            *whatif_urls(self, "policies_calendar"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        calendar = get_object_or_404(Calendar, pk=pk)
        return preview_response(self, request, calendar=calendar)

    def whatif_view(self, request, pk, run=None):
        return whatif_response(self, request, calendar=get_object_or_404(Calendar, pk=pk), run=run)

    def whatif_apply_view(self, request, pk, run):
        calendar = get_object_or_404(Calendar, pk=pk)
        return whatif_apply_response(self, request, calendar=calendar, run=run)


class TargetInline(admin.TabularInline):
    model = SlaTarget
    formset = policy_forms.TargetFormSet
    extra = 0
    min_num = 1
    verbose_name = "target"
    verbose_name_plural = "targets (business time)"

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "priority":
            kwargs["choices"] = [("", "Any priority"), *Priority.choices]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class ThresholdInline(admin.TabularInline):
    model = WarningThreshold
    formset = policy_forms.ThresholdFormSet
    extra = 0
    verbose_name = "warning"
    verbose_name_plural = "warnings before a breach"


class EscalationInline(admin.TabularInline):
    model = EscalationLevel
    extra = 0
    fields = ["level", "after", "reassign_team", "raise_priority"]
    verbose_name = "escalation level"
    verbose_name_plural = "escalation levels (after a breach, while the clock still runs)"

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "raise_priority":
            kwargs["choices"] = [("", "Keep the priority"), *Priority.choices]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class NotificationRuleForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=AlertEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
        help_text="The SLA events this rule sends.",
    )
    metrics = forms.MultipleChoiceField(
        choices=Metric.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = every metric.",
    )
    escalation_levels = forms.TypedMultipleChoiceField(
        choices=[(level, f"Level {level}") for level in range(1, 6)],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For “escalation level reached”: none ticked = every level.",
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=AlertChannel.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Also send to these channels (set them up under Alert channels).",
    )

    class Meta:
        model = NotificationRule
        fields = [
            "events",
            "metrics",
            "escalation_levels",
            "to_assignee",
            "to_team",
            "to_managers",
            "by_email",
            "in_app",
            "channels",
        ]


class NotificationRuleInline(admin.StackedInline):
    model = NotificationRule
    form = NotificationRuleForm
    extra = 0
    verbose_name = "notification rule"
    verbose_name_plural = "notification rules (who hears about which SLA events)"
    fieldsets = [
        (None, {"fields": ["events", "metrics", "escalation_levels"]}),
        ("People", {"fields": ["to_assignee", "to_team", "to_managers", "by_email", "in_app"]}),
        ("Channels", {"fields": ["channels"]}),
    ]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = policy_forms.SlaPolicyForm
    list_display = [
        "move_buttons",
        "name",
        "active",
        "conditions",
        "calendar_name",
        "targets_summary",
        "warnings_summary",
    ]
    list_display_links = ["name"]
    list_filter = ["active", "calendar", "tiers", "page_24_7"]
    list_select_related = ["calendar"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["calendar"]
    inlines = [TargetInline, ThresholdInline, EscalationInline, NotificationRuleInline]
    actions = ["clone", "activate", "deactivate", "reapply"]
    ordering = ["order", "id"]
    change_form_template = "admin/policies/slapolicy/change_form.html"
    change_list_template = "admin/policies/slapolicy/change_list.html"
    fieldsets = [
        (None, {"fields": ["name", "active", "description"]}),
        (
            "Which threads it applies to",
            {
                "fields": ["tiers", "priorities", "channels", "teams"],
                "description": "Policies are tried in order; the first active policy whose "
                "conditions all match applies. An empty condition matches anything.",
            },
        ),
        (
            "How time is counted",
            {"fields": ["calendar", "use_customer_time_zone", "pause_statuses", "page_24_7"]},
        ),
        ("Order", {"fields": ["order"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("tiers", "teams", "targets", "thresholds")
        )

    def _create_formsets(self, request, obj, change):
        # Targets and warnings are validated together (a warning must fit inside the targets).
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        for formset in formsets:
            formset.siblings = formsets
        return formsets, inline_instances

    @admin.display(description="order")
    def move_buttons(self, obj):
        up = reverse("admin:policies_slapolicy_move", args=[obj.pk, "up"])
        down = reverse("admin:policies_slapolicy_move", args=[obj.pk, "down"])
        return format_html(
            '<span class="policy-order">{}</span> '
            '<button type="submit" class="move" formaction="{}" formmethod="post" '
            'title="Move up" aria-label="Move {} up">▲</button>'
            '<button type="submit" class="move" formaction="{}" formmethod="post" '
            'title="Move down" aria-label="Move {} down">▼</button>',
            obj.order,
            up,
            obj.name,
            down,
            obj.name,
        )

    @admin.display(description="applies to")
    def conditions(self, obj):
        parts = []
        tiers = [t.name for t in obj.tiers.all()]
        teams = [t.name for t in obj.teams.all()]
        if tiers:
            parts.append("tier " + " or ".join(tiers))
        if obj.priorities:
            parts.append("priority " + " or ".join(Priority(p).label for p in obj.priorities))
        if obj.channels:
            parts.append("channel " + " or ".join(Channel(c).label for c in obj.channels))
        if teams:
            parts.append("team " + " or ".join(teams))
        return "; ".join(parts) or "every thread"

    @admin.display(description="calendar", ordering="calendar__name")
    def calendar_name(self, obj):
        name = obj.calendar.name if obj.calendar else "24/7"
        if obj.use_customer_time_zone:
            name += " (customer's zone)"
        return name

    @admin.display(description="targets")
    def targets_summary(self, obj):
        return format_html_join(
            "",
            "<div>{}: <strong>{}</strong></div>",
            (
                (
                    t.get_metric_display()
                    + (f" ({t.get_priority_display()})" if t.priority else ""),
                    format_duration(t.duration),
                )
                for t in obj.targets.all()
            ),
        )

    @admin.display(description="warnings")
    def warnings_summary(self, obj):
        return ", ".join(str(t) for t in obj.thresholds.all()) or "—"

    @admin.action(description="Clone the selected policies (copies start inactive)")
    def clone(self, request, queryset):
        for policy in queryset:
            copy = policy_clone(policy=policy)
            self.message_user(request, f"Created “{copy}”, inactive, at the end of the list.")

    @admin.action(description="Re-apply to running clocks… (shows a dry run first)")
    def reapply(self, request, queryset):
        from threads.services import policy_reapply, policy_reapply_plan

        if "apply" in request.POST:
            total = sum(policy_reapply(policy=p, actor=request.user) for p in queryset)
            self.message_user(request, f"{total} running clocks retargeted; history records each.")
            return None
        plans = [(p, policy_reapply_plan(policy=p)) for p in queryset]
        return render(
            request,
            "admin/policies/slapolicy/reapply.html",
            {
                **self.admin_site.each_context(request),
                "title": "Re-apply to running clocks",
                "plans": plans,
                "policies": queryset,
                "opts": self.model._meta,
                "viewer_zone": viewer_zone(request),
            },
        )

    @admin.action(description="Activate the selected policies")
    def activate(self, request, queryset):
        self.message_user(request, f"{queryset.update(active=True)} policies activated.")

    @admin.action(description="Deactivate the selected policies")
    def deactivate(self, request, queryset):
        self.message_user(request, f"{queryset.update(active=False)} policies deactivated.")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/move/<str:direction>/",
                view(self.move_view),
                name="policies_slapolicy_move",
            ),
            path("templates/", view(self.templates_view), name="policies_slapolicy_templates"),
            path("preview/", view(self.preview_view), name="policies_slapolicy_preview"),
            path(
                "<int:pk>/preview/", view(self.preview_view), name="policies_slapolicy_preview_one"
            ),
            *whatif_urls(self, "policies_slapolicy"),
            *super().get_urls(),
        ]

    def move_view(self, request, pk, direction):
        policy = get_object_or_404(SlaPolicy, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, policy):
            return HttpResponseRedirect(reverse("admin:policies_slapolicy_changelist"))
        policy_move(policy=policy, up=direction == "up")
        return HttpResponseRedirect(reverse("admin:policies_slapolicy_changelist"))

    def templates_view(self, request):
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:policies_slapolicy_changelist"))
        form = policy_forms.TemplateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            created = policies_from_template(
                key=form.cleaned_data["template"],
                calendar=form.cleaned_data["calendar"],
                active=form.cleaned_data["active"],
            )
            names = ", ".join(p.name for p in created)
            state = "active" if form.cleaned_data["active"] else "inactive until you activate them"
            self.message_user(request, f"Created {names} ({state}). Review them below.")
            return HttpResponseRedirect(reverse("admin:policies_slapolicy_changelist"))
        return render(
            request,
            "admin/policies/slapolicy/templates.html",
            {
                **self.admin_site.each_context(request),
                "title": "Start from a template",
                "form": form,
                "templates": TEMPLATES.values(),
                "opts": self.model._meta,
            },
        )

    def preview_view(self, request, pk=None):
        policy = get_object_or_404(SlaPolicy, pk=pk) if pk else None
        return preview_response(self, request, policy=policy)

    def whatif_view(self, request, pk, run=None):
        return whatif_response(self, request, policy=get_object_or_404(SlaPolicy, pk=pk), run=run)

    def whatif_apply_view(self, request, pk, run):
        policy = get_object_or_404(SlaPolicy, pk=pk)
        return whatif_apply_response(self, request, policy=policy, run=run)


@admin.register(AlertChannel)
class AlertChannelAdmin(admin.ModelAdmin):
    form = policy_forms.AlertChannelForm
    list_display = ["name", "kind", "destination", "enabled", "disabled_reason", "disabled_at"]
    list_filter = ["kind", "enabled"]
    # Not the URL: searching it would let anyone guess a Slack webhook's token letter by letter.
    search_fields = ["name", "addresses"]
    readonly_fields = ["disabled_reason", "disabled_at"]
    fields = ["name", "kind", "addresses", "url", "secret", "enabled", *readonly_fields]
    actions = ["send_test_alert", "enable_again"]

    @admin.display(description="sends to")
    def destination(self, obj):
        if obj.kind == AlertChannel.Kind.EMAIL:
            return ", ".join(obj.address_list())
        if obj.kind == AlertChannel.Kind.SLACK:
            # A Slack webhook URL is its own password: show where, not the token.
            return f"{urlparse(obj.url).hostname or obj.url}/…" if obj.url else ""
        return obj.url

    @admin.display(description="signing secret")
    def secret_hint(self, obj):
        return masked(obj.secret) if obj else ""

    def _view_only(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if not self._view_only(request, obj):
            return self.fields
        # Read-only pages show every field's value: show where and a hint instead of secrets.
        shown = {"url": "destination", "secret": "secret_hint"}
        return [shown.get(name, name) for name in self.fields]

    def get_readonly_fields(self, request, obj=None):
        if not self._view_only(request, obj):
            return self.readonly_fields
        return [*self.readonly_fields, "destination", "secret_hint"]

    def save_model(self, request, obj, form, change):
        fresh = ""
        if obj.kind == AlertChannel.Kind.WEBHOOK and not obj.secret:
            from threads.alerting.transports.webhook import new_secret

            obj.secret = fresh = new_secret()
        super().save_model(request, obj, form, change)
        if fresh:
            # The one time this secret is shown: the receiver needs it to check signatures.
            self.message_user(
                request,
                f"Signing secret of “{obj.name}”: {fresh} — give it to the receiving end now; "
                "it is not shown again (tick “Generate a new secret” to replace it).",
                messages.WARNING,
            )

    # Both act on the channel (a test sends to its URL), so they need the right to change it.
    @admin.action(description="Send a test alert now", permissions=["change"])
    def send_test_alert(self, request, queryset):
        from threads.alerting.delivery import send_test_alert

        for channel in queryset:
            results = send_test_alert(channel=channel)
            failed = [r for r in results if not r.ok]
            detail = "; ".join(
                f"{r.recipient}: {r.message}"
                if channel.kind == AlertChannel.Kind.EMAIL
                else r.message
                for r in results
            )
            if failed:
                self.message_user(
                    request, f"{channel.name}: test alert failed: {detail}", messages.ERROR
                )
            else:
                self.message_user(request, f"{channel.name}: test alert sent ({detail}).")

    @admin.action(description="Enable again (clears why it was disabled)", permissions=["change"])
    def enable_again(self, request, queryset):
        from threads.alerting.delivery import channel_enable

        for channel in queryset:
            channel_enable(channel)
        self.message_user(
            request, f"{queryset.count()} channels enabled; new alerts go to them again."
        )


def preview_response(model_admin, request, *, policy=None, calendar=None):
    """The preview page shared by policies and calendars: when would this thread warn and breach?"""
    zone_source = calendar or (policy.calendar if policy else None) or _first_calendar()
    initial = {
        "start": policy_forms.default_preview_start(),
        "zone": zone_source.time_zone if zone_source else "UTC",
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


def _first_calendar():
    return Calendar.objects.order_by("name").first()


# ------------------------------------------------------------------------------------ what-if
# A manager edits a draft of a policy or a calendar and replays past threads under it
# (threads/whatif.py). The run goes on in steps of about a second: each request for the run page
# replays the next threads, and htmx asks again until it is finished, so the page shows
# "n of N threads" without a worker; the run's state is kept in the manager's session.

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
    run = whatif.WhatIfRun.from_json(state)
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
        run.advance(seconds=whatif.STEP_SECONDS)
        _whatif_keep(request, run_id, run)
        form = form_class(
            zone=zone, draft=run.draft, initial=_whatif_days(run, zone), **subject_kwargs
        )
    elif request.method == "POST":
        form = form_class(request.POST, zone=zone, **subject_kwargs)
        if form.is_valid():
            since, until = form.window()
            started = whatif.WhatIfRun.start(draft=form.draft(), since=since, until=until)
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
                "draft_lines": whatif.draft_changes(run.draft),
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
        applied = whatif.draft_apply(
            draft=loaded.draft,
            reapply=bool(request.POST.get("reapply")),
            actor=request.user,
            fingerprint=loaded.fingerprint,
        )
    except whatif.DraftStale as error:
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
