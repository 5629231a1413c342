"""Business-time engine: worked examples, then properties checked against a minute-by-minute oracle
that applies the literal definition of open time."""

import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.business_time import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
NINE_TO_FIVE = [(time(9), time(17))]


def office(zone="Europe/Berlin", hours=NINE_TO_FIVE, **kwargs):
    """Mon–Fri with the given hours."""
    return Calendar(zone, weekly={d: hours for d in range(5)}, **kwargs)


def local(zone, *args):
    return datetime(*args, tzinfo=zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))


# -- the brute-force oracle: the literal definition, one minute at a time ---------------------


def oracle_is_open(spec, wall):
    """Is naive local time `wall` inside an interval that starts on its day or the day before?"""
    weekly, holidays, special = spec["weekly"], spec["holidays"], spec["special"]
    for day in (wall.date(), wall.date() - timedelta(days=1)):
        if day in special:
            intervals = special[day]
        elif day in holidays:
            intervals = []
        else:
            intervals = weekly.get(day.weekday(), [])
        for s, e in intervals:
            a = datetime.combine(day, s)
            b = datetime.combine(day if e > s else day + timedelta(days=1), e)
            if a <= wall < b:
                return True
    return False


def oracle_minutes(spec, start, count, step=MIN):
    """Open flag of each step-long slot [start + i*step, start + (i+1)*step)."""
    zone = ZoneInfo(spec["zone"])
    start = start.astimezone(UTC)
    return [
        oracle_is_open(spec, (start + i * step).astimezone(zone).replace(tzinfo=None))
        for i in range(count)
    ]


def oracle_add(start, flags, slots, step=MIN):
    """Instant at which `slots` open slots have passed since `start` (slots within `flags`)."""
    if slots == 0:
        return start
    seen = 0
    for i, is_open in enumerate(flags):
        seen += is_open
        if seen == slots:
            return start + (i + 1) * step
    raise AssertionError("oracle window too short")


def calendar_of(spec):
    return Calendar(
        spec["zone"], weekly=spec["weekly"], holidays=spec["holidays"], special_days=spec["special"]
    )


# -- worked examples ---------------------------------------------------------------------------


def test_friday_1630_one_hour_target_breaches_monday_0930():
    due = office().add(local(BERLIN, 2026, 3, 6, 16, 30), H)
    assert due == local(BERLIN, 2026, 3, 9, 9, 30)


def test_friday_1630_one_hour_target_breaches_monday_0930_in_new_york():
    due = office("America/New_York").add(local(NEW_YORK, 2026, 3, 6, 16, 30), H)
    assert due == local(NEW_YORK, 2026, 3, 9, 9, 30)


def test_results_are_in_utc():
    due = office().add(local(BERLIN, 2026, 3, 6, 16, 30), H)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 9, 8, 30, tzinfo=UTC)


def test_start_in_another_time_zone_is_the_same_instant():
    in_tokyo = local(BERLIN, 2026, 3, 6, 16, 30).astimezone(ZoneInfo("Asia/Tokyo"))
    assert office().add(in_tokyo, H) == local(BERLIN, 2026, 3, 9, 9, 30)


def test_message_before_opening_counts_from_opening():
    assert office().add(local(BERLIN, 2026, 3, 4, 6, 0), H) == local(BERLIN, 2026, 3, 4, 10, 0)


def test_message_during_hours_counts_from_arrival():
    assert office().add(local(BERLIN, 2026, 3, 4, 11, 15), H) == local(BERLIN, 2026, 3, 4, 12, 15)


def test_message_after_closing_counts_from_next_morning():
    assert office().add(local(BERLIN, 2026, 3, 4, 20, 0), H) == local(BERLIN, 2026, 3, 5, 10, 0)


def test_message_on_saturday_counts_from_monday():
    assert office().add(local(BERLIN, 2026, 3, 7, 12, 0), H) == local(BERLIN, 2026, 3, 9, 10, 0)


