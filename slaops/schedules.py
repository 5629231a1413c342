"""Every periodic task of SLA Ops, in one place: an operator reads the timetable here.

`ensure_schedules()` upserts django-q2 `Schedule` rows by name. It runs after every `migrate`
(so the timetable exists wherever the database does), when a cluster starts (so a changed
setting such as SLA_EVALUATE_EVERY reaches the schedule) and from `make run`; `manage.py check
--database default` warns when a schedule is missing or out of date (slaops/checks.py).
"""

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone


def timetable() -> list[dict]:
    from django_q.models import Schedule

    return [
        {
            "name": "sla-evaluate",
            "func": "threads.tasks.evaluate",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.SLA_EVALUATE_EVERY,
        },
        {
            "name": "sla-deliver",
            "func": "threads.tasks.deliver",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        {
            "name": "objectives-evaluate",  # rollups, closed periods, budget alerts
            "func": "objectives.tasks.evaluate_objectives",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        {
            "name": "mail-poll",
            "func": "mail.tasks.poll",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.MAIL_POLL_EVERY,
        },
        {
            "name": "mail-send",
            "func": "mail.tasks.send",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        {
            "name": "slack-send",  # replies into Slack whose retry time has come
            "func": "slackapp.tasks.send_due",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        {
            # Slack messages the events missed (an outage, a lost event); also at a cluster's
            # start (RUN_AT_START). Rate-limit aware: a 429 waits Slack's Retry-After.
            "name": "slack-catch-up",
            "func": "slackapp.tasks.catch_up",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
        },
        {
            # Operator alerts: a channel or mailbox failing, the evaluator lagging; each
            # incident once, then "recovered" (slaops/health/incidents.py).
            "name": "sla-operator-alerts",
            "func": "slaops.health.incidents.run_operator_alerts",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        {
            "name": "sla-housekeeping",
            "func": "threads.tasks.housekeeping",
            "schedule_type": Schedule.DAILY,
            "minutes": None,
        },
    ]


# Schedules that also run as soon as the timetable is written (a cluster's start, a migrate).
RUN_AT_START = {"slack-catch-up"}
# Tasks a task cluster queues as it starts, instead of waiting for django-q2's scheduler, whose
# first look for due schedules comes 30 s after a start: the evaluator (its chain), so the first
# alerts and the health banner's "no evaluation has completed yet" do not wait on it.
QUEUED_AT_START = ("threads.tasks.evaluate",)


def queue_at_start() -> None:
    from django_q.tasks import async_task

    for func in QUEUED_AT_START:
        async_task(func)


def ensure_schedules(using: str = "default") -> list[str]:
    from django_q.models import Schedule

    names = []
    for entry in timetable():
        name = entry.pop("name")
        schedule, created = Schedule.objects.using(using).update_or_create(
            name=name, defaults={**entry, "repeats": -1}
        )
        if created or schedule.next_run is None or name in RUN_AT_START:
            Schedule.objects.using(using).filter(pk=schedule.pk).update(next_run=timezone.now())
        names.append(name)
    return names


def timetable_gaps(using: str = "default") -> list[str]:
    """Names of the timetable's schedules that are missing or differ from it ([] when whole)."""
    from django_q.models import Schedule

    saved = {
        row["name"]: row
        for row in Schedule.objects.using(using).values(
            "name", "func", "schedule_type", "minutes", "repeats"
        )
    }
    gaps = []
    for entry in timetable():
        row = saved.get(entry["name"])
        wanted = {**entry, "repeats": -1}
        if row is None or any(row[field] != value for field, value in wanted.items()):
            gaps.append(entry["name"])
    return gaps


def schedule_table_exists(using: str) -> bool:
    from django_q.models import Schedule

    connection = connections[using]
    with connection.cursor() as cursor:
        return Schedule._meta.db_table in connection.introspection.table_names(cursor)


def ensure_schedules_after_migrate(app_config, using, **kwargs) -> None:
    """post_migrate handler, connected for every app: Django sends the signal once per app with
    models, so it acts on the last one (every table migrated by then), and only if django-q2's
    tables exist (`migrate django_q zero` leaves none to write to)."""
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if app_config is last and schedule_table_exists(using):
        ensure_schedules(using)
