"""When a change may be dated: the bounds every caller (services, API, importer) holds a given
instant to, and the instant of a change made now."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from slaops.errors import ThreadError
from threads.models import Thread

# No support thread is older than this: a year such as 1 is a typing error, refused before it
# reaches the business-time engine (a year such as 9999 is refused as being in the future).
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def _skew_text(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"


def _shown(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds" if at.microsecond else "seconds")


def time_problem(
    at: datetime, *, not_before: datetime | None = None, now: datetime | None = None
) -> str:
    """Why a time given for a change cannot go on the record ("" if it can).

    A change may not be dated before its thread was opened (`not_before`), nor more than
    SLA_MAX_CLOCK_SKEW_SECONDS after the server's clock, nor before 2000. The importer checks
    its lines with the same rule."""
    if timezone.is_naive(at):
        return "Times need a UTC offset, e.g. 2026-11-27T16:30:00+01:00."
    if at < EARLIEST_TIME:
        return f"{_shown(at)} is before 2000-01-01: no support thread is that old."
    skew = settings.SLA_MAX_CLOCK_SKEW_SECONDS
    if at > (now or timezone.now()) + timedelta(seconds=skew):
        return (
            f"{_shown(at)} is in the future (more than {_skew_text(skew)} ahead of the "
            "server's clock): a change is recorded when it happens, not before."
        )
    if not_before is not None and at < not_before:
        return (
            f"{_shown(at)} is before the thread was opened ({_shown(not_before)}): "
            "nothing can happen to a thread before it exists."
        )
    return ""


def instant(at: datetime | None, *, field: str = "at", thread: Thread | None = None) -> datetime:
    """The instant of a change: `at` as given (checked by `time_problem`, refused on the field
    that carried it), or now. Now is never before the thread's own opening, which an
    integration's clock may have put up to the allowed skew ahead of ours."""
    opened = thread.created_at if thread is not None else None
    if at is None:
        now = timezone.now()
        return max(now, opened) if opened is not None else now
    problem = time_problem(at, not_before=opened)
    if problem:
        raise ThreadError(field, problem)
    return at
