"""Tiers: the customer levels policies match on; one is the default."""

from django.contrib import admin, messages
from django.db.models import Count

from policies import forms as policy_forms
from policies.models import Tier
from policies.services import tier_make_default


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = policy_forms.TierForm
    list_display = ["name", "order", "default_marker", "account_count"]
    list_editable = ["order"]
    search_fields = ["name"]
    actions = ["make_default"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_accounts=Count("accounts"))

    # Not the boolean column: a red ✗ on every other tier reads as something wrong with it.
    @admin.display(description="default", ordering="-is_default")
    def default_marker(self, obj):
        return "Default tier" if obj.is_default else ""

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
