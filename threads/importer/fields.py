"""Reading one field of an import line, held to the rule the database and the live services keep:
its JSON type, its length (the model field's own max_length), no NUL or unpaired surrogate (which
PostgreSQL cannot store), a real e-mail address, a time with an offset within the clock rules'
bounds. Every refusal names the field and the rule."""

from datetime import UTC, datetime
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import normalise_email
from threads.clocks.times import time_problem

SHOWN_CHARACTERS = 60  # a value quoted in a message is cut here: a message stays one short line


class LineError(ValueError):
    """A line that cannot be imported; the message is `field: rule`."""


@cache
def max_length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


def shown(value) -> str:
    text = str(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def json_kind(value) -> str:
    """The JSON name of a value's type, as the writer of the file sees it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def unknown_fields(data: dict, allowed: set[str], where: str = "") -> None:
    """A misspelt field ("needs_replay") would otherwise be silently ignored."""
    for key in data:
        if key not in allowed:
            raise LineError(
                f"{where}{shown(key)}: unknown field (expected one of {', '.join(sorted(allowed))})"
            )


def text(data: dict, key: str, where: str = "", *, required=False, default="", limit=None) -> str:
    """A text field; missing or null is `default`."""
    where = where or key
    value = data.get(key)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise LineError(f"{where}: expected text, not {json_kind(value)}")
    if "\x00" in value:
        raise LineError(f"{where}: contains a NUL character (\\u0000), which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise LineError(
            f"{where}: contains an unpaired surrogate (\\ud800-\\udfff): not valid Unicode"
        ) from None
    if required and not value.strip():
        raise LineError(f"{where}: required")
    if limit is not None and len(value) > limit:
        raise LineError(f"{where}: at most {limit} characters ({len(value)} given)")
    return value


def flag(data: dict, key: str, where: str = "", *, default: bool) -> bool:
    """true or false; missing or null is `default` (the text "false" is not false)."""
    where = where or key
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise LineError(f"{where}: expected true or false, not {json_kind(value)}")
    return value


@cache
def _values(choices) -> tuple[str, ...]:
    return tuple(choices.values)  # Django builds the list anew on every read


def choice(data: dict, key: str, choices, where: str = "", *, default: str | None = None) -> str:
    """One of a vocabulary's values; missing or null is `default` (None: required)."""
    where = where or key
    value = data.get(key)
    if value.__class__ is str and value in _values(choices):
        return value
    if value is None:
        if default is None:
            raise LineError(f"{where}: required (one of {', '.join(choices.values)})")
        return default
    if not isinstance(value, str):
        raise LineError(
            f"{where}: expected one of {', '.join(choices.values)}, not {json_kind(value)}"
        )
    if value not in choices.values:
        raise LineError(f"{where}: '{shown(value)}' is not one of {', '.join(choices.values)}")
    return value


def email(data: dict, key: str, where: str = "", *, limit: int | None) -> str:
    """An e-mail address in its stored spelling, or "" for none."""
    where = where or key
    value = normalise_email(text(data, key, where))
    if not value:
        return ""
    if limit is not None and len(value) > limit:
        raise LineError(f"{where}: at most {limit} characters ({len(value)} given)")
    try:
        validate_email(value)
    except ValidationError:
        raise LineError(f"{where}: '{shown(value)}' is not an e-mail address") from None
    return value


def moment(value, where: str, *, now: datetime, not_before: datetime | None = None) -> datetime:
    """A time of the history: ISO 8601 with an offset, within the bounds the clock rules keep
    for every caller (`time_problem`: not before 2000, not in the future, not before the thread
    was opened)."""
    if value is None:
        raise LineError(f"{where}: required (an ISO 8601 time with offset)")
    if not isinstance(value, str):
        raise LineError(f"{where}: expected an ISO 8601 time with offset, not {json_kind(value)}")
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        parsed = None
    if parsed is None:
        raise LineError(f"{where}: '{shown(value)}' is not an ISO 8601 time")
    if timezone.is_naive(parsed):
        raise LineError(f"{where}: '{shown(value)}' has no UTC offset (write e.g. +01:00 or Z)")
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        # Years 1 and 9999 with an offset have no UTC instant: judge the wall time as UTC,
        # which the bounds refuse the same way (before 2000, in the future).
        return _judged(parsed.replace(tzinfo=UTC), where, now=now, not_before=None)
    return _judged(parsed, where, now=now, not_before=not_before)


def _judged(at: datetime, where: str, *, now, not_before) -> datetime:
    problem = time_problem(at, not_before=not_before, now=now)
    if problem:
        raise LineError(f"{where}: {problem}")
    return at
