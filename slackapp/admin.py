"""The Slack app in the admin (superusers: it holds the tokens): the app's credentials (one row),
its workspaces with an "Add to Slack" button and the approval of a newly installed one, secrets
write-only, connected channels and linked people inline, the events received and the replies
posted."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone

from policies.admin.helpers import InViewerZone
from policies.secret_fields import SecretField, masked
from slackapp.models import (
    SlackApp,
    SlackChannel,
    SlackCredentials,
    SlackEvent,
    SlackMessage,
    SlackPost,
    SlackUser,
)


class SlackCredentialsForm(forms.ModelForm):
    signing_secret = SecretField(label="Signing secret")
    client_secret = SecretField(label="Client secret")

    class Meta:
        model = SlackCredentials
        fields = ["signing_secret", "client_id", "client_secret", "token_rotation"]


@admin.register(SlackCredentials)
class SlackCredentialsAdmin(admin.ModelAdmin):
    """One row."""

    form = SlackCredentialsForm

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SlackCredentials.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class SlackAppForm(forms.ModelForm):
    bot_token = SecretField(label="Bot token", required=True)
    signing_secret = SecretField(
        label="Signing secret (an app of its own only)",
        required=False,
        help_text=SlackApp._meta.get_field("signing_secret").help_text,
    )

    class Meta:
        model = SlackApp
        fields = [
            "name",
            "enterprise_id",
            "team_id",
            "bot_token",
            "signing_secret",
            "triage_channel_id",
            "resolve_reaction",
            "enabled",
        ]

    def clean_resolve_reaction(self):
        return self.cleaned_data["resolve_reaction"].strip().strip(":")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("team_id") and not cleaned.get("enterprise_id"):
            self.add_error("team_id", "Give the workspace's team id (T0123ABCD).")
        return cleaned


class SlackChannelInline(admin.TabularInline):
    model = SlackChannel
    extra = 1
    autocomplete_fields = ["account"]
    fields = [
        "channel_id",
        "name",
        "account",
        "team",
        "priority",
        "workflow_opens_threads",
        "externally_shared",
        "last_seen_ts",
    ]
    readonly_fields = ["externally_shared", "last_seen_ts"]
    classes = ["slack-channels"]  # narrower boxes (adminux.css): the row fits 1280 px

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        # No add/change/delete/view icons beside the account and team in each row: they took
        # the width the priority and delete columns need. Accounts and teams have their pages.
        widget = getattr(field, "widget", None)
        for name in ("can_add_related", "can_change_related", "can_delete_related"):
            if hasattr(widget, name):
                setattr(widget, name, False)
        if hasattr(widget, "can_view_related"):
            widget.can_view_related = False
        return field


class SlackUserInline(admin.TabularInline):
    model = SlackUser
    extra = 0
    fields = ["slack_user_id", "name", "email", "team_id", "agent", "looked_up_at"]
    readonly_fields = ["team_id", "looked_up_at"]
    verbose_name_plural = "Slack users (link an agent by hand, or it is found by e-mail)"


@admin.register(SlackApp)
class SlackAppAdmin(InViewerZone, admin.ModelAdmin):
    form = SlackAppForm
    list_display = [
        "name",
        "team_id",
        "enterprise_id",
        "enabled",
        "token_hint",
        "triage_channel_id",
        "installed_at",
        "last_error",
    ]
    list_filter = ["enabled"]
    readonly_fields = [
        "is_enterprise_install",
        "bot_user_id",
        "installed_at",
        "approved_at",
        "bot_token_expires_at",
        "last_error",
        "last_error_at",
        "catch_up_not_before",
    ]
    inlines = [SlackChannelInline, SlackUserInline]
    actions = ["approve", "send_test_message"]

    @admin.action(description="Approve: events kept and replies posted", permissions=["change"])
    def approve(self, request, queryset):
        waiting = queryset.filter(enabled=False)
        names = [str(app) for app in waiting]
        waiting.update(enabled=True, approved_at=timezone.now())
        if names:
            self.message_user(request, "Approved: " + ", ".join(names), messages.SUCCESS)
        else:
            self.message_user(request, "Those workspaces were enabled already.", messages.INFO)

    @admin.display(description="bot token")
    def token_hint(self, obj):
        return masked(obj.bot_token)

    change_form_template = "admin/slackapp/slackapp/change_form.html"

    @admin.action(description="Send a test message", permissions=["change"])
    def send_test_message(self, request, queryset):
        for app in queryset:
            self._test(request, app)

    def _test(self, request, app: SlackApp) -> None:
        from slackapp.services import send_test_message
        from slackapp.web import SlackFailure

        try:
            lines = send_test_message(app)
        except SlackFailure as failure:
            self.message_user(request, f"{app}: {failure.message}", messages.ERROR)
            return
        self.message_user(request, f"{app}: " + "; ".join(lines), messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<int:pk>/test/",
                self.admin_site.admin_view(self.test_view),
                name="slackapp_slackapp_test",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request, pk):
        """The change page's "Send a test message" button (a POST: it posts to Slack for real)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        app = get_object_or_404(SlackApp, pk=pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._test(request, app)
        return redirect("admin:slackapp_slackapp_change", app.pk)


@admin.register(SlackEvent)
class SlackEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "kind", "channel_id", "ts", "status", "note", "repeats"]
    list_filter = ["status", "kind"]
    search_fields = ["event_id", "channel_id", "ts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SlackMessage)
class SlackMessageAdmin(admin.ModelAdmin):
    """Every Slack message seen once by (workspace, channel, ts); pending ones wait for their
    thread's first message."""

    list_display = ["ts", "channel_id", "thread_ts", "status", "via", "note", "seen_at"]
    list_filter = ["status", "via"]
    search_fields = ["channel_id", "ts", "thread_ts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SlackPost)
class SlackPostAdmin(admin.ModelAdmin):
    list_display = ["message", "channel_id", "thread_ts", "status", "attempts", "last_error"]
    list_filter = ["status"]
    list_select_related = ["message"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
