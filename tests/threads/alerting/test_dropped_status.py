"""A delivery not sent on purpose (its channel disabled or deleted, its alert no longer true or
taken back) is `dropped`, not "Dead (gave up)"; rows written before are migrated."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from tests.threads.test_delivery import breach, channel, configure, run
from threads.models import Delivery

pytestmark = pytest.mark.django_db

migration = importlib.import_module("threads.migrations.0016_delivery_dropped")


def test_an_alert_to_a_disabled_channel_is_listed_as_dropped(manager_client):
    webhook = channel("webhook", url="https://hooks.example.com/x")
    configure(channels=[webhook])
    breach()
    webhook.enabled = False
    webhook.save()
    report = run()
    assert (report.dropped, report.dead) == (1, 0)
    page = manager_client.get(reverse("admin:threads_delivery_changelist")).content.decode()
    rows = page.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    assert "Dropped (not sent on purpose)" in rows and "Dead" not in rows


def test_dead_rows_dropped_before_the_status_existed_become_dropped():
    webhook = channel("webhook", url="https://hooks.example.com/x")
    configure(channels=[webhook])
    for n, error in enumerate(
        [
            "Dropped: no longer true, the clock is breaching now.",
            "Dropped: a late event corrected the history, so this alert no longer holds.",
            "The alert channel was deleted.",
            "Channel “Webhook” is disabled: Endpoint answered 410 Gone",
            "Nothing sends Fax deliveries.",
            "Endpoint answered 410 Gone",  # tried and given up: stays dead
            "Endpoint unreachable: connection refused",  # retried for a day: stays dead
        ]
    ):
        breach(f"Thread {n}")
        Delivery.objects.filter(event__thread__subject=f"Thread {n}").update(
            status="dead", last_error=error
        )
    migration.dropped_forward(apps, None)
    statuses = list(
        Delivery.objects.order_by("event__thread__subject").values_list("status", flat=True)
    )
    assert statuses == ["dropped"] * 5 + ["dead"] * 2
    migration.dropped_backward(apps, None)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"dead"}