def test_zero_target_is_due_at_arrival_even_when_closed():
    start = local(BERLIN, 2026, 3, 7, 12, 0)
    due = office().add(start, timedelta(0))
    assert due == start
    assert due.tzinfo is UTC


def test_target_used_up_at_closing_time_is_due_at_closing_not_next_morning():
    assert office().add(local(BERLIN, 2026, 3, 9, 9), 8 * H) == local(BERLIN, 2026, 3, 9, 17)


def test_closing_time_budget_on_friday_is_not_pushed_to_monday():
    assert office().add(local(BERLIN, 2026, 3, 6, 16), H) == local(BERLIN, 2026, 3, 6, 17)


def test_lunch_break_is_not_counted():
    cal = office(hours=[(time(9), time(12)), (time(13), time(17))])
    assert cal.add(local(BERLIN, 2026, 3, 4, 11, 30), H) == local(BERLIN, 2026, 3, 4, 13, 30)
    assert cal.between(local(BERLIN, 2026, 3, 4), local(BERLIN, 2026, 3, 5)) == 7 * H


def test_overlapping_intervals_are_not_counted_twice():
    cal = office(hours=[(time(9), time(13)), (time(12), time(17))])
    assert cal.between(local(BERLIN, 2026, 3, 4), local(BERLIN, 2026, 3, 5)) == 8 * H


def test_friday_night_shift_runs_past_midnight_into_saturday():
    cal = Calendar("Europe/Berlin", weekly={4: [(time(22), time(2))]})
    assert cal.add(local(BERLIN, 2026, 3, 6, 23), 3 * H) == local(BERLIN, 2026, 3, 7, 2)
    assert cal.add(local(BERLIN, 2026, 3, 6, 23), 4 * H) == local(BERLIN, 2026, 3, 13, 23)
    assert cal.is_open(local(BERLIN, 2026, 3, 7, 1, 59))


def test_night_shift_starting_on_a_holiday_is_closed_but_the_previous_one_still_ends():
    # Thursday and Friday 22:00–02:00; Friday is a holiday.
    cal = Calendar(
        "Europe/Berlin",
        weekly={3: [(time(22), time(2))], 4: [(time(22), time(2))]},
        holidays={date(2026, 3, 6)},
    )
    assert cal.is_open(local(BERLIN, 2026, 3, 6, 1))  # Thursday's shift, on the holiday morning
    assert not cal.is_open(local(BERLIN, 2026, 3, 6, 23))
    assert not cal.is_open(local(BERLIN, 2026, 3, 7, 1))
    assert cal.between(local(BERLIN, 2026, 3, 5), local(BERLIN, 2026, 3, 9)) == 4 * H


def test_midnight_to_midnight_is_the_whole_day():
    cal = Calendar("Europe/Berlin", weekly={2: [(time(0), time(0))]})
    wednesday = local(BERLIN, 2026, 3, 4)
    assert cal.between(wednesday - H, wednesday + 26 * H) == 24 * H
    assert cal.add(wednesday, 24 * H) == local(BERLIN, 2026, 3, 5)


def test_always_open_adds_plain_elapsed_time():
    start = datetime(2026, 6, 3, 10, 17, 5, 123456, tzinfo=UTC)
    assert Calendar.always_open().add(start, 48 * H) == start + 48 * H


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_always_open_in_berlin_has_no_hole_on_dst_days(day):
    cal = Calendar.always_open("Europe/Berlin")
    start = (datetime.combine(day, time(0), BERLIN) - 2 * H).astimezone(UTC)  # real-time sums
    assert cal.add(start, 48 * H) == start + 48 * H
    assert cal.between(start, start + 48 * H) == 48 * H
    assert cal.is_open(datetime.combine(day, time(23, 59), BERLIN))


