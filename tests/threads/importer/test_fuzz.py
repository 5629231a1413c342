"""Whatever a line holds, the run never raises and every line is either imported, already there,
or reported once by number: random JSON values (NULs, unpaired surrogates, huge numbers, nested
lists and objects, times at the edges of the calendar) in every field, and random bytes.

Each example runs in a savepoint rolled back afterwards; generation is derandomized so the pass
takes the same few seconds every run, and a failure prints the lines that reproduce it."""

import copy
import json

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.threads.importer.conftest import history
from threads.importer import Importer, ImportReport
from threads.importer.fields import LineError
from threads.importer.lines import EVENT_FIELDS, THREAD_FIELDS, decoded
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]

EDGES = [
    "",
    " ",
    "\x00",
    "a\ud800b",
    "false",
    "not an email",
    "ann@example.com",
    "x" * 301,
    "alex",
    "open",
    "waiting_on_customer",
    "customer_message",
    "agent_reply",
    "status",
    "urgent",
    "chat",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-05:00",
    "2026-11-23T10:00:00",
    "2026-11-23T10:00:00+01:00",
    "2026-11-23T09:00:00+01:00",
    "2026-12-30T10:00:00+01:00",
    "2026-11-30T12:04:00+01:00",  # ahead of the server, within the allowed skew
    "2026-02-30T10:00:00Z",
]
texts = st.sampled_from(EDGES) | st.text(st.characters(exclude_categories=()), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
field_names = st.sampled_from(sorted(THREAD_FIELDS | {"needs_reply", "extra"}))
event_field_names = st.sampled_from(sorted(set().union(*EVENT_FIELDS.values()) | {"type", "at"}))


@st.composite
def spoilt_lines(draw, number: int) -> dict:
    line = copy.deepcopy(history(number))
    for name in draw(st.lists(field_names, max_size=3)):
        line[name] = draw(json_values)
    events = line.get("events")
    if isinstance(events, list) and events:
        for _ in range(draw(st.integers(0, 3))):
            index = draw(st.integers(0, len(events) - 1))
            if draw(st.booleans()) and isinstance(events[index], dict):
                events[index][draw(event_field_names)] = draw(json_values)
            else:
                events[index] = draw(json_values)
    return line


@st.composite
def files(draw) -> list[bytes]:
    lines = []
    for number in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.binary(max_size=40)))
        else:
            line = draw(spoilt_lines(number))
            lines.append(
                json.dumps(line, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
            )
    return lines


def blank(number: int, raw: bytes) -> bool:
    try:
        return not decoded(number, raw).strip()  # the first line may start with a BOM
    except LineError:
        return False


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=files())
def test_whatever_a_line_holds_it_is_imported_or_reported_and_the_run_never_raises(
    standard, now, lines
):
    with transaction.atomic():
        report = Importer(batch_size=2).run(lines, ImportReport())
        event(f"imported some: {report.imported > 0}, rejected some: {bool(report.errors)}")
        rejected = [line for line, _ in report.errors]
        assert len(rejected) == len(set(rejected)), report.errors  # each bad line once
        written = sum(1 for n, raw in enumerate(lines, start=1) if not blank(n, raw))
        assert report.imported + report.existing + len(rejected) == written, report
        assert Thread.objects.count() == report.imported
        # A refusal by the database or a replay that raised means a check is missing.
        for line, reason in report.errors:
            assert not reason.startswith(("the database refused", "could not be replayed")), (
                line,
                reason,
            )
        transaction.set_rollback(True)
