"""System checks that need the database (`manage.py check --database default`, and every
`migrate`): stored secrets that no configured key opens."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def secrets_readable(app_configs, databases=None, **kwargs):
    from slaops.secrets import undecryptable

    if not databases:
        return []
    try:
        problems = undecryptable()
    except DatabaseError:
        return []  # tables not there yet (before the first migrate)
    return [
        Warning(
            f"{problem} cannot be decrypted with SECRET_KEY / FIELD_ENCRYPTION_KEYS: it is "
            "treated as empty. Put the key it was saved with back (SECRET_KEY_FALLBACKS, or "
            "after the first FIELD_ENCRYPTION_KEYS), or type the secret again.",
            id="slaops.W101",
        )
        for problem in problems
    ]