def test_christmas_holidays_are_skipped():
    cal = office(holidays={date(2026, 12, 24), date(2026, 12, 25)})
    due = cal.add(local(BERLIN, 2026, 12, 23, 16, 30), H)
    assert due == local(BERLIN, 2026, 12, 28, 9, 30)


def test_special_day_with_short_hours():
    cal = office(special_days={date(2026, 12, 24): [(time(9), time(12))]})
    due = cal.add(local(BERLIN, 2026, 12, 24, 11, 30), H)
    assert due == local(BERLIN, 2026, 12, 25, 9, 30)


def test_special_day_without_hours_is_closed():
    cal = office(special_days={date(2026, 12, 31): []})
    assert cal.add(local(BERLIN, 2026, 12, 30, 16, 30), H) == local(BERLIN, 2027, 1, 1, 9, 30)


def test_special_day_opens_a_weekend_day():
    cal = office(special_days={date(2026, 3, 7): [(time(10), time(14))]})
    assert cal.add(local(BERLIN, 2026, 3, 6, 16, 30), H) == local(BERLIN, 2026, 3, 7, 10, 30)


def test_special_day_wins_over_a_holiday_on_the_same_date():
    cal = office(
        holidays={date(2026, 12, 24)}, special_days={date(2026, 12, 24): [(time(9), time(12))]}
    )
    assert cal.is_open(local(BERLIN, 2026, 12, 24, 10))


def test_new_years_eve_rolls_over_new_years_day_into_january_2nd():
    cal = office(holidays={date(2026, 1, 1)})
    assert cal.add(local(BERLIN, 2025, 12, 31, 16, 30), H) == local(BERLIN, 2026, 1, 2, 9, 30)


def test_leap_day_is_a_business_day():
    cal = office()
    assert cal.add(local(BERLIN, 2028, 2, 28, 16, 30), H) == local(BERLIN, 2028, 2, 29, 9, 30)
    assert cal.between(local(BERLIN, 2028, 2, 28), local(BERLIN, 2028, 3, 2)) == 24 * H


def sunday_early_shift(zone):
    return Calendar(zone, weekly={6: [(time(0), time(6))]})


@pytest.mark.parametrize(
    ("zone", "day", "open_hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), timedelta(hours=5)),  # 02:00 -> 03:00
        ("Europe/Berlin", date(2026, 10, 25), timedelta(hours=7)),  # 03:00 -> 02:00
        ("America/New_York", date(2026, 3, 8), timedelta(hours=5)),
        ("America/New_York", date(2026, 11, 1), timedelta(hours=7)),
        ("Australia/Sydney", date(2026, 10, 4), timedelta(hours=5)),  # southern spring
        ("Australia/Sydney", date(2026, 4, 5), timedelta(hours=7)),  # southern autumn
        ("Australia/Lord_Howe", date(2026, 10, 4), timedelta(hours=5, minutes=30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), timedelta(hours=6, minutes=30)),
        ("America/Sao_Paulo", date(2018, 11, 4), timedelta(hours=5)),  # midnight itself skipped
        ("America/Sao_Paulo", date(2019, 2, 17), timedelta(hours=6)),  # Saturday 23:xx repeats
        ("Europe/Berlin", date(2026, 3, 22), timedelta(hours=6)),
    ],
)
def test_sunday_0000_0600_shift_on_a_dst_day_has_real_open_time(zone, day, open_hours):
    tz = ZoneInfo(zone)
    cal = sunday_early_shift(zone)
    day_start = datetime.combine(day, time(0), tz) - 2 * H
    assert cal.between(day_start, day_start + 30 * H) == open_hours
    assert cal.add(day_start, open_hours) == datetime.combine(day, time(6), tz)


def test_berlin_spring_forward_shift_ends_at_six_after_five_hours():
    due = sunday_early_shift("Europe/Berlin").add(local(BERLIN, 2026, 3, 29), 5 * H)
    assert due == datetime(2026, 3, 29, 4, 0, tzinfo=UTC)


