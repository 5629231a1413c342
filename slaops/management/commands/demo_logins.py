"""manage.py demo_logins: print the demo people's logins kept by seed_demo (for `make run`)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from slaops.demo import DEMO_PEOPLE
from slaops.demo_logins import logins_path, read_logins
from slaops.demo_operator import OPERATOR, OPERATOR_LABEL


class Command(BaseCommand):
    help = "Print the demo logins from var/demo-logins.txt (written by seed_demo)."

    def handle(self, *args, **options):
        logins = read_logins()
        if not logins:
            raise CommandError(f"No demo logins in {logins_path()}: run `manage.py seed_demo`.")
        width = max(len(label) for label in [OPERATOR_LABEL, *(p.label for p in DEMO_PEOPLE)]) + 1
        for person in DEMO_PEOPLE:
            if person.username in logins:
                self.stdout.write(
                    f"  {person.label + ':':<{width}} {person.username} / {logins[person.username]}"
                )
        if get_user_model().objects.filter(username=OPERATOR, is_superuser=True).exists():
            # Its password was printed once by seed_demo and is kept nowhere.
            self.stdout.write(
                f"  {OPERATOR_LABEL + ':':<{width}} {OPERATOR} / (printed once when made; "
                f"`manage.py changepassword {OPERATOR}` sets a new one)"
            )
        self.stdout.write(f"  (kept in {logins_path()}, readable by you only)")
