"""Count every objective's daily rollups again from the clocks (objectives.rollup.rebuild), after
a restore or to check them: prints each objective's current figures before and after, and exits
non-zero naming every objective whose figures from its rollups differed from a full recount."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from objectives.figures import count_clocks, counts_between, figures, period_bounds
from objectives.models import Objective
from objectives.rollup import apply_count_changes, rebuild

SHOWN = ("achieved", "breached", "excused", "cancelled", "compliance_percent", "budget_left")


def _line(found) -> str:
    return " ".join(f"{name}={getattr(found, name)}" for name in SHOWN)


class Command(BaseCommand):
    help = (
        "Recount objectives' daily rollups from the clocks and print each objective's current "
        "figures before and after; exit 1 if any objective's rollups disagreed with a recount."
    )

    def add_arguments(self, parser):
        parser.add_argument("--objective", type=int, help="Only this objective (its id).")

    def handle(self, *args, objective=None, **options):
        objectives = Objective.objects.order_by("pk")
        if objective is not None:
            objectives = objectives.filter(pk=objective)
            if not objectives.exists():
                raise CommandError(f"No objective with id {objective}.")
        apply_count_changes()  # what the rollup task would do next anyway
        differ = []
        for each in objectives:
            now = timezone.now()
            start, end = period_bounds(each, now)
            kept = counts_between(each, start, end, now)
            recount = count_clocks(each, start, min(end, now))
            before = figures(each, now)
            rebuild(each)
            after = figures(each, now)
            self.stdout.write(
                f"{each.pk} {each.name} [{start:%Y-%m-%d %H:%M %Z} to {end:%Y-%m-%d %H:%M %Z}]\n"
                f"  before: {_line(before)}\n  after:  {_line(after)}"
            )
            if kept != recount:
                differ.append(
                    f"{each.pk} {each.name}: rollups counted {kept}, the clocks {recount}"
                )
        for line in differ:
            self.stderr.write(line)
        if differ:
            sys.exit(1)
