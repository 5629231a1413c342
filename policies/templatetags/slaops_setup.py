"""The getting-started checklist of the admin index (policies/admin/setup.py)."""

from django import template

register = template.Library()


@register.inclusion_tag("admin/setup_checklist.html", takes_context=True)
def setup_checklist(context):
    from policies.admin.setup import setup_steps

    request = context["request"]
    if not request.user.has_perm("policies.change_slapolicy"):
        return {"steps": []}
    steps = setup_steps(request)
    return {"steps": steps, "left": sum(not s.done for s in steps)}
