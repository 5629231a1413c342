"""Breach reasons: the managers' list of why a clock may miss (excused or not)."""

from django.contrib import admin

from policies.models import BreachReason


@admin.register(BreachReason)
class BreachReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "excused", "active", "customer_text"]
    list_filter = ["excused", "active"]
    search_fields = ["name"]
    fields = ["name", "description", "customer_text", "excused", "active"]

    def get_readonly_fields(self, request, obj=None):
        # Whether a reason excuses is fixed once a breach was given it.
        return ["excused"] if obj is not None and obj.is_used() else []
