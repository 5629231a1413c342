"""manage.py ensure_schedules: write the periodic tasks of slaops/schedules.py (idempotent)."""

from django.core.management.base import BaseCommand

from slaops.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (evaluator, delivery, housekeeping)."

    def handle(self, *args, **options):
        self.stdout.write("Schedules: " + ", ".join(ensure_schedules()))
