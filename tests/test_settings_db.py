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
