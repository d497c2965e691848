"""The service-quality index (Decision 766/QĐ-TTg) of a province with 10,000,000 dossiers a year,
from the monthly roll-up: the roll-up rows are generated directly (``MonthlyStat``, agencies ×
channels × 12 months, their counters summing to the dossiers asked for), not the dossiers.

Measures, over a past year (no live day): the province's index (``index_compute``), one
agency's, every agency's (``index_by_agency``) and the public API request. Target: the
province's index under 300 ms (median). ``INDEX_BENCH_DOSSIERS`` (10,000,000; 20,000 with
``--smoke``) and ``INDEX_BENCH_AGENCIES`` (600; 20).
"""

import datetime as dt
import json
import os
import random
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.child import run_child
from bench.database import prepare
from dossiers.models import MonthlyStat
from dossiers.stats import index as quality_index
from procedures.models import Agency

TARGET_MS = 300
YEAR = 2025
PREFIX = "BENCH.IDX."


def _generate(*, dossiers: int, agencies: int) -> int:
    """Replace the benchmark's agencies and their monthly rows; returns the rows written."""
    MonthlyStat.objects.filter(agency__code__startswith=PREFIX).delete()
    Agency.objects.filter(code__startswith=PREFIX).delete()
    province = Agency.objects.create(code=f"{PREFIX}0", name="Tỉnh thử (benchmark)", level="province")
    members = Agency.objects.bulk_create(
        [
            Agency(code=f"{PREFIX}{n}", name=f"Cơ quan thử {n}", level="commune", parent=province)
            for n in range(1, agencies)
        ]
    )
    everyone = [province, *members]
    rng = random.Random(766)
    per_cell = dossiers / (len(everyone) * 12 * 3)
    now = timezone.now()
    rows = []
    for agency in everyone:
        for month in range(1, 13):
            for channel, share in (("online", 1.6), ("counter", 1.1), ("post", 0.3)):
                received = max(0, round(per_cell * share * rng.uniform(0.8, 1.2)))
                resolved = round(received * 0.95)
                late = round(resolved * rng.uniform(0.0, 0.1))
                ratings = round(resolved * 0.3)
                rows.append(
                    MonthlyStat(
                        month=dt.date(YEAR, month, 1),
                        agency=agency,
                        channel=channel,
                        received=received,
                        resolved_early=round((resolved - late) * 0.4),
                        resolved_on_time=resolved - late - round((resolved - late) * 0.4),
                        resolved_late=late,
                        resolved_multi_supplement=round(resolved * 0.01),
                        resolved_e_result=round(resolved * (0.9 if channel == "online" else 0.5)),
                        received_reuse=round(received * 0.3),
                        paid_online=round(received * 0.2),
                        paid_any=round(received * 0.3),
                        documents=received * 3,
                        documents_digitised=round(received * 3 * (0.95 if channel == "online" else 0.6)),
                        documents_exempt=round(received * 0.1),
                        received_synced=round(received * 0.97),
                        rating_very_satisfied=round(ratings * 0.6),
                        rating_satisfied=round(ratings * 0.35),
                        rating_dissatisfied=ratings - round(ratings * 0.6) - round(ratings * 0.35),
                        computed_at=now,
                    )
                )
    MonthlyStat.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE dossiers_monthlystat")
    return len(rows)


def _time(fn, runs: int) -> dict:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"p50_ms": round(statistics.median(timings), 2), "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2)}


def _measure(dossiers: int, agencies: int, runs: int) -> dict:
    started = time.perf_counter()
    rows = _generate(dossiers=dossiers, agencies=agencies)
    generated = time.perf_counter() - started
    period = quality_index.period_parse(str(YEAR))
    ids = frozenset(Agency.objects.filter(code__startswith=PREFIX).values_list("pk", flat=True))
    one = frozenset({min(ids)})
    province = quality_index.index_compute(agency_ids=ids, period=period)
    client = Client()
    code = f"{PREFIX}0"
    figures = {
        "dossiers": sum(r["received"] for r in MonthlyStat.objects.filter(agency_id__in=ids).values("received")),
        "monthly_rows": rows,
        "generated_seconds": round(generated, 1),
        "province_total_points": province["total"],
    }
    with CaptureQueriesContext(connection) as captured:
        quality_index.index_compute(agency_ids=ids, period=period)
    figures["province_queries"] = len(captured.captured_queries)
    timings = {
        "index:province": _time(lambda: quality_index.index_compute(agency_ids=ids, period=period), runs),
        "index:one-agency": _time(lambda: quality_index.index_compute(agency_ids=one, period=period), runs),
        "index:every-agency": _time(lambda: quality_index.index_by_agency(agency_ids=ids, period=period), runs),
        "api:public-index": _time(
            lambda: client.get("/api/v1/stats/public/index/", {"period": str(YEAR), "agency": code}), runs
        ),
    }
    for name, timing in timings.items():
        figures[f"{name} p50_ms"] = timing["p50_ms"]
        figures[f"{name} p95_ms"] = timing["p95_ms"]
    figures["meets_target"] = timings["index:province"]["p50_ms"] < TARGET_MS
    MonthlyStat.objects.filter(agency_id__in=ids).delete()
    Agency.objects.filter(code__startswith=PREFIX, parent__isnull=False).delete()
    Agency.objects.filter(code__startswith=PREFIX).delete()
    return figures


def child(dossiers: str, agencies: str, runs: str) -> None:
    """In the child process (``bench.child``), pointed at the benchmark database."""
    prepare()
    print(json.dumps(_measure(int(dossiers), int(agencies), int(runs))))


def run(smoke: bool) -> dict:
    dossiers = 20_000 if smoke else int(os.environ.get("INDEX_BENCH_DOSSIERS", "10000000"))
    agencies = 20 if smoke else int(os.environ.get("INDEX_BENCH_AGENCIES", "600"))
    runs = 3 if smoke else 30
    return run_child("bench.bench_index", dossiers, agencies, runs, smoke=smoke, what="index", database="default")
