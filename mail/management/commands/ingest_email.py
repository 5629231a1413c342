"""Feed raw e-mails (.eml files) through the same path as a polled mailbox: one line per file,
and a non-zero exit when any file was not taken."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from mail.ingest import ingest
from mail.models import Mailbox
from mail.parsing import ParseError
from threads.services import ThreadError


class Command(BaseCommand):
    help = "Ingest .eml files as if they had arrived in a mailbox."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help=".eml files (RFC 5322 messages)")
        parser.add_argument(
            "--mailbox",
            help="Name or address of the mailbox they arrived in (default: the only one).",
        )
        parser.add_argument(
            "--create-mailbox",
            action="store_true",
            help="Create the --mailbox address (no IMAP, replies via EMAIL_URL) if missing.",
        )

    def handle(self, *args, files, mailbox=None, create_mailbox=False, **options):
        box = self._mailbox(mailbox, create_mailbox)
        bad = 0
        for name in files:
            path = Path(name)
            try:
                raw = path.read_bytes()
            except OSError as error:
                self.stderr.write(f"{name}: cannot read: {error.strerror or error}")
                bad += 1
                continue
            try:
                outcome = ingest(raw, mailbox=box, via="file")
            except (ParseError, ThreadError) as error:
                self.stderr.write(f"{name}: not taken: {error}")
                bad += 1
                continue
            self.stdout.write(f"{name}: {outcome.describe()}")
        if bad:
            raise CommandError(f"{bad} of {len(files)} files were not taken.")

    def _mailbox(self, wanted: str | None, create: bool) -> Mailbox:
        if wanted:
            found = Mailbox.objects.filter(Q(name=wanted) | Q(address__iexact=wanted)).first()
            if found is None and create and "@" in wanted:
                found = Mailbox.objects.create(name=wanted, address=wanted.lower())
            if found is None:
                raise CommandError(f"No mailbox named or addressed “{wanted}”.")
            return found
        boxes = list(Mailbox.objects.all()[:2])
        if len(boxes) != 1:
            raise CommandError(
                "Say which mailbox with --mailbox (there are none)"
                if not boxes
                else "Say which mailbox with --mailbox (there are several)."
            )
        return boxes[0]
