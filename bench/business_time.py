"""Benchmark: deadlines per second of Calendar.add against businesstimedelta, by target length.

Run from the repository root: .venv/bin/python bench/business_time.py
"""

import os
import random
import shlex
import statistics
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import businesstimedelta  # noqa: E402
import holidays  # noqa: E402
import pytz  # noqa: E402

from policies.business_time import Calendar  # noqa: E402

TARGET_HOURS = [1, 8, 40, 200, 2000]
STARTS = 1000
SEED = 2026
SECONDS_PER_ROW = 0.6  # per library and target
AGREEMENT_STARTS = 200
# The spec asks for 2026-2028. businesstimedelta scans forward for the *next* holiday and crashes
# when there is none (a 2000 h target from late 2027 ends in late 2028), so 2029 is included too.
HOLIDAY_YEARS = range(2026, 2030)


def random_starts(n, seed):
    rng = random.Random(seed)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    span = int((datetime(2028, 1, 1, tzinfo=UTC) - first).total_seconds())
    return [first + timedelta(seconds=rng.randrange(span)) for _ in range(n)]


def ops_per_second(fn, starts, budget):
    """Median rate over chunks of ~20 ms, run for about `budget` seconds."""
    size, i = 1, 0
    while True:  # calibrate a chunk size that takes about 20 ms
        t0 = clock.perf_counter()
        for _ in range(size):
            fn(starts[i % len(starts)])
            i += 1
        if clock.perf_counter() - t0 >= 0.02:
            break
        size *= 2
    rates, deadline = [], clock.perf_counter() + budget
    while clock.perf_counter() < deadline or len(rates) < 3:
        t0 = clock.perf_counter()
        for _ in range(size):
            fn(starts[i % len(starts)])
            i += 1
        rates.append(size / (clock.perf_counter() - t0))
    return statistics.median(rates)


def main():
    python = os.path.relpath(sys.executable)
    print(f"$ {shlex.join([python, *sys.argv])}")
    one, five, fifteen = os.getloadavg()
    print(
        f"# load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores at the start"
    )
    began = clock.perf_counter()

    de_holidays = frozenset(holidays.country_holidays("DE", years=HOLIDAY_YEARS))
    ours = Calendar(
        "Europe/Berlin",
        weekly={d: [(time(9), time(17))] for d in range(5)},
        holidays=de_holidays,
    )
    berlin = pytz.timezone("Europe/Berlin")
    theirs = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=time(9), end_time=time(17), working_days=[0, 1, 2, 3, 4], tz=berlin
            ),
            businesstimedelta.HolidayRule(set(de_holidays), tz=berlin),
        ]
    )
    starts = random_starts(STARTS, SEED)
    print(
        f"Europe/Berlin Mon-Fri 09:00-17:00, {len(de_holidays)} German public holidays "
        f"({HOLIDAY_YEARS.start}-{HOLIDAY_YEARS.stop - 1}); {STARTS} pseudo-random starts in "
        f"2026-2027 (seed {SEED}); ~{SECONDS_PER_ROW} s per cell, median of ~20 ms chunks."
    )

    for hours in TARGET_HOURS:  # warm our per-year tables so rows time queries, not builds
        for start in starts:
            ours.add(start, timedelta(hours=hours))
    print("Calendar caches warm (year tables for 2026-2029 built before timing).")

    agree = {}
    for hours in (1, 8, 40):
        delta = businesstimedelta.BusinessTimeDelta(theirs, hours=hours)
        same = sum(
            ours.add(s, timedelta(hours=hours)) == s + delta for s in starts[:AGREEMENT_STARTS]
        )
        agree[hours] = same
    print(
        "Agreement with businesstimedelta: "
        + ", ".join(f"{h}h {n}/{AGREEMENT_STARTS}" for h, n in agree.items())
    )
    print()

    header = f"{'target':>7} | {'ours ops/s':>12} | {'businesstimedelta ops/s':>23} | {'ratio':>8}"
    print(header)
    print("-" * len(header))
    results = {}
    for hours in TARGET_HOURS:
        target = timedelta(hours=hours)
        delta = businesstimedelta.BusinessTimeDelta(theirs, hours=hours)
        ours_rate = ops_per_second(lambda s, t=target: ours.add(s, t), starts, SECONDS_PER_ROW)
        theirs_rate = ops_per_second(lambda s, d=delta: s + d, starts, SECONDS_PER_ROW)
        results[hours] = (ours_rate, theirs_rate)
        print(
            f"{hours:>6}h | {ours_rate:>12,.0f} | {theirs_rate:>23,.1f} | "
            f"{ours_rate / theirs_rate:>7,.0f}x"
        )
    print()

    speedup_40h = results[40][0] / results[40][1]
    cost_growth = results[1][0] / results[2000][0]  # cost(2000h) / cost(1h)
    all_agree = all(n == AGREEMENT_STARTS for n in agree.values())
    print(
        f"Goals: >= 30x at 40h: {speedup_40h:,.0f}x {'PASS' if speedup_40h >= 30 else 'FAIL'}; "
        f"2000h cost within 1.5x of 1h cost: {cost_growth:.2f}x "
        f"{'PASS' if cost_growth <= 1.5 else 'FAIL'}; "
        f"agreement {'PASS' if all_agree else 'FAIL'}"
    )
    print(f"(bench took {clock.perf_counter() - began:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
