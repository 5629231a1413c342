"""Objectives in the admin: managers define them (the objectives page shows their figures)."""

from django.contrib import admin

from objectives.forms import ObjectiveForm
from objectives.models import Objective, ObjectivePeriod


class PeriodInline(admin.TabularInline):
    model = ObjectivePeriod
    fields = ["start", "end", "status", "figures", "correction", "closed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    form = ObjectiveForm
    list_display = ["name", "metric", "target_percent", "period", "time_zone", "notify_managers"]
    list_filter = ["metric", "period"]
    search_fields = ["name"]
    filter_horizontal = ["alert_channels"]
    inlines = [PeriodInline]
    fieldsets = [
        (None, {"fields": ["name", "metric", "target_percent", "period", "time_zone"]}),
        (
            "Which clocks count",
            {
                "fields": [
                    "scope_policies",
                    "scope_tiers",
                    "scope_accounts",
                    "scope_teams",
                    "scope_priorities",
                    "scope_channels",
                ],
            },
        ),
        ("Alerts", {"fields": ["at_risk_share", "alert_channels", "notify_managers"]}),
    ]
