"""manage.py seed_demo: load the demo configuration and people (safe to run again)."""

from django.core.management.base import BaseCommand

from slaops.demo import AGENT_LOGIN, MANAGER_LOGIN, seed_demo


class Command(BaseCommand):
    help = "Load demo calendars, tiers, policies, customers and a demo manager and agent."

    def handle(self, *args, **options):
        report = seed_demo()
        if report.created:
            self.stdout.write("Demo data: created " + "; ".join(report.created) + ".")
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(
            f"Logins: manager {MANAGER_LOGIN[0]} / {MANAGER_LOGIN[1]}, "
            f"agent {AGENT_LOGIN[0]} / {AGENT_LOGIN[1]}"
        )
