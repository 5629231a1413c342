"""Threads, clocks and events in the admin: read the history; change through the services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Min, Q

from policies.admin.helpers import counted
from slaops.formatting import format_duration
from threads import (
    delivery_admin,  # noqa: F401  (registers the outbox's pages)
    services,
)
from threads.admin_history import HistoryAdmin, ReadOnlyInline
from threads.clocks.measure import used_at
from threads.models import (
    RUNNING_STATES,
    Message,
    Notification,
    SlaClock,
    SlaEvent,
    Thread,
)


class MessageInline(ReadOnlyInline):
    model = Message
    fields = [
        "created_at",
        "author_kind",
        "author_user",
        "public",
        "automatic",
        "needs_reply",
        "body",
    ]
    readonly_fields = fields


class ClockInline(ReadOnlyInline):
    model = SlaClock
    fields = [
        "metric",
        "state",
        "policy",
        "target",
        "started_at",
        "warn_at",
        "due_at",
        "stopped_at",
        "paused",
        "business_time_used",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("policy", "calendar")

    @admin.display(description="target")
    def target(self, obj):
        return format_duration(obj.target_duration)

    @admin.display(description="used")
    def business_time_used(self, obj):
        from django.utils import timezone

        return format_duration(used_at(obj, timezone.now()))


class EventInline(ReadOnlyInline):
    model = SlaEvent
    fields = ["at", "kind", "clock", "actor", "details"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("clock", "actor")


class ThreadForm(forms.ModelForm):
    reason = forms.CharField(
        required=False,
        help_text="Why this changes; kept in the history. Required for statuses that pause "
        "resolution time.",
    )

    class Meta:
        model = Thread
        fields = ["priority", "channel", "status", "team", "assignee"]

    def clean(self):
        data = super().clean()
        policy = self.instance.policy
        status = data.get("status")
        if (
            policy
            and status != self.instance.status
            and status in policy.pause_statuses
            and not (data.get("reason") or "").strip()
        ):
            self.add_error(
                "reason",
                "Say why: this status pauses resolution time; the reason is kept in the history.",
            )
        return data


class NextDueFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("breaching", "Breaching"),
            ("imminent", "Imminent breach"),
            ("running", "Any running clock"),
            ("none", "No SLA policy"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "breaching":
            return queryset.filter(clocks__state="breaching").distinct()
        if value == "imminent":
            return queryset.filter(clocks__state="imminent_breach").distinct()
        if value == "running":
            return queryset.filter(clocks__state__in=RUNNING_STATES).distinct()
        if value == "none":
            return queryset.filter(policy__isnull=True)
        return queryset


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    form = ThreadForm
    list_display = [
        "id",
        "subject",
        "account",
        "tier",
        "priority",
        "status",
        "policy",
        "next_due",
        "assignee",
    ]
    list_display_links = ["id", "subject"]
    list_filter = [NextDueFilter, "status", "priority", "channel", "policy", "tier", "team"]
    list_select_related = ["account", "tier", "policy", "assignee"]
    search_fields = ["subject", "external_id", "account__name", "contact__email"]
    autocomplete_fields = ["team", "assignee"]
    readonly_fields = [
        "subject",
        "account",
        "contact",
        "tier",
        "policy_or_none",
        "source",
        "external_id",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "subject",
                    "account",
                    "contact",
                    "tier",
                    "policy_or_none",
                    "source",
                    "external_id",
                    "created_at",
                ]
            },
        ),
        (
            "Change (through the same rules as the API)",
            {"fields": ["priority", "channel", "status", "reason", "team", "assignee"]},
        ),
    ]
    inlines = [ClockInline, MessageInline, EventInline]
    actions = ["resolve", "mark_no_reply_needed"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(next_due_at=Min("clocks__due_at", filter=Q(clocks__state__in=RUNNING_STATES)))
        )

    def has_add_permission(self, request):
        return False  # threads arrive through the API, the pages or an import

    @admin.display(description="next due", ordering="next_due_at")
    def next_due(self, obj):
        return obj.next_due_at or "—"

    @admin.display(description="SLA policy")
    def policy_or_none(self, obj):
        return obj.policy or "No SLA policy matches this thread: it has no clocks."

    def save_model(self, request, obj, form, change):
        # Route every change through the services so clocks and history follow.
        original = Thread.objects.get(pk=obj.pk)
        data = form.cleaned_data
        updates = {
            name: data[name]
            for name in ("priority", "channel", "team", "assignee")
            if getattr(original, f"{name}_id" if name in ("team", "assignee") else name)
            != (data[name].pk if hasattr(data[name], "pk") else data[name])
        }
        services.thread_change(
            thread=obj.pk,
            status=data["status"] if data["status"] != original.status else None,
            reason=data["reason"].strip(),
            actor=request.user,
            **updates,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ThreadError as error:
            self.message_user(request, f"{error.field}: {error.message}", messages.ERROR)
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)

    @admin.action(description="Resolve the selected threads")
    def resolve(self, request, queryset):
        for thread in queryset:
            services.thread_resolve(thread=thread.pk, actor=request.user)
        self.message_user(request, f"{counted(queryset.count(), 'thread', 'threads')} resolved.")

    @admin.action(
        description="Mark “no reply needed” (cancels running response clocks with time left; "
        "past due ones stop as breached)"
    )
    def mark_no_reply_needed(self, request, queryset):
        for thread in queryset:
            services.thread_mark_no_reply_needed(thread=thread.pk, actor=request.user)
        self.message_user(request, f"{counted(queryset.count(), 'thread', 'threads')} marked.")


@admin.register(SlaClock)
class SlaClockAdmin(HistoryAdmin):
    list_display = [
        "id",
        "thread",
        "metric",
        "state",
        "policy",
        "started_at",
        "due_at",
        "stopped_at",
        "paused",
    ]
    list_filter = ["state", "metric", "paused", "policy"]
    list_select_related = ["thread", "policy"]
    search_fields = ["thread__subject"]
    date_hierarchy = "started_at"


@admin.register(SlaEvent)
class SlaEventAdmin(HistoryAdmin):
    list_display = ["at", "kind", "thread", "clock", "actor", "historical"]
    list_filter = ["kind", "historical"]
    list_select_related = ["thread", "clock", "actor"]
    search_fields = ["thread__subject"]
    date_hierarchy = "at"


@admin.register(Notification)
class NotificationAdmin(HistoryAdmin):
    list_display = ["created_at", "user", "title", "thread", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "thread"]
    search_fields = ["title", "user__username"]
    date_hierarchy = "created_at"
