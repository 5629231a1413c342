"""Issue an integration API key from a script or CI; the key is printed once and never again."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations.models import IntegrationKey


class Command(BaseCommand):
    help = (
        "Create an API key that creates and changes only threads of one source, and print it "
        "once (only its hash is kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", required=True, help="Thread source, e.g. zendesk.")
        parser.add_argument("--name", required=True, help='Who uses it, e.g. "Zendesk bridge".')
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="The key stops working after this many days (default: never).",
        )

    def handle(self, *args, source, name, expires_in_days, **options):
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        key = IntegrationKey(
            name=name,
            source=source,
            expiry_date=(
                timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
            ),
        )
        try:
            key.full_clean(exclude=["id", "prefix", "hashed_key"])
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()
                )
            ) from None
        secret = IntegrationKey.objects.assign_key(key)
        key.save()
        self.stderr.write(
            f"Created key {key.prefix} “{key.name}” for source “{key.source}”"
            + (f", expires {key.expiry_date:%Y-%m-%d %H:%M} UTC" if key.expiry_date else "")
            + ". Store it now: it is not shown again. Send it as: Authorization: Api-Key <key>"
        )
        self.stdout.write(secret)
