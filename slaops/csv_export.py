"""CSV meant for spreadsheets: a text cell a spreadsheet would run as a formula is written as
text instead (OWASP's CSV-injection rule: prefix it with a single quote), and every cell is
quoted, so a spreadsheet splitting on ";" cannot find a formula inside one either.

Downloads are streamed (`download`): each row is written as it is read, so an export of any
size costs the memory of one row, and the first bytes leave before the last row is read."""

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """Numbers stay numbers (a negative count is not a formula); text that starts like a formula,
    "-2h" included, gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Writer:
    def __init__(self, file, **options):
        self._writer = csv.writer(file, quoting=csv.QUOTE_ALL, **options)

    def writerow(self, row):
        """Writes the row; returns what the file's write returned (the line, for `_Echo`)."""
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(file, **options) -> Writer:
    """csv.writer with every cell made safe to open in a spreadsheet."""
    return Writer(file, **options)


class _Echo:
    """A file that hands back what is written to it: csv.writer writes one line per row."""

    def write(self, text: str) -> str:
        return text


def lines(rows: Iterable[Sequence]) -> Iterator[str]:
    """Each row as one safe CSV line, as it is read."""
    out = Writer(_Echo())
    for row in rows:
        yield out.writerow(row)


def download(filename: str, header: Sequence, rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A CSV attachment streamed row by row: `rows` may be a generator over a database iterator."""
    response = StreamingHttpResponse(
        lines(_with_header(header, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_header(header: Sequence, rows: Iterable[Sequence]) -> Iterator[Sequence]:
    yield header
    yield from rows
