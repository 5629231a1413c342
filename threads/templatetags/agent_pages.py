"""What every agent page's header shows (the notification bell and the links a person may use),
and the clock times the agents' pages print in people's words."""

import zoneinfo
from datetime import datetime, timedelta

from django import template
from django.conf import settings
from django.utils import timezone

from accounts.roles import is_manager
from slaops.formatting import format_duration
from threads.pages import back, clock_names, held
from threads.pages.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def agent_nav(context) -> dict:
    """{% agent_nav as nav %}: unread notifications, and whether to link reports and the admin."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {"unread": 0, "reports": False, "admin": False, "objectives": False}
    return {
        "unread": unread_count(user),
        "live_seconds": settings.SLA_LIVE_REFRESH_SECONDS,
        "reports": is_manager(user),
        "objectives": user.has_perm("objectives.view_objective"),
        # Staff with at least one permission in the admin (the admin refuses the others).
        "admin": user.is_active and user.is_staff and bool(user.get_all_permissions()),
    }


@register.simple_tag(takes_context=True)
def thread_from(context, thread_id: int, page: str) -> str:
    """{% thread_from thread.pk "inbox" %}: the thread's address with the way back to this list
    as it is shown now (its filters, search, sort and page: `full_query`)."""
    return back.link_to_thread(thread_id, page, context.get("full_query", ""))


@register.filter
def people_external_id(thread) -> str:
    """The external id where a person would use it; "" for a channel's own key (registry)."""
    from threads.replies.registry import external_id_shown

    return external_id_shown(thread)


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


@register.filter
def time_left(left: timedelta | None) -> str:
    """Time left as people read it: "2h 05m", "45s" in the last minute, "due now" at the due
    instant (never "0m" beside "Breaching"), then counting up overdue: "−20s", "−3m"."""
    if left is None:
        return "—"
    seconds = int(left.total_seconds())  # toward zero: 59.9 s left is "59s"
    if seconds == 0:
        return "due now"
    if -60 < seconds < 60:
        return f"{seconds}s" if seconds > 0 else f"−{-seconds}s"
    return format_duration(left)


@register.filter
def resumes_text(resumes_at: datetime | None, zone: str | None) -> str:
    """ "outside business hours · resumes Mon 09:00" for a clock frozen while its calendar is
    closed, the reopening read in `zone`; the date too when it is more than six days away."""
    if resumes_at is None:
        return ""
    tz = zoneinfo.ZoneInfo(zone or "UTC")
    local = resumes_at.astimezone(tz)
    soon = local - timezone.now().astimezone(tz) < timedelta(days=6)
    when = f"{local:%a %H:%M}" if soon else f"{local:%a %d %b %H:%M}"
    return f"outside business hours · resumes {when}"


@register.filter
def clock_name(clock) -> str:
    """ "Team response — Tier 2", "Periodic update, cycle 3", "First response"."""
    return clock_names.clock_name(clock)


@register.filter
def badge_name(clock) -> str:
    """ "Tier 2 response" for a team's clock in the inbox badge, else the metric."""
    return clock_names.badge_name(clock)


@register.filter
def held_bar(row) -> str:
    """The thread page's bar of who held a clock's time, with its legend (pages.held)."""
    return held.held_bar(row.held, clock_names.clock_name(row.clock))
