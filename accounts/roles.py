"""The two roles of SLA Ops as Django groups: Managers configure, Agents work threads.

Kept in sync on every migrate so permissions of models added later reach the groups too.
"""

MANAGERS = "Managers"
AGENTS = "Agents"

# app label -> actions; "*" = every permission of the app.
MANAGER_PERMISSIONS = {
    "accounts": "*",
    "policies": "*",
    "threads": "*",
    "authtoken": "*",
    "auth": {"view_user", "add_user", "change_user", "view_group"},
    "django_q": {"view_schedule", "view_success", "view_failure", "view_ormq"},
}
AGENT_PERMISSIONS = {
    "accounts": {"view_account", "view_contact", "view_team"},
    "policies": {"view_slapolicy", "view_tier", "view_calendar"},
    "threads": "*view|change|add",
}


def _wanted(permission, spec) -> bool:
    rule = spec.get(permission.content_type.app_label)
    if rule is None:
        return False
    if rule == "*":
        return True
    if isinstance(rule, str) and rule.startswith("*"):
        return permission.codename.split("_", 1)[0] in rule[1:].split("|")
    return permission.codename in rule


def sync_role_groups(apps=None) -> None:
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.select_related("content_type"))
    for name, spec in ((MANAGERS, MANAGER_PERMISSIONS), (AGENTS, AGENT_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([p for p in permissions if _wanted(p, spec)])


def sync_role_groups_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps  # `flush` (transactional tests) sends no app registry
    # Permissions are normally created app by app after migrate; create them all first so the
    # groups see models of apps that come after this one.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    sync_role_groups(apps)
