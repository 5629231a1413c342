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
