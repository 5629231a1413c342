"""Every periodic task of SLA Ops, in one place: an operator reads the timetable here.

`ensure_schedules()` upserts django-q2 `Schedule` rows by name; it runs after every migrate and
from `make run`, so changing a setting (SLA_EVALUATE_EVERY) and migrating updates the timetable.
"""

from django.conf import settings
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
            "name": "sla-housekeeping",
            "func": "threads.tasks.housekeeping",
            "schedule_type": Schedule.DAILY,
            "minutes": None,
        },
    ]


def ensure_schedules() -> list[str]:
    from django_q.models import Schedule

    names = []
    for entry in timetable():
        name = entry.pop("name")
        schedule, created = Schedule.objects.update_or_create(
            name=name, defaults={**entry, "repeats": -1}
        )
        if created or schedule.next_run is None:
            Schedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now())
        names.append(name)
    return names


def ensure_schedules_after_migrate(sender, **kwargs) -> None:
    ensure_schedules()
