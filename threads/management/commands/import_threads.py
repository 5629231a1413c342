"""manage.py import_threads FILE.jsonl: replay historical threads (format in the README).

Bad lines are reported with their number and reason and skipped; the rest is imported. Running
the same file again changes nothing. Exit code 0 = every line imported or already there,
1 = some lines were rejected, 2 = the file cannot be read.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from threads.importer import Importer, ImportReport, read_lines


class Command(BaseCommand):
    help = "Import historical threads from a JSON Lines file, replaying their SLA clocks."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--quiet-progress", action="store_true")

    def handle(self, *args, path, batch_size, quiet_progress, **options):
        try:
            with open(path, encoding="utf-8") as handle:
                handle.read(1)
        except (OSError, UnicodeDecodeError) as error:
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

        report = Importer(batch_size=batch_size).run(read_lines(path), ImportReport(), progress)
        elapsed = time.monotonic() - started
        for line, reason in report.errors:
            self.stderr.write(f"line {line}: {reason}")
        self.stdout.write(
            f"{report.imported} threads imported, {report.existing} already there, "
            f"{len(report.errors)} lines rejected ({report.lines} lines in {elapsed:.1f}s, "
            f"{report.lines / max(elapsed, 1e-6):,.0f} lines/s)."
        )
        if report.errors:
            sys.exit(1)