def test_berlin_fall_back_repeated_hour_counts_twice():
    cal = sunday_early_shift("Europe/Berlin")
    # 03:00 CET happens after 02:00 CEST and 02:00 CET: 4 hours in.
    assert cal.add(local(BERLIN, 2026, 10, 25), 4 * H) == datetime(2026, 10, 25, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("saturday", "open_hours"),
    [(date(2026, 3, 28), timedelta(hours=5)), (date(2026, 10, 24), timedelta(hours=7))],
)
def test_night_shift_across_midnight_and_a_dst_change(saturday, open_hours):
    cal = Calendar("Europe/Berlin", weekly={5: [(time(22), time(4))]})
    start = datetime.combine(saturday, time(12), BERLIN)
    assert cal.between(start, start + 24 * H) == open_hours
    due = cal.add(start, open_hours)
    assert due == datetime.combine(saturday + timedelta(days=1), time(4), BERLIN)


def test_two_thousand_hours_is_250_business_days():
    cal = office()
    start = local(BERLIN, 2026, 1, 5, 9)  # a Monday
    due = cal.add(start, 2000 * H)
    assert due == local(BERLIN, 2026, 12, 18, 17)  # 50 weeks later, Friday at closing
    assert cal.between(start, due) == 2000 * H


def test_two_thousand_hours_matches_an_hour_stepping_oracle():
    spec = {
        "zone": "Europe/Berlin",
        "weekly": {d: NINE_TO_FIVE for d in range(5)},
        "holidays": {date(2026, 4, 3), date(2026, 5, 1), date(2026, 12, 25)},
        "special": {date(2026, 12, 24): [(time(9), time(12))]},
    }
    start = datetime(2026, 2, 27, 10, tzinfo=UTC)
    flags = oracle_minutes(spec, start, 400 * 24, step=H)
    expected = oracle_add(start, flags, 2000, step=H)
    assert calendar_of(spec).add(start, 2000 * H) == expected
    assert calendar_of(spec).between(start, start + 400 * 24 * H) == sum(flags) * H


def test_a_whole_year_of_weekdays():
    assert office().between(local(BERLIN, 2026, 1, 1), local(BERLIN, 2027, 1, 1)) == 261 * 8 * H


def test_a_target_of_several_years_comes_back_through_between():
    cal = office(holidays={date(2027, 1, 1), date(2028, 1, 1)})
    start = local(BERLIN, 2026, 7, 1, 12)
    due = cal.add(start, 10_000 * H)
    assert cal.between(start, due) == 10_000 * H


def test_between_is_zero_when_end_is_not_after_start():
    start = local(BERLIN, 2026, 3, 4, 12)
    assert office().between(start, start) == timedelta(0)
    assert office().between(start, start - 3 * H) == timedelta(0)


def test_open_interval_boundaries_are_half_open():
    cal = office()
    assert cal.is_open(local(BERLIN, 2026, 3, 4, 9))
    assert cal.is_open(local(BERLIN, 2026, 3, 4, 16, 59, 59))
    assert not cal.is_open(local(BERLIN, 2026, 3, 4, 17))
    assert not cal.is_open(local(BERLIN, 2026, 3, 7, 12))


def test_next_open_is_the_instant_itself_when_open():
    instant = local(BERLIN, 2026, 3, 4, 12, 34, 56)
    assert office().next_open(instant) == instant
    assert office().next_open(instant).tzinfo is UTC


def test_next_open_after_friday_closing_is_monday_morning():
    assert office().next_open(local(BERLIN, 2026, 3, 6, 17)) == local(BERLIN, 2026, 3, 9, 9)


def test_next_open_across_new_year():
    cal = office(holidays={date(2027, 1, 1)})
    assert cal.next_open(local(BERLIN, 2026, 12, 31, 18)) == local(BERLIN, 2027, 1, 4, 9)


