"""Replay historical threads from JSON Lines through the clock rules, in bulk.

Each line is one thread with its messages and changes. Every line is checked first
(`lines.parse_line`: a bad line is reported by number with the field and the rule, never
written), then told to the same clock rules the live services use, as the same actions
(threads/clocks/actions.py), in memory, so clocks and events are exactly what live traffic (and
the evaluator) would have produced, on plain objects (`plain`) rather than model instances; the
rows of a whole batch are then written with one COPY per table (`rows`, `run.Importer`), and a
large file is shared by one worker process per core (`parallel`). Events of an import are marked
historical: they are history, never alerts.
"""

from threads.importer.fields import LineError
from threads.importer.lines import EVENT_TYPES, Parsed, parse_line, read_lines
from threads.importer.report import ImportReport
from threads.importer.run import Importer

__all__ = [
    "EVENT_TYPES",
    "ImportReport",
    "Importer",
    "LineError",
    "Parsed",
    "parse_line",
    "read_lines",
]
