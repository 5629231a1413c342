"""The checklist's "Preview a deadline" tick is kept in the database: it survives logging in
again, and every preview page ticks it (which policy applies, a policy's and a calendar's
preview, a what-if)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import office_calendar, policy, tier
from tests.whatif.helpers import NOW, at, frt_target

pytestmark = pytest.mark.django_db


def preview_step(client) -> str:
    """The "Preview a deadline" step's state on the index: "done", "next" or ""."""
    page = client.get(reverse("admin:index")).content.decode()
    found = re.search(
        r'<li class="(done|next|)" data-step="\d+">\s*<span><a href="[^"]*">'
        r"Preview a deadline<",
        page,
    )
    assert found, "no Preview a deadline step"
    return found.group(1)


@pytest.fixture
def standard():
    tier("Free", default=True)
    return policy("Standard", calendar=office_calendar(), active=True)


def test_the_preview_tick_survives_logging_in_again(manager, manager_client, standard):
    assert preview_step(manager_client) != "done"
    manager_client.get(reverse("admin:policies_slapolicy_preview"))
    assert preview_step(manager_client) == "done"
    manager_client.logout()
    again = Client()
    again.force_login(manager)
    assert preview_step(again) == "done"


@pytest.mark.parametrize("page", ["policy", "calendar"])
def test_a_policy_or_calendar_preview_ticks_the_step(manager_client, standard, page):
    if page == "policy":
        url = reverse("admin:policies_slapolicy_preview_one", args=[standard.pk])
    else:
        url = reverse("admin:policies_calendar_preview", args=[standard.calendar.pk])
    assert manager_client.get(url).status_code == 200
    assert preview_step(manager_client) == "done"


def test_a_what_if_ticks_the_step(manager_client, standard):
    with at(NOW):
        response = manager_client.post(
            reverse("admin:policies_slapolicy_whatif", args=[standard.pk]),
            {
                "since": "2026-11-23",
                "until": "2026-11-27",
                f"target_{frt_target(standard).pk}": "2h",
                "warnings": "",
            },
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert preview_step(manager_client) == "done"
