"""The roles of SLA Ops: superusers operate the server, Managers configure, Agents work threads.

Managers and Agents are Django groups whose permissions are an explicit allow-list, written again
on every migrate: a permission not named here is nobody's but the superusers', and an install
upgraded from a version that granted more loses it. Who a manager may edit, and which roles they
may hand out, is decided here too, so the admin only asks.
"""

MANAGERS = "Managers"
AGENTS = "Agents"

# The roles a manager may give or take away in the admin. Managers is not one of them: making a
# manager (like staff or superuser status, and any single permission) is a superuser's job.
GRANTABLE_BY_MANAGERS = frozenset({AGENTS})

# Apps no role gets any permission of: the server's machinery (tasks and schedules, whose
# functions run as the server's user), credentials (API keys, tokens, sessions), the lockout log
# and Django's own bookkeeping. The superusers alone see them.
SUPERUSER_ONLY_APPS = frozenset(
    {
        "admin",
        "authtoken",
        "axes",
        "contenttypes",
        "django_q",
        "integrations",
        "rest_framework_api_key",
        "sessions",
        "slackapp",  # the bot token and signing secret
    }
)


def _every(app_label: str, *models: str, actions=("add", "change", "delete", "view")) -> set[str]:
    return {f"{app_label}.{action}_{model}" for model in models for action in actions}


# The threads and their history (history models are read-only in the admin whatever the
# permission says).
THREAD_MODELS = (
    "thread",
    "message",
    "slaclock",
    "slaevent",
    "delivery",
    "deliveryattempt",
    "notification",
)

MANAGER_PERMISSIONS = frozenset(
    {
        *_every("accounts", "account", "contact", "team", "agentprofile"),
        *_every(
            "policies",
            "tier",
            "calendar",
            "openinghours",
            "holiday",
            "specialday",
            "slapolicy",
            "slatarget",
            "warningthreshold",
            "escalationlevel",
            "notificationrule",
            "alertchannel",
            "breachreason",
            # A team's own promises (its OLA), edited on the team's page.
            "teamtarget",
            "teamwarning",
            "teamescalation",
            "teamalertrule",
        ),
        *_every("objectives", "objective", "objectiveperiod"),
        *_every("threads", *THREAD_MODELS),
        # Mailboxes (their passwords are write-only); what came in is a read-only record, what
        # went out may be retried.
        *_every("mail", "mailbox"),
        "mail.view_inboundemail",
        "mail.view_attachment",
        "mail.view_outboundemail",
        "mail.change_outboundemail",
        # People: create agents and edit them; accounts/admin.py narrows which users and fields.
        # Never add_group/change_group (a role's permissions), delete_user or any permission
        # model: those are a superuser's.
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
    }
)

AGENT_PERMISSIONS = frozenset(
    {
        "accounts.view_account",
        "accounts.view_contact",
        "accounts.view_team",
        "policies.view_slapolicy",
        "policies.view_tier",
        "policies.view_calendar",
        "policies.view_breachreason",
        "objectives.view_objective",
        "objectives.view_objectiveperiod",
        *_every("threads", *THREAD_MODELS, actions=("add", "change", "view")),
    }
)

ROLE_PERMISSIONS = {MANAGERS: MANAGER_PERMISSIONS, AGENTS: AGENT_PERMISSIONS}


def sync_role_groups(apps=None) -> None:
    """Give each role group exactly its allow-list (permissions of models not installed, such as
    those of a removed app, are skipped)."""
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for name, allowed in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([by_name[p] for p in sorted(allowed) if p in by_name])


def sync_role_groups_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps  # `flush` (transactional tests) sends no app registry
    # Permissions are normally created app by app after migrate; create them all first so the
    # groups see models of apps that come after this one.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    sync_role_groups(apps)


def is_manager(user) -> bool:
    """Whether the person manages the desk: in the Managers role, or a superuser."""
    return user.is_superuser or user.groups.filter(name=MANAGERS).exists()


def may_edit_user(actor, target) -> bool:
    """May `actor`, who holds auth.change_user, change `target` (name, e-mail, active flag,
    password, roles, profile)?

    A superuser may edit anyone. A manager may edit only people who hold nothing a manager could
    not give them: not a superuser, no single permissions, no role but the grantable ones. So a
    manager never edits another manager (themselves included: their own name and profile are
    `may_edit_own_details`) or a superuser, nor takes over an account worth more than their own
    by resetting its password."""
    if actor.is_superuser:
        return True
    if target.is_superuser or target.pk == actor.pk:
        return False
    if target.user_permissions.exists():
        return False
    return not target.groups.exclude(name__in=GRANTABLE_BY_MANAGERS).exists()


def may_edit_own_details(actor, target) -> bool:
    """Everyone who may use the user admin may change their own name, e-mail and time zone;
    never their own roles, status or password (the admin's "Change password" asks for the old
    one)."""
    return target.pk == actor.pk


def grantable_groups(actor):
    """The groups `actor` may put a person in or take them out of."""
    from django.contrib.auth.models import Group

    if actor.is_superuser:
        return Group.objects.all()
    return Group.objects.filter(name__in=GRANTABLE_BY_MANAGERS)