def test_open_intervals_over_a_weekend():
    intervals = office().open_intervals(
        local(BERLIN, 2026, 3, 6, 12), local(BERLIN, 2026, 3, 9, 12)
    )
    assert intervals == [
        (local(BERLIN, 2026, 3, 6, 12), local(BERLIN, 2026, 3, 6, 17)),
        (local(BERLIN, 2026, 3, 9, 9), local(BERLIN, 2026, 3, 9, 12)),
    ]


def test_open_intervals_of_always_open_across_new_year_is_one_span():
    start, end = datetime(2026, 12, 30, tzinfo=UTC), datetime(2027, 1, 3, tzinfo=UTC)
    assert Calendar.always_open().open_intervals(start, end) == [(start, end)]


def test_with_zone_reads_the_same_hours_in_the_customers_zone():
    berlin = office(holidays={date(2026, 3, 9)})
    new_york = berlin.with_zone("America/New_York")
    assert new_york.zone == "America/New_York"
    assert new_york.holidays == berlin.holidays
    assert new_york.add(local(NEW_YORK, 2026, 3, 6, 16, 30), H) == local(
        NEW_YORK, 2026, 3, 10, 9, 30
    )
    assert new_york == office("America/New_York", holidays={date(2026, 3, 9)})


def test_equal_calendars_are_interchangeable_cache_keys():
    a = office(holidays=[date(2026, 12, 25)])
    b = Calendar(
        ZoneInfo("Europe/Berlin"),
        weekly={d: ((time(9), time(17)),) for d in range(5)} | {6: []},
        holidays={date(2026, 12, 25)},
    )
    assert a == b
    assert len({a, b}) == 1
    assert pickle.loads(pickle.dumps(a)) == a


def test_calendar_cannot_be_changed_after_creation():
    with pytest.raises(AttributeError):
        office()._zone_key = "UTC"


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        office().add(datetime(2026, 3, 4, 12), H)
    with pytest.raises(ValueError, match="naive"):
        office().between(local(BERLIN, 2026, 3, 4), datetime(2026, 3, 5))


def test_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative"):
        office().add(local(BERLIN, 2026, 3, 4, 12), -H)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe", "", "../etc/passwd"])
def test_unknown_time_zone_is_refused(zone):
    with pytest.raises(ValueError, match="unknown time zone"):
        Calendar(zone, weekly={})


def test_weekday_out_of_range_is_refused():
    with pytest.raises(ValueError, match="weekday"):
        Calendar("UTC", weekly={7: NINE_TO_FIVE})


def test_interval_bounds_must_be_times():
    with pytest.raises(TypeError, match="datetime.time"):
        Calendar("UTC", weekly={0: [("09:00", "17:00")]})


def test_calendar_without_open_hours_refuses_to_compute_a_deadline():
    cal = Calendar("Europe/Berlin", weekly={})
    with pytest.raises(ValueError, match="calendar has no open hours"):
        cal.add(local(BERLIN, 2026, 3, 4), H)
    with pytest.raises(ValueError, match="calendar has no open hours"):
        cal.next_open(local(BERLIN, 2026, 3, 4))


def test_calendar_whose_only_open_day_is_decades_away_counts_as_never_open():
    cal = Calendar("UTC", weekly={}, special_days={date(2050, 1, 3): NINE_TO_FIVE})
    with pytest.raises(ValueError, match="calendar has no open hours"):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), H)


# -- properties against the oracle -------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "UTC",
]
# DST changes (Berlin, New York, Sydney/Lord Howe, historic São Paulo) and year boundaries.
ANCHORS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2018, 11, 4),
    date(2019, 2, 17),
    date(2026, 12, 31),
    date(2028, 2, 29),
]
WINDOW_MINUTES = 7 * 24 * 60

minute_of_day = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
interval = st.one_of(
    st.tuples(minute_of_day, minute_of_day),  # half of these run past midnight
    st.just((time(0), time(0))),
    st.tuples(st.integers(18, 23), st.integers(0, 8)).map(lambda p: (time(p[0]), time(p[1]))),
)
day_intervals = st.lists(interval, max_size=3)


