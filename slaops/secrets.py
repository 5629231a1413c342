"""Secrets at rest: passwords, tokens, signing secrets and URLs that are their own password are
stored Fernet-encrypted (django-fernet-encrypted-fields), with keys derived from SECRET_KEY and
FIELD_ENCRYPTION_KEYS (settings), never in clear and never queryable.

Differences from the library's fields, each on purpose:
- An empty value stays empty (the columns are NOT NULL, and "no secret" is no secret).
- A value that is not a Fernet token is read as it is: a secret saved before encryption came in,
  until the migration that encrypts it (or `manage.py encrypt_secrets`) has run.
- A token no key opens reads as empty, never as the token itself (which would go to a server as
  the password): `undecryptable()` finds such rows and `manage.py check` names them.
- Only `isnull` and exact emptiness can be asked of the column: every other lookup (`regex`,
  `startswith`, …) is refused, so no query can compare a secret with a guess.
"""

from cryptography.fernet import InvalidToken
from django.db import models
from encrypted_fields.fields import EncryptedFieldMixin

TOKEN_START = "gAAAAA"  # Fernet's version byte 0x80 and a timestamp's first bytes, base64url
ALLOWED_LOOKUPS = {"isnull", "exact"}


class _Unreadable(str):
    """An empty string that remembers its stored token could not be decrypted."""


class SecretMixin(EncryptedFieldMixin):
    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return super().get_prep_value(value)

    def from_db_value(self, value, expression, connection):
        if not value or not value.startswith(TOKEN_START):
            return value  # empty, or saved before encryption
        try:
            return self.f.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            return _Unreadable("")

    def to_python(self, value):
        # Form and fixture input is the secret itself, never a token to decrypt.
        return models.CharField.to_python(self, value)

    def clean(self, value, model_instance):
        return models.Field.clean(self, value, model_instance)

    def get_lookup(self, lookup_name):
        if lookup_name not in ALLOWED_LOOKUPS:
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        return None


class SecretCharField(SecretMixin, models.CharField):
    """A password or token up to max_length characters (checked before encryption)."""

    def get_internal_type(self) -> str:
        return "TextField"  # the token is longer than the secret


class SecretURLField(SecretMixin, models.URLField):
    """A URL that is its own password (a Slack or Teams incoming-webhook URL)."""

    def get_internal_type(self) -> str:
        return "TextField"


def is_secret(field) -> bool:
    return isinstance(field, SecretMixin)


def secret_fields() -> list[models.Field]:
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if is_secret(field)
    ]


def undecryptable() -> list[str]:
    """ "Mailbox 3: IMAP password", one line per stored secret that no configured key opens."""
    problems = []
    for field in secret_fields():
        model = field.model
        rows = model._default_manager.exclude(**{field.name: ""}).exclude(
            **{f"{field.name}__isnull": True}
        )
        for pk, value in rows.values_list("pk", field.name).iterator():
            if isinstance(value, _Unreadable):
                problems.append(f"{model._meta.verbose_name} {pk}: {field.verbose_name}")
    return problems


def encrypt_stored(model, names: list[str]) -> int:
    """Write every stored secret of `model` again, encrypted with the first key: secrets saved
    in clear before encryption came in, or under a key being retired. Unreadable ones are left
    as they are (`undecryptable()` names them). Returns how many rows were written."""
    written = 0
    rows = model._default_manager.values_list("pk", *names)
    for pk, *values in rows.iterator():
        changes = {
            name: value
            for name, value in zip(names, values, strict=True)
            if value and not isinstance(value, _Unreadable)
        }
        if changes:
            model._default_manager.filter(pk=pk).update(**changes)
            written += 1
    return written


def encrypt_in_migration(app_label: str, model_name: str, *names: str):
    """A RunPython step that encrypts what an earlier version stored in clear."""

    def forwards(apps, schema_editor):
        encrypt_stored(apps.get_model(app_label, model_name), list(names))

    return forwards
