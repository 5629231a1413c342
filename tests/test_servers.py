"""The scale-out shape: the same rules on PostgreSQL, and django-q2 over Redis.

These run in the second pass of `make test` (SLAOPS_TEST_SERVERS=1) against DATABASE_URL and
REDIS_URL, and are skipped with the reason when those servers cannot be reached.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from policies.models import Tier
from tests.factories import office_calendar, policy, tier


@pytest.mark.server("postgres")
@pytest.mark.django_db
def test_migrations_run_on_postgresql_and_keep_one_default_tier():
    assert connection.vendor == "postgresql"
    tier("Free", default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tier.objects.create(name="Gold", is_default=True)


@pytest.mark.server("postgres")
@pytest.mark.django_db
def test_preview_deadline_is_the_same_on_postgresql(manager_client):
    calendar = office_calendar(zone="Europe/Berlin")
    gold = policy("Gold", calendar=calendar)
    body = manager_client.get(
        f"/admin/policies/slapolicy/{gold.pk}/preview/",
        {
            "start": "2026-11-27T16:30",
            "zone": "Europe/Berlin",
            "priority": "normal",
            "channel": "email",
        },
    ).content.decode()
    assert "Mon 30 Nov 2026 09:30 CET" in body


@pytest.mark.server("redis")
def test_tasks_travel_through_the_redis_broker(settings):
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    assert settings.Q_CLUSTER.get("redis"), "REDIS_URL should select the Redis broker"
    broker = get_broker(list_key="slaops-test-broker")
    broker.purge_queue()
    broker.enqueue(SignedPackage.dumps({"id": "t1", "func": "math.floor", "args": (1.5,)}))
    assert broker.queue_size() == 1
    [(task_id, package)] = broker.dequeue()
    assert SignedPackage.loads(package)["func"] == "math.floor"
    broker.acknowledge(task_id)
    broker.purge_queue()
    broker.delete_queue()
