"""manage.py seed_demo: load the demo configuration and people (safe to run again)."""

import logging
import os

from django.core.management.base import BaseCommand

from slaops.demo import seed_demo
from slaops.demo_logins import logins_path
from slaops.demo_operator import OPERATOR, OPERATOR_LABEL


class Command(BaseCommand):
    help = (
        "Load demo calendars, tiers, policies, customers and a demo manager and agent, whose "
        "random passwords go to var/demo-logins.txt (shown by `manage.py demo_logins`); and, "
        "when HOST is loopback, an operator (superuser) whose password is printed once."
    )

    def handle(self, *args, **options):
        # The demo's threads queue alert deliveries; django-q2 logs each ("Enqueued [slaops] 3"),
        # which reads like an error in `make run`'s output.
        logging.getLogger("django-q").setLevel(logging.WARNING)
        report = seed_demo(host=os.environ.get("HOST") or "127.0.0.1")
        if report.created:
            self.stdout.write("Demo data: created " + "; ".join(report.created) + ".")
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        if report.new_passwords:
            self.stdout.write(
                f"New passwords for {', '.join(report.new_passwords)} written to {logins_path()}."
            )
        if report.operator_password:
            self.stdout.write(
                f"{OPERATOR_LABEL}: {OPERATOR} / {report.operator_password}\n"
                "  Shown this once and kept nowhere: note it now (`manage.py changepassword "
                f"{OPERATOR}` sets a new one)."
            )
        if report.operator_skipped:
            self.stdout.write(report.operator_skipped)
