"""Template filters that show instants in a given zone and durations in a manager's words."""

import zoneinfo
from datetime import datetime, timedelta

from django import template

from slaops.formatting import format_duration

register = template.Library()


@register.filter
def in_zone(value: datetime | None, zone: str | None) -> str:
    """ "Mon 07 Dec 2026 09:30 CET" for an aware datetime read in `zone`."""
    if value is None:
        return "—"
    local = value.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value)
