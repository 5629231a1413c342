"""Integration keys in the admin, for superusers only: the key is shown once, on creation;
revoking cannot be undone; an expiry date ends a key by itself."""

from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from integrations.models import IntegrationKey
from policies.admin.helpers import InViewerZone

# The library's own key model is not used: one kind of key, one list.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class SuperusersOnly:
    """Keys act for a whole source: only superusers see or issue them, whatever permissions a
    role or a person has been given."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row is the record of who had access


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(SuperusersOnly, InViewerZone, APIKeyModelAdmin):
    list_display = [
        "prefix",
        "name",
        "source",
        "created",
        "created_by",
        "last_used_at",
        "expiry_date",
        "_has_expired",
        "revoked",
    ]
    list_filter = ["source", "revoked", "created"]
    list_select_related = ["created_by"]
    search_fields = ["name", "prefix", "source"]
    fields = [
        "name",
        "source",
        "expiry_date",
        "revoked",
        "prefix",
        "created",
        "created_by",
        "last_used_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["prefix", "created", "created_by", "last_used_at"]
        if obj is not None:
            fixed.append("source")  # a key's scope never moves: issue a new key instead
        return [*super().get_readonly_fields(request, obj), *fixed]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
