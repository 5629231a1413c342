"""System checks of SLA Ops that need the database (`manage.py check --database default`)."""

from django.core.checks import Tags, Warning, register


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
