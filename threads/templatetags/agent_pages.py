"""What every agent page's header shows: the notification bell and the links a person may use."""

import zoneinfo
from datetime import datetime

from django import template
from django.utils import timezone

from accounts.roles import is_manager
from threads.pages.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def agent_nav(context) -> dict:
    """{% agent_nav as nav %}: unread notifications, and whether to link reports and the admin."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {"unread": 0, "reports": False, "admin": False}
    return {
        "unread": unread_count(user),
        "reports": is_manager(user),
        # Staff with at least one permission in the admin (the admin refuses the others).
        "admin": user.is_active and user.is_staff and bool(user.get_all_permissions()),
    }


@register.filter
def short_in_zone(value: datetime | None, zone: str | None) -> str:
    """ "Mon 30 Nov 09:30" read in `zone` (the year only when it is not this one), for tables
    whose heading names the zone; `in_zone` gives the full form for a title attribute."""
    if value is None:
        return "—"
    tz = zoneinfo.ZoneInfo(zone or "UTC")
    local = value.astimezone(tz)
    if local.year != timezone.now().astimezone(tz).year:
        return f"{local:%a %d %b %Y %H:%M}"
    return f"{local:%a %d %b %H:%M}"
