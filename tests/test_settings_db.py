"""The PostgreSQL backend reads timestamps through psycopg's C loader (slaops/postgresql) and gives
the same values as Django's own: aware, in UTC, `datetime.timezone.utc`."""

import datetime

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_timestamps_read_back_as_the_same_utc_instants():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no timestamptz (runs in the server pass)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT '2026-03-29 01:30:00+02'::timestamptz, 'infinity'::text")
        (instant, _) = cursor.fetchone()
    assert instant == datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC)
    assert instant.tzinfo is datetime.UTC
    assert connection.connection.adapters.get_loader(1184, 0).__name__ == "UtcTimestamptzLoader"


def test_any_of_finds_the_same_rows_as_in_with_one_parameter(agent):
    """`field__any_of` (slaops/postgresql/lookups.py) selects what `__in` does, foreign keys,
    None and an empty list included; on PostgreSQL as `= ANY(%s)`, one parameter however many
    values."""
    from django.test.utils import CaptureQueriesContext

    from threads.models import Thread

    threads = [Thread.objects.create(subject=f"T{n}", assignee=agent) for n in range(3)]
    ids = [t.pk for t in threads]
    wanted = [ids[0], ids[2], None, 10**9]
    with CaptureQueriesContext(connection) as captured:
        found = sorted(Thread.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))
    assert found == sorted(Thread.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == [ids[0], ids[2]]
    assert Thread.objects.filter(assignee_id__any_of=[agent.pk]).count() == 3
    assert Thread.objects.filter(assignee__any_of=[agent.pk]).count() == 3
    assert not Thread.objects.filter(pk__any_of=[]).exists()
    if connection.vendor == "postgresql":
        assert "= ANY(" in captured.captured_queries[0]["sql"]
