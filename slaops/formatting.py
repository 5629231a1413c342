"""Durations as a manager writes and reads them ("45m", "4h", "12h 30m"), and time left.

Days are refused on purpose: "a day" of business time means 8, 9 or 24 hours depending on who
reads it, so targets are written in hours and minutes only.
"""

import re
from datetime import timedelta

_PART = re.compile(
    r"(\d+)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes)(?![a-z])", re.IGNORECASE
)
_DAYS = re.compile(r"\d+\s*(d|day|days|w|week|weeks)(?![a-z])", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """Parse "1h", "90m", "12h 30m" into a timedelta; raise ValueError with a manager's message."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError("Enter a duration such as 45m, 4h or 12h 30m.")
    if _DAYS.search(cleaned):
        raise ValueError(
            "Write days as hours (for example 24h or 8h): a 'day' of business time is ambiguous."
        )
    if cleaned.isdigit():
        raise ValueError(f"Add a unit: write {cleaned}m for minutes or {cleaned}h for hours.")
    position, total = 0, timedelta()
    for match in _PART.finditer(cleaned):
        if cleaned[position : match.start()].strip():
            break
        amount, unit = int(match.group(1)), match.group(2).lower()
        total += timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
        position = match.end()
    if position == 0 or cleaned[position:].strip():
        raise ValueError(f"'{text}' is not a duration: use hours and minutes, e.g. 4h or 12h 30m.")
    return total


def format_duration(value: timedelta | None) -> str:
    """Show a duration back in the form a manager types it: "45m", "4h", "12h 30m", "-2h 10m"."""
    if value is None:
        return ""
    total_minutes = (
        int(value.total_seconds() // 60)
        if value >= timedelta()
        else -int((-value).total_seconds() // 60)
    )
    sign = "−" if total_minutes < 0 else ""
    hours, minutes = divmod(abs(total_minutes), 60)
    if hours and minutes:
        return f"{sign}{hours}h {minutes:02d}m"
    if hours:
        return f"{sign}{hours}h"
    return f"{sign}{minutes}m"


def format_time_left(left: timedelta | None) -> str:
    """A clock's time left in words: "2h 10m left (business time)", "overdue by 15m (business
    time)" once it is past due, "—" for no clock."""
    if left is None:
        return "—"
    if left >= timedelta():
        return f"{format_duration(left)} left (business time)"
    return f"overdue by {format_duration(-left)} (business time)"
