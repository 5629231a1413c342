"""SLA policies: conditions, targets, warnings, escalations, notification rules, their
order, templates, clones, previews, what-ifs and re-applying them to running clocks."""

from django.contrib import admin
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html

from policies import forms as policy_forms
from policies.admin.alert_rules import NotificationRuleInline
from policies.admin.helpers import (
    InlinesCheckedTogether,
    counted,
    targets_in_order,
    targets_summary,
    viewer_zone,
)
from policies.admin.preview import preview_response
from policies.catalog import TEMPLATES
from policies.models import (
    EscalationLevel,
    SlaPolicy,
    SlaTarget,
    WarningThreshold,
)
from policies.services import (
    business_hours_calendar,
    policies_from_template,
    policies_set_active,
    policy_clone,
    policy_move,
)
from policies.vocabulary import Channel, Priority
from whatif.views import whatif_apply_response, whatif_response, whatif_urls


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

    def get_queryset(self, request):
        return targets_in_order(super().get_queryset(request))


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


@admin.register(SlaPolicy)
class SlaPolicyAdmin(InlinesCheckedTogether, admin.ModelAdmin):
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
            {
                "fields": [
                    "calendar",
                    "use_customer_time_zone",
                    "pause_statuses",
                    "reply_resumes",
                    "page_24_7",
                ]
            },
        ),
        ("Order", {"fields": ["order"], "classes": ["collapse"]}),
    ]

    def get_changeform_initial_data(self, request):
        """A new policy goes last, as a template's or a clone does: with order 0 it would be
        tried before every existing one and quietly take their threads."""
        from policies.services import next_policy_order

        return {"order": next_policy_order(), **super().get_changeform_initial_data(request)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                "tiers",
                "teams",
                Prefetch("targets", targets_in_order(SlaTarget.objects.all())),
                "thresholds",
            )
        )

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
        return targets_summary(obj)

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
            self.message_user(
                request,
                f"{counted(total, 'running clock', 'running clocks')} retargeted; "
                "history records each.",
            )
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
        changed = policies_set_active(policies=queryset, active=True)
        self.message_user(request, f"{counted(changed, 'policy', 'policies')} activated.")

    @admin.action(description="Deactivate the selected policies")
    def deactivate(self, request, queryset):
        changed = policies_set_active(policies=queryset, active=False)
        self.message_user(request, f"{counted(changed, 'policy', 'policies')} deactivated.")

    def changelist_view(self, request, extra_context=None):
        # Policies made before the defaults were applied keep their rules: say which differ.
        differing = [
            (p, p.differences_from_defaults())
            for p in SlaPolicy.objects.only("pk", "name", "pause_statuses", "reply_resumes")
        ]
        differing = [(p, found) for p, found in differing if found]
        extra = {
            "differing": differing,
            "differing_count": counted(len(differing), "policy", "policies"),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})

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
            key, calendar = form.cleaned_data["template"], form.cleaned_data["calendar"]
            with transaction.atomic():
                if calendar == policy_forms.AS_THE_TEMPLATE_SAYS:
                    calendar = (
                        business_hours_calendar(zone=viewer_zone(request))
                        if TEMPLATES[key].wants_business_hours
                        else None
                    )
                created = policies_from_template(
                    key=key, calendar=calendar, active=form.cleaned_data["active"]
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
