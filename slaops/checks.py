"""System checks of SLA Ops that need the database (`manage.py check --database default`, and
every `migrate`): the task timetable, and stored secrets that no configured key opens."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def timetable_complete(app_configs=None, databases=None, **kwargs):
    from slaops.schedules import schedule_table_exists, timetable_gaps

    warnings = []
    for using in databases or []:
        if not schedule_table_exists(using):
            continue  # not migrated yet: migrate writes the timetable
        gaps = timetable_gaps(using)
        if gaps:
            warnings.append(
                Warning(
                    "The task timetable is incomplete: "
                    + ", ".join(gaps)
                    + " missing or out of date: those periodic tasks do not run as configured "
                    "(slaops/schedules.py).",
                    hint="Run `manage.py ensure_schedules` (migrate and qcluster also do it).",
                    id="slaops.W001",
                )
            )
    return warnings


@register(Tags.database)
def secrets_readable(app_configs=None, databases=None, **kwargs):
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
