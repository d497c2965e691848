"""Benchmark of the working-time calendar: many due-date computations, days up to 365.

Self-contained: it builds calendars in memory (the package's holidays plus a year of
exceptions), so it needs Django settings but no database. ``run(smoke=True)`` is a quick check.
"""

import datetime as dt
import json
import random
import statistics
import time

from procedures.calendar import TZ, WorkingCalendar, package_holidays


def run(smoke: bool) -> dict:
    count = 300 if smoke else 20_000
    rng = random.Random(2026)  # deterministic workload
    exceptions = {dt.date(2026, 3, 7): True, dt.date(2026, 3, 9): False, dt.date(2027, 2, 13): True}
    origin = dt.datetime(2025, 1, 1, tzinfo=TZ)
    cases = [
        (
            origin + dt.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60)),
            rng.choice((0, 1, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 180, 365)),
            rng.choice((0, 0, 0, 4, 8, 24)),
            rng.choice((0, 0, 30, 480, 2400)),
        )
        for _ in range(count)
    ]

    started = time.perf_counter()
    for year in range(2025, 2030):
        package_holidays(year)
    holidays_seconds = time.perf_counter() - started

    calendar = WorkingCalendar(exceptions=exceptions)
    timings = []
    started = time.perf_counter()
    for received, days, hours, paused in cases:
        one = time.perf_counter()
        calendar.due_datetime(received, days=days, hours=hours, paused_minutes=paused)
        timings.append(time.perf_counter() - one)
    total = time.perf_counter() - started

    # The worst case asked for: 365 working days, a fresh calendar each time (cold caches).
    cold_runs = 20 if smoke else 200
    started = time.perf_counter()
    for index in range(cold_runs):
        WorkingCalendar(exceptions=exceptions).due_datetime(cases[index % count][0], days=365)
    cold_seconds = time.perf_counter() - started

    timings.sort()
    return {
        "computations": count,
        "total_seconds": round(total, 4),
        "per_second": round(count / total) if total else None,
        "mean_us": round(statistics.fmean(timings) * 1e6, 1),
        "p95_us": round(timings[int(0.95 * (count - 1))] * 1e6, 1),
        "max_us": round(timings[-1] * 1e6, 1),
        "cold_365_days_mean_ms": round(cold_seconds / cold_runs * 1000, 3),
        "package_holidays_5_years_ms": round(holidays_seconds * 1000, 2),
    }


def child(*argv: str) -> None:
    """``python -m bench.child bench.bench_calendar [--smoke]``: this benchmark alone."""
    print(json.dumps(run(smoke="--smoke" in argv), indent=2))