@st.composite
def scenarios(draw):
    """A random calendar and a minute-aligned start within a few days of a DST change."""
    anchor = draw(st.sampled_from(ANCHORS))
    near = st.integers(-3, 9).map(lambda n: anchor + timedelta(days=n))
    spec = {
        "zone": draw(st.sampled_from(ZONES)),
        "weekly": draw(st.dictionaries(st.integers(0, 6), day_intervals, max_size=7)),
        "holidays": draw(st.sets(near, max_size=3)),
        "special": draw(st.dictionaries(near, st.lists(interval, max_size=2), max_size=2)),
    }
    offset = draw(st.integers(-4 * 24 * 60, 4 * 24 * 60))
    start = datetime.combine(anchor, time(0), UTC) + offset * MIN
    return spec, start


oracle_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@oracle_settings
@given(scenarios(), st.integers(0, 3 * 24 * 60))
def test_add_matches_oracle(scenario, minutes):
    spec, start = scenario
    flags = oracle_minutes(spec, start, WINDOW_MINUTES)
    minutes %= sum(flags) + 1  # stay inside what the oracle window can answer
    assert calendar_of(spec).add(start, minutes * MIN) == oracle_add(start, flags, minutes)


@oracle_settings
@given(scenarios(), st.integers(-120, WINDOW_MINUTES))
def test_between_matches_oracle(scenario, minutes):
    spec, start = scenario
    flags = oracle_minutes(spec, start, max(minutes, 0))
    assert calendar_of(spec).between(start, start + minutes * MIN) == sum(flags) * MIN


@oracle_settings
@given(scenarios())
def test_open_intervals_match_oracle(scenario):
    spec, start = scenario
    flags = oracle_minutes(spec, start, 3 * 24 * 60)
    expected = set()
    for i, is_open in enumerate(flags):
        if is_open:
            expected.add(start + i * MIN)
    covered = set()
    for a, b in calendar_of(spec).open_intervals(start, start + len(flags) * MIN):
        assert (a - start) % MIN == timedelta(0) and (b - start) % MIN == timedelta(0)
        covered.update(a + i * MIN for i in range((b - a) // MIN))
    assert covered == expected


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.lists(st.integers(0, 24 * 60 * 3), min_size=5, max_size=5))
def test_is_open_and_next_open_match_oracle(scenario, offsets):
    spec, start = scenario
    cal = calendar_of(spec)
    zone = ZoneInfo(spec["zone"])
    for offset in offsets:
        instant = start + offset * MIN
        wall = instant.astimezone(zone).replace(tzinfo=None)
        assert cal.is_open(instant) == oracle_is_open(spec, wall)
    flags = oracle_minutes(spec, start, 2 * 24 * 60)
    if any(flags):
        assert cal.next_open(start) == start + flags.index(True) * MIN


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.integers(0, 24 * 60 * 365))
def test_between_start_and_due_gives_back_the_target(scenario, minutes):
    spec, start = scenario
    cal = calendar_of(spec)
    try:
        due = cal.add(start, minutes * MIN)
    except ValueError:  # only special days open: finite open time, a long target runs out
        assert not any(spec["weekly"].values())
        return
    assert cal.between(start, due) == minutes * MIN
    # nothing earlier would do: a minute less of open time ends strictly earlier
    if minutes:
        assert cal.add(start, (minutes - 1) * MIN) < due


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.integers(0, 24 * 60 * 30), st.integers(0, 24 * 60 * 30))
def test_add_never_goes_backwards_when_the_target_grows(scenario, a, b):
    spec, start = scenario
    cal = calendar_of(spec)
    if not any(spec["weekly"].values()):
        return
    short, long_ = sorted((a, b))
    assert start <= cal.add(start, short * MIN) <= cal.add(start, long_ * MIN)
