"""Who a person is: the zone they read times in, whether they manage the desk, their e-mail."""

import pytest
from django.test import override_settings

from accounts.models import AgentProfile, Contact, normalise_email
from accounts.roles import is_manager
from accounts.selectors import viewer_zone

pytestmark = pytest.mark.django_db


def test_a_person_reads_times_in_the_zone_of_their_profile(agent):
    AgentProfile.objects.update_or_create(user=agent, defaults={"time_zone": "Asia/Tokyo"})
    assert viewer_zone(agent) == "Asia/Tokyo"


@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_person_without_a_profile_reads_times_in_the_site_zone(agent):
    AgentProfile.objects.filter(user=agent).delete()
    assert viewer_zone(agent) == "Europe/Berlin"


def test_managers_and_superusers_manage_the_desk_agents_do_not(manager, agent, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")
    assert is_manager(manager) and is_manager(root)
    assert not is_manager(agent)


def test_an_email_is_kept_trimmed_and_lower_case():
    assert normalise_email("  Ana.Lopez@Example.COM ") == "ana.lopez@example.com"


def test_a_contact_saved_with_a_mixed_case_email_is_found_by_its_lower_case_form():
    Contact.objects.create(email=" Ana@Example.com", name="Ana")
    assert Contact.objects.filter(email=normalise_email("ANA@example.com")).exists()
