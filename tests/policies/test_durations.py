from datetime import timedelta

import pytest

from slaops.formatting import format_duration, format_time_left, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("45m", 45), ("4h", 240), ("12h 30m", 750), ("1h30m", 90), ("90 min", 90), ("2 hours", 120)],
)
def test_managers_write_durations_in_hours_and_minutes(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2d", "Write days as hours"),
        ("1 day", "Write days as hours"),
        ("45", "Add a unit"),
        ("soon", "not a duration"),
        ("4h tomorrow", "not a duration"),
        ("", "Enter a duration"),
    ],
)
def test_unclear_durations_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(45, "45m"), (240, "4h"), (750, "12h 30m"), (65, "1h 05m"), (-130, "−2h 10m"), (0, "0m")],
)
def test_durations_are_shown_back_the_way_they_are_typed(minutes, shown):
    assert format_duration(timedelta(minutes=minutes)) == shown


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(hours=2, minutes=10), "2h 10m left (business time)"),
        (timedelta(), "0m left (business time)"),
        (timedelta(minutes=-15), "overdue by 15m (business time)"),
        (None, "—"),
    ],
)
def test_time_left_reads_as_left_or_overdue(left, text):
    assert format_time_left(left) == text
