"""{% alerts_banner %}: the red "Alerts are not going out" banner (slaops/health/banner.py),
for signed-in staff and agents only."""

from django import template

from slaops.health.banner import banner_text

register = template.Library()


def may_see(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.has_perm("threads.view_thread")


@register.inclusion_tag("health/_banner.html", takes_context=True)
def alerts_banner(context) -> dict:
    return {"text": banner_text() if may_see(context.get("user")) else ""}
