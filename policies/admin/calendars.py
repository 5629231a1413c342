"""Calendars: weekly opening hours, special days and holidays, their preview and what-if."""

from datetime import date

from django.contrib import admin
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import path

from policies import calendar_forms
from policies.admin.helpers import HH_MM, viewer_zone
from policies.admin.preview import preview_response
from policies.models import Calendar, Holiday, SpecialDay, describe_interval
from policies.selectors import week_open_time
from policies.services import HolidayImportError, calendar_days_set, holidays_import
from slaops.formatting import format_duration
from whatif.views import whatif_apply_response, whatif_response, whatif_urls


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    classes = ["collapse"]
    verbose_name_plural = "holidays (this year onwards; hours starting on these dates are closed)"
    fields = ["date", "name", "source"]
    readonly_fields = ["source"]

    def get_queryset(self, request):
        # Long imported ranges stay usable: show this year onwards, older ones are history.
        return super().get_queryset(request).filter(date__gte=date(date.today().year, 1, 1))


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    formfield_overrides = HH_MM
    verbose_name_plural = "special days (their hours replace the week's; no hours = closed)"
    formset = calendar_forms.SpecialDayFormSet
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "weekly_hours", "week_open_time", "upcoming_holidays"]
    search_fields = ["name", "time_zone"]
    list_filter = ["time_zone"]
    form = calendar_forms.CalendarForm
    fieldsets = [
        (None, {"fields": ["name", "time_zone", "description"]}),
        (
            "Weekly opening hours",
            {
                "fields": [f"hours_{day}" for day in range(7)],
                "classes": ["week-editor"],
                "description": "One line per day, in the calendar's time zone: 09:00–17:00; "
                "several intervals separated by commas (09:00–12:00, 13:00–17:00); 22:00–06:00 "
                "runs past midnight; “all day” for 24 hours; “closed” or empty for none.",
            },
        ),
    ]
    inlines = [SpecialDayInline, HolidayInline]
    actions = ["import_holidays"]
    change_form_template = "admin/policies/calendar/change_form.html"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The week's hours through the service the what-if page applies drafts with.
        calendar_days_set(calendar_id=form.instance.pk, weekly=form.cleaned_data["weekly"])

    def get_changeform_initial_data(self, request):
        # A new calendar starts in the zone its author reads times in.
        return {"time_zone": viewer_zone(request), **super().get_changeform_initial_data(request)}

    def get_queryset(self, request):
        # One query per column, whatever the number of calendars on the page.
        upcoming = Holiday.objects.filter(date__gte=date.today()).order_by("date")[:3]
        return (
            super()
            .get_queryset(request)
            .prefetch_related("hours", Prefetch("holidays", upcoming, to_attr="upcoming"))
        )

    @admin.display(description="opening hours")
    def weekly_hours(self, obj):
        by_day = {}
        for hours in obj.hours.all():
            by_day.setdefault(hours.weekday, []).append(
                describe_interval(hours.opens, hours.closes)
            )
        days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return "; ".join(f"{days[d]} {', '.join(spans)}" for d, spans in sorted(by_day.items()))

    @admin.display(description="open per week")
    def week_open_time(self, obj):
        return format_duration(week_open_time(obj))

    @admin.display(description="next holidays")
    def upcoming_holidays(self, obj):
        return ", ".join(f"{h.date:%d %b} {h.name}" for h in obj.upcoming) or "—"

    @admin.action(description="Import public holidays…")
    def import_holidays(self, request, queryset):
        form = calendar_forms.HolidayImportForm(
            request.POST if "apply" in request.POST else None,
            initial={"first_year": date.today().year, "last_year": date.today().year + 2},
        )
        if "apply" in request.POST and form.is_valid():
            data = form.cleaned_data
            try:
                for calendar in queryset:
                    added = holidays_import(
                        calendar=calendar,
                        country=data["country"],
                        subdivision=data["subdivision"],
                        years=range(data["first_year"], data["last_year"] + 1),
                    )
                    self.message_user(request, f"{calendar.name}: {added} holidays added.")
            except HolidayImportError as error:
                form.add_error(None, str(error))
            else:
                return None
        return render(
            request,
            "admin/policies/calendar/import_holidays.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import public holidays",
                "form": form,
                "calendars": queryset,
                "opts": self.model._meta,
                "action": "import_holidays",
            },
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="policies_calendar_preview",
            ),
            *whatif_urls(self, "policies_calendar"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        calendar = get_object_or_404(Calendar, pk=pk)
        return preview_response(self, request, calendar=calendar)

    def whatif_view(self, request, pk, run=None):
        return whatif_response(self, request, calendar=get_object_or_404(Calendar, pk=pk), run=run)

    def whatif_apply_view(self, request, pk, run):
        calendar = get_object_or_404(Calendar, pk=pk)
        return whatif_apply_response(self, request, calendar=calendar, run=run)
