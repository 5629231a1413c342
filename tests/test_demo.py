"""`manage.py seed_demo`: a first look with realistic configuration, safe to run twice."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Account
from policies.models import Calendar, Holiday, SlaPolicy, Tier

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    counts = [m.objects.count() for m in (Calendar, Holiday, SlaPolicy, Tier, Account)]
    call_command("seed_demo")
    assert [m.objects.count() for m in (Calendar, Holiday, SlaPolicy, Tier, Account)] == counts
    assert "nothing changed" in capsys.readouterr().out


def test_demo_has_calendars_with_holidays_tiers_and_policies():
    call_command("seed_demo")
    berlin = Calendar.objects.get(name="Berlin office")
    assert berlin.time_zone == "Europe/Berlin"
    assert berlin.holidays.filter(date__month=12, date__day=25).exists()
    assert (
        Calendar.objects.get(name="New York office")
        .holidays.filter(date__month=7, date__day=4)
        .exists()
    )
    assert list(Tier.objects.values_list("name", flat=True)) == ["Enterprise", "Standard", "Free"]
    assert Tier.objects.get(is_default=True).name == "Free"
    assert SlaPolicy.objects.filter(active=True).count() == 4
    assert Account.objects.filter(tier__isnull=True).exists()  # falls back to the default tier


def test_demo_manager_can_log_in_to_the_admin(client):
    call_command("seed_demo")
    assert client.login(username="manager", password="slaops-manager")
    assert client.get(reverse("admin:policies_slapolicy_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_account_changelist")).status_code == 200


def test_demo_agent_exists_but_cannot_change_configuration(client):
    call_command("seed_demo")
    assert client.login(username="agent", password="slaops-agent")
    response = client.get(reverse("admin:policies_slapolicy_changelist"))
    assert response.status_code == 302  # not staff: sent to the login page
