"""What-if forms: a draft typed the way a manager writes it."""

from datetime import time

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_opening_hours_and_warnings_are_read_the_way_managers_type_them():
    from policies.hours import parse_hours
    from whatif.forms import parse_thresholds

    assert parse_hours("9-17") == [(time(9), time(17))]
    assert parse_hours("13:00–17:00, 08:30-12:00") == [
        (time(8, 30), time(12)),
        (time(13), time(17)),
    ]
    assert parse_hours("22:00–06:00 (next day)") == [(time(22), time(6))]
    assert parse_hours("closed") == [] and parse_hours("all day") == [(time(0), time(0))]
    assert parse_thresholds("75%, 15m before due, 1h") == [
        ("minutes_before", 15),
        ("minutes_before", 60),
        ("percent_used", 75),
    ]
