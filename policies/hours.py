"""A day's opening hours as a manager writes and reads them ("09:00–12:00, 13:00–17:00",
"closed", "all day"): the calendar form and the what-if's calendar draft both speak this."""

import re
from datetime import time

from django.core.exceptions import ValidationError

from policies.models import describe_interval, overlapping

_INTERVAL = re.compile(
    r"^(\d{1,2})(?::(\d{2}))?\s*(?:-|–|—|to)\s*(\d{1,2})(?::(\d{2}))?(\s*\(next day\))?$",
    re.IGNORECASE,
)


def hours_text(spans) -> str:
    return ", ".join(describe_interval(o, c) for o, c in sorted(spans)) or "closed"


def _clock(hours: str, minutes: str | None, item: str) -> time:
    h, m = int(hours), int(minutes or 0)
    if h > 24 or m > 59 or (h == 24 and m):
        raise ValidationError(f"“{item}”: {hours}:{minutes or '00'} is not a time of day.")
    return time(0) if h == 24 else time(h, m)


def parse_hours(text: str) -> list[tuple[time, time]]:
    """ "09:00–12:00, 13:00–17:00"; "closed" or empty = closed; "all day" = 00:00–00:00."""
    spans = []
    for item in re.split(r"[,;\n]", text or ""):
        item = item.strip()
        if not item or item.lower() == "closed":
            continue
        if item.lower() in ("all day", "24h"):
            spans.append((time(0), time(0)))
            continue
        match = _INTERVAL.match(item)
        if not match:
            raise ValidationError(
                f"“{item}” is not an interval: write opening and closing times such as "
                "09:00–17:00 (several separated by commas; “closed” for none)."
            )
        opens = _clock(match.group(1), match.group(2), item)
        closes = _clock(match.group(3), match.group(4), item)
        spans.append((opens, closes))
    clash = overlapping(spans)
    if clash:
        raise ValidationError(
            f"{describe_interval(*clash[0])} and {describe_interval(*clash[1])} overlap. "
            "Merge them into one interval."
        )
    return sorted(spans)
