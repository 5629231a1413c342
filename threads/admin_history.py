"""What every history screen of the threads admin shares (threads/admin.py and the outbox's
threads/delivery_admin.py): history is read here, never added, changed or deleted by hand."""

from django.contrib import admin


class HistoryAdmin(admin.ModelAdmin):
    """History is written by the services and never edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
