"""Small helpers the admin screens share."""

from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models

from accounts.selectors import viewer_zone as person_zone


def viewer_zone(request) -> str:
    """The zone the person behind `request` reads times in (accounts.selectors.viewer_zone)."""
    return person_zone(request.user)


HH_MM = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}


class InViewerZone:
    """A ModelAdmin mixin: its list and change pages show times in the zone of the person
    reading them, as the agents' pages do. The response is rendered inside the zone because
    TemplateResponses otherwise render after the view has returned."""

    def _in_zone(self, request, view, *args, **kwargs):
        from django.utils import timezone

        with timezone.override(viewer_zone(request)):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    def changelist_view(self, request, extra_context=None):
        return self._in_zone(request, super().changelist_view, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._in_zone(request, super().change_view, object_id, form_url, extra_context)


def local_time(value) -> str:
    """An instant in the zone the page is shown in (see InViewerZone), with the zone's name."""
    from django.utils import timezone

    from policies.templatetags.slaops_time import in_zone

    return in_zone(value, timezone.get_current_timezone_name()) if value else "—"


def plural(count: int, one: str, many: str) -> str:
    """The noun for `count` things: "1 policy", "2 policies" (the admin's messages count)."""
    return one if count == 1 else many


def counted(count: int, one: str, many: str) -> str:
    return f"{count} {plural(count, one, many)}"


def priority_order(field: str = "priority"):
    """Urgent, High, Normal, Low, then "any priority": the order a manager reads targets in
    (the stored values sort alphabetically: High, Low, Normal, Urgent)."""
    from django.db.models import Case, IntegerField, Value, When

    from policies.vocabulary import Priority

    return Case(
        *(When(**{field: value}, then=Value(rank)) for rank, value in enumerate(Priority.values)),
        default=Value(len(Priority.values)),
        output_field=IntegerField(),
    )


def targets_in_order(queryset):
    return queryset.order_by("metric", priority_order(), "id")


class InlinesCheckedTogether:
    """A ModelAdmin mixin: each inline formset sees the page's others (`formset.siblings`), so
    targets and warnings are validated together (a warning must fit inside the targets)."""

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        for formset in formsets:
            formset.siblings = formsets
        return formsets, inline_instances


def targets_summary(owner):
    """A policy's or a team's targets, one line each: "First response (Urgent): 30m"."""
    from django.utils.html import format_html_join

    from slaops.formatting import format_duration

    return format_html_join(
        "",
        "<div>{}: <strong>{}</strong></div>",
        (
            (
                t.get_metric_display() + (f" ({t.get_priority_display()})" if t.priority else ""),
                format_duration(t.duration),
            )
            for t in owner.targets.all()
        ),
    )
