"""manage.py import_threads FILE.jsonl: replay historical threads (format in the README).

A large file is shared by one worker process per core (--workers). Every bad line is reported
with its number, the field and the rule, and skipped; the rest is imported. Running the same
file again (or twice at once) changes nothing. Exit code 0 = every line imported or already
there, 1 = some lines were rejected (a line that is not valid UTF-8 among them), 2 = the file
cannot be read (missing, a directory, no permission, a read error).
"""

import argparse
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from threads.importer import Importer, ImportReport, read_lines


def whole_number(value: str) -> int:
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not '{value}'")
    return size


class Command(BaseCommand):
    help = "Import historical threads from a JSON Lines file, replaying their SLA clocks."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--batch-size", type=whole_number, default=500)
        parser.add_argument(
            "--workers",
            type=whole_number,
            default=None,
            help="Processes sharing the file (default: one per core; one on SQLite, for a small "
            "file or inside a transaction).",
        )
        parser.add_argument("--quiet-progress", action="store_true")

    def handle(self, *args, path, batch_size, workers, quiet_progress, **options):
        try:
            with open(path, "rb") as handle:
                handle.read(1)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}", returncode=2) from None
        started = time.monotonic()
        last = [0.0]
        show = not quiet_progress and sys.stderr.isatty() or options["verbosity"] > 1

        def progress(report: ImportReport, final=False):
            now = time.monotonic()
            if not show or (not final and now - last[0] < 0.5):
                return
            last[0] = now
            rate = report.lines / max(now - started, 1e-6)
            sys.stderr.write(
                f"\r{report.lines:,} lines  {rate:,.0f} lines/s  {report.imported:,} imported  "
                f"{report.existing:,} already there  {len(report.errors):,} rejected"
                + ("\n" if final else "")
            )
            sys.stderr.flush()

        report = ImportReport()
        unreadable = None
        try:
            importer = Importer(batch_size=batch_size, workers=workers)
            importer.run(read_lines(path), report, progress)
        except OSError as error:  # the file went away or the disk failed midway
            unreadable = f"cannot read {path} after line {report.lines}: {error}"
        elapsed = time.monotonic() - started
        for line, reason in sorted(report.errors, key=lambda error: error[0]):
            self.stderr.write(f"line {line}: {reason}")
        self.stdout.write(
            f"{report.imported} threads imported, {report.existing} already there, "
            f"{len(report.errors)} lines rejected ({report.lines} lines in {elapsed:.1f}s, "
            f"{report.lines / max(elapsed, 1e-6):,.0f} lines/s)."
        )
        if unreadable:
            raise CommandError(unreadable, returncode=2)
        if report.errors:
            sys.exit(1)
