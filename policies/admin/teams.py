"""The team's page: its members and, beside them, its own promises (OLA): the calendar its clocks
run on, its targets, warnings, escalation levels and alert rules (policies/models/teams.py)."""

from django.contrib import admin
from django.db.models import Count, Prefetch

from accounts.models import Team
from policies import forms as policy_forms
from policies.admin.alert_rules import TeamAlertRuleInline
from policies.admin.helpers import InlinesCheckedTogether, targets_in_order, targets_summary
from policies.admin.sla_policies import EscalationInline, TargetInline, ThresholdInline
from policies.models import TeamEscalation, TeamTarget, TeamWarning


class TeamTargetInline(TargetInline):
    """Team response and team resolution (the model offers no other metric), per priority."""

    model = TeamTarget
    min_num = 0  # a team without targets has no clocks of its own
    verbose_name = "team target"
    verbose_name_plural = "team targets (business time of the team's calendar)"


class TeamWarningInline(ThresholdInline):
    model = TeamWarning
    formset = policy_forms.TeamThresholdFormSet
    verbose_name = "warning"
    verbose_name_plural = "warnings before a team clock's breach"


class TeamEscalationInline(EscalationInline):
    model = TeamEscalation
    fk_name = "team"  # the team whose clocks escalate (reassign_team is where a level moves it)
    verbose_name_plural = "escalation levels (after a team clock's breach, while it still runs)"


@admin.register(Team)
class TeamAdmin(InlinesCheckedTogether, admin.ModelAdmin):
    list_display = ["name", "member_count", "calendar_name", "targets_summary"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["calendar"]
    fields = ["name", "members", "calendar"]
    inlines = [TeamTargetInline, TeamWarningInline, TeamEscalationInline, TeamAlertRuleInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_members=Count("members", distinct=True))
            .prefetch_related(Prefetch("targets", targets_in_order(TeamTarget.objects.all())))
        )

    @admin.display(description="members", ordering="n_members")
    def member_count(self, obj):
        return obj.n_members

    @admin.display(description="calendar", ordering="calendar__name")
    def calendar_name(self, obj):
        return obj.calendar.name if obj.calendar else "the policy's"

    @admin.display(description="targets")
    def targets_summary(self, obj):
        return targets_summary(obj) or "—"
