"""Business-time engine: open hours of a calendar in its IANA zone, and deadlines counted in them.

Pure Python (no Django, no I/O). Every query costs a few bisects, whatever the length of the target.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Calendar"]

Interval = tuple[time, time]

_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Day intervals are generated this many local days beyond each UTC year, enough for any UTC
# offset (|offset| < 1 day) plus an interval that runs past midnight (< 2 days long).
_MARGIN_DAYS = 3
# Finding no open time for this long means the calendar is, in practice, never open.
_HORIZON_YEARS = 10
# Offset changes are found by sampling this often, then bisecting to the second; only a change
# that is undone within 6 hours could slip through.
_SAMPLE_SECONDS = 6 * 3600
_MIN_YEAR, _MAX_YEAR = 2, 9997


def _year_start_us(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_US


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@lru_cache(maxsize=4096)
def _offset_segments(zone_key: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """Split UTC year `year` into (start_us, end_us, utc_offset_us) runs of constant offset."""
    zone = ZoneInfo(zone_key)

    def offset_at(second: int) -> int:
        return (_EPOCH + timedelta(seconds=second)).astimezone(zone).utcoffset() // _US

    y0, y1 = _year_start_us(year), _year_start_us(year + 1)
    last = y1 // 1_000_000 - 1  # an offset change at exactly y1 belongs to the next year
    segments = []
    seg_start, seg_offset = y0, offset_at(y0 // 1_000_000)
    prev = y0 // 1_000_000
    while prev < last:
        probe = min(prev + _SAMPLE_SECONDS, last)
        if offset_at(probe) == seg_offset:
            prev = probe
            continue
        lo, hi = prev, probe  # offset_at(lo) == seg_offset != offset_at(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if offset_at(mid) == seg_offset:
                lo = mid
            else:
                hi = mid
        segments.append((seg_start, hi * 1_000_000, seg_offset))
        seg_start, seg_offset, prev = hi * 1_000_000, offset_at(hi), hi
    segments.append((seg_start, y1, seg_offset))
    return tuple(segments)


class _YearTable:
    """One UTC year's merged open intervals (µs since epoch) with running totals of open time."""

    __slots__ = ("cum_ends", "ends", "starts", "total", "y0")

    def __init__(self, y0: int, intervals: list[tuple[int, int]]):
        self.y0 = y0
        self.starts = [a for a, _ in intervals]
        self.ends = [b for _, b in intervals]
        self.cum_ends = []
        total = 0
        for a, b in intervals:
            total += b - a
            self.cum_ends.append(total)
        self.total = total

    def open_before(self, t: int) -> int:
        """Open time in [start of year, t)."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        return self.cum_ends[i] - max(0, self.ends[i] - t)

    def contains(self, t: int) -> bool:
        i = bisect_right(self.starts, t) - 1
        return i >= 0 and self.ends[i] > t


def _check_intervals(field: str, intervals: object) -> tuple[Interval, ...]:
    if isinstance(intervals, (str, bytes)) or not isinstance(intervals, Iterable):
        raise TypeError(f"{field}: expected a list of (start, end) time pairs")
    checked = set()
    for pair in intervals:
        if not isinstance(pair, Sequence) or isinstance(pair, (str, bytes)) or len(pair) != 2:
            raise TypeError(f"{field}: each interval must be a (start, end) pair, got {pair!r}")
        for t in pair:
            if not isinstance(t, time):
                raise TypeError(f"{field}: interval bounds must be datetime.time, got {t!r}")
            if t.tzinfo is not None:
                raise ValueError(f"{field}: interval bounds are wall-clock times, drop tzinfo")
        # fold means nothing for a wall-clock bound; drop it so equal calendars compare equal
        checked.add((pair[0].replace(fold=0), pair[1].replace(fold=0)))
    return tuple(sorted(checked))


def _check_date(field: str, value: object) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{field}: expected a datetime.date, got {value!r}")
    return value


def _to_us(moment: datetime, field: str) -> tuple[int, int]:
    """(microseconds since epoch, UTC year) of an aware datetime."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{field}: expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field}: naive datetime; pass an aware datetime (any time zone)")
    utc = moment.astimezone(UTC)
    return (utc - _EPOCH) // _US, utc.year


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class Calendar:
    """Weekly open hours, holidays and special days, read in one IANA zone.

    Instances are immutable (hashable, comparable, safe to share and cache); the per-year tables
    they build lazily are a cache only, so concurrent builds in threads are harmless.

    An interval (s, e) listed for local date D is the wall-clock span [D s, D e), or
    [D s, D+1 e) when e <= s, so (00:00, 00:00) is the whole day. Holidays and special days
    apply to the intervals starting on that date; a special day replaces the weekly hours, and
    wins over a holiday on the same date (it is the manager's explicit exception). Open time is
    real elapsed time: a span holding a spring-forward gap is shorter, one holding a repeated
    fall-back hour is longer.
    """

    __slots__ = (
        "_day_us",
        "_hash",
        "_holidays",
        "_special",
        "_weekly",
        "_years",
        "_zone",
        "_zone_key",
    )

    def __init__(
        self,
        zone: str | ZoneInfo,
        weekly: Mapping[int, Iterable[Interval]],
        holidays: Iterable[date] = (),
        special_days: Mapping[date, Iterable[Interval]] | None = None,
    ):
        zone_key = zone.key if isinstance(zone, ZoneInfo) else zone
        if not isinstance(zone_key, str):
            raise TypeError(f"zone: expected an IANA zone name, got {zone_key!r}")
        try:
            self._zone = ZoneInfo(zone_key)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a directory
            raise ValueError(f"unknown time zone: {zone_key}") from None
        self._zone_key = zone_key

        if not isinstance(weekly, Mapping):
            raise TypeError("weekly: expected a mapping of weekday (0 = Monday) to intervals")
        days: list[tuple[Interval, ...]] = [()] * 7
        for weekday, intervals in weekly.items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(f"weekly: weekday must be 0 (Monday)..6 (Sunday), got {weekday!r}")
            days[weekday] = _check_intervals(f"weekly[{weekday}]", intervals)
        self._weekly = tuple(days)

        if isinstance(holidays, (str, bytes)) or not isinstance(holidays, Iterable):
            raise TypeError("holidays: expected a collection of dates")
        self._holidays = frozenset(_check_date("holidays", d) for d in holidays)

        special: dict[date, tuple[Interval, ...]] = {}
        for day, intervals in (special_days or {}).items():
            _check_date("special_days", day)
            special[day] = _check_intervals(f"special_days[{day.isoformat()}]", intervals)
        self._special = MappingProxyType(special)

        self._day_us = {}  # wall intervals as (start_us, end_us) offsets from local midnight
        self._years: dict[int, _YearTable] = {}
        self._hash = hash(
            (self._zone_key, self._weekly, self._holidays, frozenset(self._special.items()))
        )

    @classmethod
    def always_open(cls, zone: str | ZoneInfo = "UTC") -> Calendar:
        """Open around the clock, every day (wall-clock days, so DST days are 23 or 25 hours)."""
        return cls(zone, weekly={d: [(time(0), time(0))] for d in range(7)})

    def with_zone(self, zone: str | ZoneInfo) -> Calendar:
        """The same hours, holidays and special days read in another zone (e.g. the customer's)."""
        return Calendar(
            zone, weekly=self.weekly, holidays=self._holidays, special_days=self._special
        )

    # -- read-only views -------------------------------------------------------------------

    @property
    def zone(self) -> str:
        return self._zone_key

    @property
    def weekly(self) -> Mapping[int, tuple[Interval, ...]]:
        return MappingProxyType({d: iv for d, iv in enumerate(self._weekly) if iv})

    @property
    def holidays(self) -> frozenset[date]:
        return self._holidays

    @property
    def special_days(self) -> Mapping[date, tuple[Interval, ...]]:
        return self._special

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calendar):
            return NotImplemented
        return (self._zone_key, self._weekly, self._holidays, dict(self._special)) == (
            other._zone_key,
            other._weekly,
            other._holidays,
            dict(other._special),
        )

    def __hash__(self) -> int:
        return self._hash

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_hash"):
            raise AttributeError("Calendar is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self):
        # Pickle the definition only; year tables are rebuilt on demand.
        return (Calendar, (self._zone_key, dict(self.weekly), self._holidays, dict(self._special)))

    def __repr__(self) -> str:
        open_days = sum(1 for iv in self._weekly if iv)
        return (
            f"Calendar(zone={self._zone_key!r}, open_weekdays={open_days}, "
            f"holidays={len(self._holidays)}, special_days={len(self._special)})"
        )

    # -- queries ---------------------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Earliest instant (UTC) by which `duration` of open time has passed since `start`.

        A budget that runs out exactly at closing time ends at closing time.
        """
        pos, year = _to_us(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration: expected a timedelta, got {type(duration).__name__}")
        remaining = duration // _US
        if remaining < 0:
            raise ValueError("duration: must not be negative")
        if remaining == 0:
            return _from_us(pos)
        table = self._table(year)
        empty_years = 0
        while True:
            target = table.open_before(pos) + remaining
            if target <= table.total:
                # bisect_left: a target equal to an interval's running total ends at its close
                i = bisect_left(table.cum_ends, target)
                return _from_us(table.ends[i] - (table.cum_ends[i] - target))
            remaining = target - table.total
            empty_years = empty_years + 1 if table.total == 0 else 0
            if empty_years > _HORIZON_YEARS:
                raise ValueError(
                    f"calendar has no open hours in the {_HORIZON_YEARS} years "
                    f"before {year + 1}-01-01 UTC"
                )
            year += 1
            table = self._table(year)
            pos = table.y0

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end); zero when end <= start."""
        s, s_year = _to_us(start, "start")
        e, e_year = _to_us(end, "end")
        if e <= s:
            return timedelta(0)
        first = self._table(s_year)
        if s_year == e_year:
            return timedelta(microseconds=first.open_before(e) - first.open_before(s))
        total = first.total - first.open_before(s)
        total += sum(self._table(y).total for y in range(s_year + 1, e_year))
        total += self._table(e_year).open_before(e)
        return timedelta(microseconds=total)

    def is_open(self, instant: datetime) -> bool:
        t, year = _to_us(instant, "instant")
        return self._table(year).contains(t)

    def next_open(self, instant: datetime) -> datetime:
        """`instant` (in UTC) if open, else the start of the next open interval."""
        t, year = _to_us(instant, "instant")
        table = self._table(year)
        i = bisect_right(table.starts, t)
        if i and table.ends[i - 1] > t:
            return _from_us(t)
        if i < len(table.starts):
            return _from_us(table.starts[i])
        for later in range(year + 1, year + 1 + _HORIZON_YEARS):
            table = self._table(later)
            if table.starts:
                return _from_us(table.starts[0])
        raise ValueError(
            f"calendar has no open hours in the {_HORIZON_YEARS} years after {instant.isoformat()}"
        )

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Merged open intervals (UTC) clipped to [start, end), in order."""
        s, s_year = _to_us(start, "start")
        e, e_year = _to_us(end, "end")
        merged: list[list[int]] = []
        if e <= s:
            return []
        for year in range(s_year, e_year + 1):
            table = self._table(year)
            first = max(bisect_right(table.starts, s) - 1, 0)
            last = bisect_left(table.starts, e)
            for a, b in zip(table.starts[first:last], table.ends[first:last], strict=True):
                a, b = max(a, s), min(b, e)
                if a >= b:
                    continue
                if merged and merged[-1][1] == a:  # an interval running across New Year (UTC)
                    merged[-1][1] = b
                else:
                    merged.append([a, b])
        return [(_from_us(a), _from_us(b)) for a, b in merged]

    # -- year tables -----------------------------------------------------------------------

    def _table(self, year: int) -> _YearTable:
        table = self._years.get(year)
        if table is None:
            if not _MIN_YEAR <= year <= _MAX_YEAR:
                raise ValueError(
                    f"year {year} is outside the supported range {_MIN_YEAR}..{_MAX_YEAR}"
                )
            table = self._years[year] = self._build(year)
        return table

    def _wall_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """Open wall-clock spans starting on local `day`, as µs offsets from its midnight."""
        intervals = self._special.get(day)
        if intervals is None:
            if day in self._holidays:
                return ()
            intervals = self._weekly[day.weekday()]
        key = intervals
        spans = self._day_us.get(key)
        if spans is None:
            spans = []
            for s, e in intervals:
                a, b = _time_us(s), _time_us(e)
                spans.append((a, b if b > a else b + _DAY_US))
            spans = self._day_us[key] = tuple(spans)
        return spans

    def _build(self, year: int) -> _YearTable:
        first = date(year, 1, 1) - timedelta(days=_MARGIN_DAYS)
        walls = []
        for n in range(first.toordinal(), date(year + 1, 1, 1).toordinal() + _MARGIN_DAYS + 1):
            day = date.fromordinal(n)
            midnight = (n - _EPOCH_ORDINAL) * _DAY_US
            walls.extend((midnight + a, midnight + b) for a, b in self._wall_intervals(day))
        # Within a run of constant offset o, wall span [a, b) is the UTC span [a - o, b - o);
        # clipping to the run gives the exact preimage, gaps and repeated hours included.
        pieces = []
        for t0, t1, offset in _offset_segments(self._zone_key, year):
            for a, b in walls:
                lo, hi = max(t0, a - offset), min(t1, b - offset)
                if lo < hi:
                    pieces.append((lo, hi))
        pieces.sort()
        merged: list[tuple[int, int]] = []
        for a, b in pieces:
            if merged and a <= merged[-1][1]:
                if b > merged[-1][1]:
                    merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        return _YearTable(_year_start_us(year), merged)
