import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def test_managers_may_change_the_sla_configuration(manager):
    assert manager.has_perm("policies.change_slapolicy")
    assert manager.has_perm("policies.add_calendar")
    assert manager.has_perm("accounts.change_account")


def test_agents_may_read_but_not_change_the_configuration(agent):
    assert agent.has_perm("policies.view_slapolicy")
    assert not agent.has_perm("policies.change_slapolicy")
    assert not agent.has_perm("policies.delete_tier")


def test_both_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Managers", "Agents"}


def test_managers_hold_no_permission_of_the_machinery_credentials_or_roles():
    from accounts.roles import MANAGER_PERMISSIONS, SUPERUSER_ONLY_APPS

    managers = Group.objects.get(name="Managers")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in managers.permissions.all()}
    assert not {p for p in held if p.split(".")[0] in SUPERUSER_ONLY_APPS}
    assert held.isdisjoint(
        {"auth.add_group", "auth.change_group", "auth.delete_group", "auth.delete_user"}
    )
    assert not {p for p in held if p.startswith("auth.") and p.endswith("_permission")}
    assert held == MANAGER_PERMISSIONS


def test_agents_hold_exactly_their_allow_list():
    from accounts.roles import AGENT_PERMISSIONS

    agents = Group.objects.get(name="Agents")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in agents.permissions.all()}
    assert held == AGENT_PERMISSIONS


def test_every_permission_the_roles_name_exists():
    """A misspelt or renamed permission would silently grant nothing."""
    from django.contrib.auth.models import Permission

    from accounts.roles import ROLE_PERMISSIONS

    existing = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    for role, allowed in ROLE_PERMISSIONS.items():
        assert allowed <= existing, (role, sorted(allowed - existing))


def test_migrate_takes_back_permissions_an_older_version_granted():
    from django.contrib.auth.models import Permission
    from django.core.management.sql import emit_post_migrate_signal

    managers = Group.objects.get(name="Managers")
    dangerous = ["change_group", "add_schedule", "view_schedule", "view_token"]
    managers.permissions.add(*Permission.objects.filter(codename__in=dangerous))
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    left = set(managers.permissions.values_list("codename", flat=True))
    assert left.isdisjoint(dangerous)
