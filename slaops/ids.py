"""Ids from outside (a URL, a query string, a form, a header): ASCII digits only, within a bigint.

`str.isdigit()` accepts "²" (which `int()` refuses: a 500) and `int()` accepts "٣", " 3", "+3"
and "3_0": every id read from a request goes through `parse_id`, which takes none of them."""

import re

# The largest id a BigAutoField holds: anything beyond names nothing and must not reach the
# database driver (SQLite raises OverflowError on it).
MAX_ID = 2**63 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(text, *, allow_zero: bool = False) -> int | None:
    """The whole number `text` spells in ASCII digits, or None when it spells none or one no id
    can have (0, unless allowed, or beyond a bigint). Ints pass through the same bounds; a bool
    or anything else is None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and _DIGITS.fullmatch(text):
        value = int(text)
    else:
        return None
    lowest = 0 if allow_zero else 1
    return value if lowest <= value <= MAX_ID else None
