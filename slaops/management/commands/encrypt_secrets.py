"""Write every stored secret again with the first key: after adding a new FIELD_ENCRYPTION_KEYS
entry (or a new SECRET_KEY with the old one in SECRET_KEY_FALLBACKS), before the old key is
removed. Exits 1, one line per secret, if some cannot be decrypted."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from slaops.secrets import encrypt_stored, secret_fields, undecryptable


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first configured key (key rotation)."

    def handle(self, *args, **options):
        by_model: dict = {}
        for field in secret_fields():
            by_model.setdefault(field.model, []).append(field.name)
        with transaction.atomic():
            for model, names in by_model.items():
                written = encrypt_stored(model, names)
                self.stdout.write(f"{model._meta.verbose_name_plural}: {written} re-encrypted")
        problems = undecryptable()
        if problems:
            for problem in problems:
                self.stderr.write(f"cannot decrypt: {problem}")
            raise CommandError(f"{len(problems)} secret(s) could not be decrypted")
