"""Benchmark: what one read of /metrics' database figures costs at 10k and 1M running clocks.

The web `/metrics` reads its figures from the database through one cached collector
(slaops/metrics/figures.py): the evaluator lag and delivery backlog (index heads), the running
clocks by metric and state (a count over the partial index of migration threads/0015), the
objectives' budgets and the task clusters. The read happens once per cache period for all
workers and scrapes, not per scrape. Goal: a read at 1M within 1 s, so a scrape that finds the
cache cold still answers well within Prometheus' default 10 s scrape timeout.

Seeded with the evaluator bench's rows (bench/evaluator.py: one thread and one running clock
per row, reused when already there); the baseline is the same read at 10,000.

Run from the repository root:
  .venv/bin/python bench/metrics_figures.py [sizes…]
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.django_setup import load_average, setup  # noqa: E402

READS = 7
GOAL_S = 1.0


def timed(read) -> tuple[float, float]:
    read()  # warm the caches of the database
    took = []
    for _ in range(READS):
        started = time.perf_counter()
        read()
        took.append(time.perf_counter() - started)
    return statistics.median(took), max(took)


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 1_000_000]
    setup(name="evaluator")  # the evaluator bench's database and rows
    from django.db import connection
    from django.utils import timezone

    from bench import evaluator
    from slaops.metrics import figures

    print("$ .venv/bin/python bench/metrics_figures.py", " ".join(sys.argv[1:]))
    print(f"PostgreSQL {connection.pg_version // 10000}; median and max of {READS} reads")
    print()
    print(f"{'running clocks':>15}  {'what':<28}{'median ms':>10}{'max ms':>9}{'seed s':>8}")
    print("-" * 72)
    results = {}
    for running in sizes:
        seeded = evaluator.seed(running)
        for what, read in (
            ("running clocks by state", figures.running_clocks),
            ("every figure (one read)", lambda: figures.take(timezone.now())),
        ):
            median, most = timed(read)
            results[(running, what)] = median
            print(
                f"{running:>15,}  {what:<28}{median * 1000:>10.1f}{most * 1000:>9.1f}{seeded:>8.1f}"
            )
    print()
    first, last = sizes[0], sizes[-1]
    whole = "every figure (one read)"
    ratio = results[(last, whole)] / results[(first, whole)]
    ok = results[(last, whole)] <= GOAL_S
    print(
        f"ratio {last:,}/{first:,}: {ratio:.1f}; one read at {last:,}: "
        f"{results[(last, whole)]:.3f} s (goal <= {GOAL_S:.0f} s): {'PASS' if ok else 'FAIL'}"
    )
    print(load_average())


if __name__ == "__main__":
    main()
