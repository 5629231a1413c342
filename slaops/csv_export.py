"""CSV meant for spreadsheets: a text cell a spreadsheet would run as a formula is written as
text instead (OWASP's CSV-injection rule: prefix it with a single quote), and every cell is
quoted, so a spreadsheet splitting on ";" cannot find a formula inside one either."""

import csv

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

    def writerow(self, row) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(file, **options) -> Writer:
    """csv.writer with every cell made safe to open in a spreadsheet."""
    return Writer(file, **options)
