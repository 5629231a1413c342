"""Read the mailboxes now (what the `mail-poll` schedule does every minute)."""

from django.core.management.base import BaseCommand, CommandError

from mail.connections import MailServerError
from mail.imap import poll, poll_all
from mail.models import Mailbox


class Command(BaseCommand):
    help = "Poll every active IMAP mailbox (or one, by name or address) once."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", help="Name or address of one mailbox.")
        parser.add_argument("--limit", type=int, help="At most this many messages per mailbox.")

    def handle(self, *args, mailbox=None, limit=None, **options):
        if mailbox is None:
            for name, said in poll_all().items():
                self.stdout.write(f"{name}: {said}")
            return
        box = (
            Mailbox.objects.filter(name=mailbox).first()
            or Mailbox.objects.filter(address__iexact=mailbox).first()
        )
        if box is None:
            raise CommandError(f"No mailbox named or addressed “{mailbox}”.")
        try:
            result = poll(box, limit=limit)
        except MailServerError as error:
            raise CommandError(f"{box.name}: {error}") from None
        self.stdout.write(f"{box.name}: {result.new} new of {result.fetched}")
        for line in result.refused:
            self.stderr.write(line)
