"""Growth: tracking, worklist, catalogue and officer search latency at 10,000 and 1,000,000 dossiers, side by side.

Each size has its own benchmark database (``bench.dbsetup.sized_database_url``), filled by
``bench.datagen``; the same gunicorn set-up and load generator as ``bench_http`` drive the
three scenarios against each. Index-bound pages stay flat as the data grows a hundredfold.
``BENCH_GROWTH_10M=1`` adds 10,000,000 dossiers (generating them takes about fifteen minutes
the first time). ``--smoke`` compares 1,000 with 2,000.
"""

import os

from bench import bench_http
from bench.dbsetup import default_total

SCENARIOS = [
    "tracking",
    "worklist",
    "procedures_search",
    "officer_search_name",
    "officer_search_id",
    "officer_search_code",
    "worklist_filtered",
]


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def run(smoke: bool) -> dict:
    sizes = [1_000, 2_000] if smoke else [10_000, default_total()]
    if not smoke and os.environ.get("BENCH_GROWTH_10M") == "1":
        sizes.append(10_000_000)
    concurrency = int(os.environ.get("BENCH_HTTP_CONCURRENCY", 2 * bench_http.WORKERS))
    duration = float(os.environ.get("BENCH_HTTP_SECONDS", 1.0 if smoke else 10.0))
    # A fresh server per size: the first requests of a cold worker are not the figure.
    warmup = 1.0 if smoke else 2.0
    by_size = {}
    for n in sizes:
        prepared = bench_http._prepare_database(n)
        results, _extra = bench_http.serve_and_drive(
            prepared,
            SCENARIOS,
            concurrency=concurrency,
            duration=duration,
            warmup=warmup,
            max_requests=20_000 if smoke else 1_000_000,
        )
        by_size[n] = results
    figures: dict = {}
    for name in SCENARIOS:
        row: dict = {}
        for n in sizes:
            result = by_size[n].get(name)
            ok = result is not None and set(result["statuses"]) == {"200"}
            row[f"p50 ms @{_label(n)}"] = round(result["p50_ms"], 1) if ok else None
            row[f"p95 ms @{_label(n)}"] = round(result["p95_ms"], 1) if ok else None
        first, last = row.get(f"p95 ms @{_label(sizes[0])}"), row.get(f"p95 ms @{_label(sizes[-1])}")
        row["p95 growth"] = f"×{last / first:.2f}" if first and last else None
        figures[name] = row
    figures["notes"] = [
        f"sizes {', '.join(f'{n:,}' for n in sizes)} dossiers; gunicorn {bench_http.WORKERS} sync workers, "
        f"{concurrency} connections, {duration:g} s per scenario and size",
        "flat means index-bound: p95 growth near ×1 over a hundredfold more dossiers",
    ]
    return figures
