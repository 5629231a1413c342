"""manage.py seed_demo: load the demo configuration and people (safe to run again)."""

from django.core.management.base import BaseCommand

from slaops.demo import seed_demo
from slaops.demo_logins import logins_path


class Command(BaseCommand):
    help = (
        "Load demo calendars, tiers, policies, customers and a demo manager and agent, whose "
        "random passwords go to var/demo-logins.txt (shown by `manage.py demo_logins`)."
    )

    def handle(self, *args, **options):
        report = seed_demo()
        if report.created:
            self.stdout.write("Demo data: created " + "; ".join(report.created) + ".")
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        if report.new_passwords:
            self.stdout.write(
                f"New passwords for {', '.join(report.new_passwords)} written to {logins_path()}."
            )
