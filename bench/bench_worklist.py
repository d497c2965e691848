"""Officer worklists at scale: page and API latency for busy officers over N dossiers.

Prepares the benchmark database (``bench.database``: migrated, demo data), tops it up to N
dossiers with ``bench.datagen`` (1,000,000 by default, ``WORKLIST_BENCH_DOSSIERS``
overrides; 2,000 with ``--smoke``), then, in a separate process pointed at that database,
requests every worklist page and its API for the demo leader, department head and
specialist of the busiest demo agency with Django's test client (in-process: the figures
are the application's and the database's time, without a network hop). Reports median and
p95 per list, the SQL queries per request, the cold cost of the navigation counts, and the
indexes the list's SQL plans use. Target: median under 100 ms.
"""

import json
import os
import re
import statistics
import sys
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.child import run_child
from bench.database import prepare, sign_in_with_both_factors
from bench.datagen import generate
from dossiers import worklists
from dossiers.models import Dossier
from portal.models import User

TARGET_MS = 100
OFFICERS = ("leader@example.com", "head@example.com", "specialist@example.com")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _indexes(plan: str) -> str:
    """Names of the indexes a plan scans ("seq" when it scans a table instead)."""
    found = re.findall(r"Index(?: Only)? Scan(?: Backward)? using (\w+)|Bitmap Index Scan on (\w+)", plan)
    names = sorted({a or b for a, b in found})
    if re.search(r"Seq Scan on dossiers_dossier\b", plan):
        names.append("SEQ dossiers_dossier")
    return "+".join(names) or "—"


def _measure(requests: int) -> dict:
    """Runs in the child process, with DATABASE_URL pointing at the benchmark database."""
    figures: dict = {"dossiers": Dossier.objects.count(), "requests_per_scenario": requests, "target_median_ms": 100}
    plans: dict[str, str] = {}
    worst_median = 0.0
    # A smoke run only proves the path works: the leader alone, who sees most lists.
    for email in OFFICERS[:1] if requests <= 3 else OFFICERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
        who = email.split("@")[0]
        scope = worklists.officer_scope(user=user)
        cold = []
        for _ in range(max(3, requests // 10)):
            started = time.perf_counter()
            counts = worklists.worklist_counts(user=user, use_cache=False)
            cold.append((time.perf_counter() - started) * 1000)
        figures[f"{who}:counts(cold)"] = {
            "p50 ms": round(statistics.median(cold), 1),
            "p95 ms": round(_percentile(cold, 95), 1),
            "queries": None,
            "rows": sum(counts.values()),
        }
        client = Client()
        sign_in_with_both_factors(client, user)
        for name in scope.names:
            plans[name] = plans.get(name) or _indexes(worklists.worklist_keys_query(scope=scope, name=name).explain())
            for door, path in (("page", f"/officer/worklists/{name}/"), ("api", f"/api/v1/officer/worklists/{name}/")):
                client.get(path)  # warm: session, counts in the menu, connection
                times = []
                for n in range(requests):
                    started = time.perf_counter()
                    if n == 0:
                        with CaptureQueriesContext(connection) as captured:
                            response = client.get(path)
                        queries = len(captured)
                    else:
                        response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                median = statistics.median(times)
                worst_median = max(worst_median, median)
                figures[f"{who}:{name}:{door}"] = {
                    "p50 ms": round(median, 1),
                    "p95 ms": round(_percentile(times, 95), 1),
                    "queries": queries,
                    "rows": counts.get(name),
                }
    figures["worst_median_ms"] = round(worst_median, 1)
    figures["meets_target"] = worst_median < TARGET_MS
    figures["notes"] = [f"plan of {name}: {indexes}" for name, indexes in plans.items()]
    return figures


def child(total: str, requests: str) -> None:
    """In the child process (``bench.child``), pointed at the benchmark database."""
    info = prepare()
    generated = generate(total=int(total), verbose=True)
    print(f"bench database {info['database_url']}: {generated}", file=sys.stderr)
    figures = _measure(int(requests))
    figures["generated_seconds"] = generated["seconds"]
    print(json.dumps(figures))


def run(smoke: bool) -> dict:
    total = 2_000 if smoke else int(os.environ.get("WORKLIST_BENCH_DOSSIERS", "1000000"))
    requests = 3 if smoke else 50
    return run_child("bench.bench_worklist", total, requests, smoke=smoke, what="worklist", database="default")
