"""Deliveries in the admin: whom each alert went to by name, its thread, times in the reader's
zone, and what went wrong in plain words with the raw detail one click away."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from policies.admin.helpers import InViewerZone, local_time, plural
from threads.admin_history import HistoryAdmin, ReadOnlyInline
from threads.alerting.wording import destination_url, plain_error, recipient_name
from threads.models import Delivery, DeliveryAttempt


def error_cell(error: str, delivery):
    """A delivery error in plain words, the raw detail one click away."""
    raw = " ".join(error.split())
    if not raw:
        return "—"
    plain = plain_error(raw, url=destination_url(delivery))
    if plain == raw:
        return raw
    return format_html(
        '<details class="raw-error"><summary>{}</summary><code>{}</code></details>', plain, raw
    )


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = [
        "at",
        "ok",
        "may_be_repeat",
        "permanent",
        "response_code",
        "what_went_wrong",
        "duration_ms",
        "next_attempt_at",
    ]
    readonly_fields = fields
    verbose_name = "attempt"
    verbose_name_plural = "delivery log"

    @admin.display(description="what went wrong")
    def what_went_wrong(self, obj):
        return error_cell(obj.error, obj.delivery)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("delivery__channel")


@admin.register(Delivery)
class DeliveryAdmin(InViewerZone, HistoryAdmin):
    # Narrow enough for a laptop beside the filters: the answer's code is in the error and
    # the delivery log.
    list_display = [
        "created",
        "kind",
        "to",
        "thread_link",
        "state",
        "next_attempt",
        "what_went_wrong",
    ]
    list_filter = ["status", "kind", "channel", "held_for_quiet_hours"]
    list_select_related = [
        "channel",
        "user",
        "event__thread__assignee",
        "objective_event__objective",
    ]
    search_fields = [
        "recipient",
        "channel__name",
        "event__thread__subject",
        "objective_event__objective__name",
    ]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now"]
    fields = [
        "to",
        "kind",
        "thread_link",
        "status",
        "attempts",
        "created",
        "next_attempt",
        "sent",
        "held_for_quiet_hours",
        "response_code",
        "what_went_wrong",
    ]
    readonly_fields = fields

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return local_time(obj.created_at)

    @admin.display(description="status", ordering="status")
    def state(self, obj):
        tries = f"{obj.attempts} {plural(obj.attempts, 'attempt', 'attempts')}"
        return f"{obj.get_status_display()} · {tries}" if obj.attempts else obj.get_status_display()

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, obj):
        waiting = obj.status in (Delivery.Status.PENDING, Delivery.Status.RETRYING)
        return local_time(obj.next_attempt_at) if waiting else "—"

    @admin.display(description="sent")
    def sent(self, obj):
        return local_time(obj.sent_at)

    @admin.display(description="to", ordering="recipient")
    def to(self, obj):
        return recipient_name(obj)

    @admin.display(description="thread or objective", ordering="event__thread_id")
    def thread_link(self, obj):
        if obj.objective_event_id:
            objective = obj.objective_event.objective
            url = reverse("admin:objectives_objective_change", args=[objective.pk])
            return format_html('<a href="{}">Objective: {}</a>', url, objective.name[:60])
        thread = obj.event.thread if obj.event_id else None
        if thread is None:
            return "—"
        url = reverse("admin:threads_thread_change", args=[thread.pk])
        return format_html('<a href="{}">#{} {}</a>', url, thread.pk, thread.subject[:60])

    @admin.display(description="what went wrong")
    def what_went_wrong(self, obj):
        return error_cell(obj.last_error, obj)

    @admin.action(description="Retry now (dead or retrying deliveries)", permissions=["retry"])
    def retry_now(self, request, queryset):
        from threads.alerting.delivery import deliveries_retry_now

        count = deliveries_retry_now(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"{count} {plural(count, 'delivery', 'deliveries')} queued to be sent at the next "
            "delivery run; sent and pending ones were left alone.",
        )

    def has_retry_permission(self, request):
        return request.user.has_perm("threads.change_delivery")
