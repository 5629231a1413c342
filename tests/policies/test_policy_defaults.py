"""A new policy starts from the documented defaults (docs/rules.md, "Pauses"): both waits pause
resolution, a customer's reply ends *waiting on customer* and only flags *on hold*. Existing
policies are never rewritten; a manager sees those that differ."""

import html
import re

import pytest
from django.urls import reverse

from policies.models import SlaPolicy

pytestmark = pytest.mark.django_db


def ticked(page: str, field: str) -> set[str]:
    return set(
        re.findall(rf'<input type="checkbox" name="{field}" value="(\w+)"[^>]*checked', page)
    )


def test_a_policy_made_with_the_models_defaults_passes_its_own_validation():
    policy = SlaPolicy(name="Plain")
    policy.full_clean()  # raised "A customer's reply can only end a wait that pauses…" before
    assert policy.pause_statuses == ["waiting_on_customer", "on_hold"]
    assert policy.reply_resumes == ["waiting_on_customer"]
    assert policy.differences_from_defaults() == []


def test_the_admin_add_form_ticks_the_documented_defaults(manager_client):
    page = manager_client.get(reverse("admin:policies_slapolicy_add")).content.decode()
    assert ticked(page, "pause_statuses") == {"waiting_on_customer", "on_hold"}
    assert ticked(page, "reply_resumes") == {"waiting_on_customer"}


def test_a_policy_saved_from_the_untouched_add_form_ends_the_customers_wait(manager_client):
    form = {
        "name": "From the form",
        "active": "on",
        "order": "0",
        "pause_statuses": ["waiting_on_customer", "on_hold"],
        "reply_resumes": ["waiting_on_customer"],
    }
    for prefix, count in (("targets", 1), ("thresholds", 0), ("escalations", 0), ("rules", 0)):
        form |= {f"{prefix}-TOTAL_FORMS": str(count), f"{prefix}-INITIAL_FORMS": "0"}
    form |= {"targets-0-metric": "first_response", "targets-0-duration": "1h"}
    response = manager_client.post(reverse("admin:policies_slapolicy_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = SlaPolicy.objects.get(name="From the form")
    assert saved.reply_resumes == ["waiting_on_customer"]


def test_policies_that_differ_from_the_defaults_are_listed_not_rewritten(manager_client):
    SlaPolicy.objects.create(
        name="Opposite", pause_statuses=["waiting_on_customer"], reply_resumes=[]
    )
    SlaPolicy.objects.create(name="As documented")
    page = html.unescape(
        manager_client.get(reverse("admin:policies_slapolicy_changelist")).content.decode()
    )
    assert "1 policy differs from the documented defaults" in page
    assert "Opposite" in page and "a customer's reply only flags “waiting on customer”" in page
    note = page.split("policy-defaults", 1)[1].split("</div>", 1)[0]
    assert "As documented" not in note
    assert SlaPolicy.objects.get(name="Opposite").reply_resumes == []


def test_a_new_policy_from_the_add_form_goes_after_the_existing_ones(manager_client):
    """With order 0 it was tried first and quietly took every thread the others matched."""
    from tests.factories import policy

    policy("Enterprise")
    SlaPolicy.objects.filter(name="Enterprise").update(order=40)
    page = manager_client.get(reverse("admin:policies_slapolicy_add")).content.decode()
    assert re.search(r'name="order"[^>]*value="50"', page)
