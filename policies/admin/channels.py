"""Alert channels: where alerts go besides people (e-mail addresses, Slack, webhooks)."""

from urllib.parse import urlparse

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path

from policies import forms as policy_forms
from policies.admin.helpers import InViewerZone, counted, local_time
from policies.admin.setup import TEST_ALERT_SENT
from policies.alert_kinds import TRANSPORTS, pagerduty_url
from policies.models import AlertChannel
from policies.secret_fields import masked


@admin.register(AlertChannel)
class AlertChannelAdmin(InViewerZone, admin.ModelAdmin):
    form = policy_forms.AlertChannelForm
    list_display = [
        "name",
        "kind",
        "destination",
        "enabled",
        "operator_alerts",
        "disabled_reason",
        "disabled_when",
    ]
    list_filter = ["kind", "enabled", "operator_alerts"]
    # Not the URL: searching it would let anyone guess a Slack webhook's token letter by letter.
    search_fields = ["name", "addresses"]
    readonly_fields = ["disabled_reason", "disabled_when"]
    fields = [
        "name",
        "kind",
        "addresses",
        "url",
        "secret",
        "enabled",
        "operator_alerts",
        *readonly_fields,
    ]
    actions = ["send_test_alert", "enable_again"]
    change_form_template = "admin/policies/alertchannel/change_form.html"

    @admin.display(description="sends to")
    def destination(self, obj):
        if obj.kind == AlertChannel.Kind.EMAIL:
            return ", ".join(obj.address_list())
        declared = TRANSPORTS.get(obj.kind)
        if declared and declared.secret == "url":
            # A Slack or Teams webhook URL is its own password: show where, not the token.
            return f"{urlparse(obj.url).hostname or '?'}/…" if obj.url else ""
        if obj.kind == AlertChannel.Kind.PAGERDUTY:
            return pagerduty_url(obj)
        return obj.url

    @admin.display(description="disabled at", ordering="disabled_at")
    def disabled_when(self, obj):
        """In the zone of the manager reading it (InViewerZone), as every other time."""
        return local_time(obj.disabled_at) if obj and obj.disabled_at else "—"

    @admin.display(description="signing secret")
    def secret_hint(self, obj):
        return masked(obj.secret) if obj else ""

    def _view_only(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if not self._view_only(request, obj):
            if obj is None or not obj.disabled_reason:  # why it was disabled, only if it was
                return [name for name in self.fields if name not in self.readonly_fields]
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
        for channel in queryset:
            self._test(request, channel)

    def _test(self, request, channel) -> bool:
        """Send a sample alert through the delivery code and say in plain words how it went."""
        from threads.alerting.delivery import send_test_alert
        from threads.alerting.wording import plain_error

        results = send_test_alert(channel=channel)
        url = pagerduty_url(channel) if channel.kind == AlertChannel.Kind.PAGERDUTY else channel.url
        detail = "; ".join(
            (f"{r.recipient}: " if channel.kind == AlertChannel.Kind.EMAIL else "")
            + (r.message if r.ok else plain_error(r.message, url=url))
            for r in results
        )
        if any(not r.ok for r in results):
            if any(r.would_disable for r in results):
                detail += (
                    " A real alert failing like this would disable the channel; this test "
                    "leaves it " + ("enabled." if channel.enabled else "as it is (disabled).")
                )
            self.message_user(
                request, f"{channel.name}: test alert failed: {detail}", messages.ERROR
            )
            return False
        self.message_user(request, f"{channel.name}: test alert sent ({detail}).")
        # Kept in the channel's history; it also ticks the index's "Send a test alert" step.
        self.log_change(request, channel, f"{TEST_ALERT_SENT}: {detail}")
        return True

    def get_urls(self):
        return [
            path(
                "<int:pk>/test/",
                self.admin_site.admin_view(self.test_view),
                name="policies_alertchannel_test",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request, pk):
        """The "Send a test alert" button of the channel page (a POST; it sends for real)."""
        channel = get_object_or_404(AlertChannel, pk=pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        self._test(request, channel)
        return redirect("admin:policies_alertchannel_change", channel.pk)

    @admin.action(description="Enable again (clears why it was disabled)", permissions=["change"])
    def enable_again(self, request, queryset):
        from threads.alerting.delivery import channel_enable

        for channel in queryset:
            channel_enable(channel)
        self.message_user(
            request,
            f"{counted(queryset.count(), 'channel', 'channels')} enabled; new alerts go to them "
            "again.",
        )
