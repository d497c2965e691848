"""The deadline sweep at scale: one run over N open dossiers (1,000,000 by default).

Prepares the benchmark database and tops it up with ``bench.datagen`` (``SWEEP_BENCH_DOSSIERS``
overrides N; 2,000 with ``--smoke``). Earlier sweeps are simulated by marking every dossier and
step already due, as a sweep running every five minutes would have left them; then
``NEWLY_DUE`` dossiers (and their steps) are moved to "just became due" and one sweep runs in a
fresh process: it must find exactly those, notify their people and mark them. A second sweep
must find nothing. Prints both durations, the rows marked, the notifications written and the
process's peak resident memory. Targets: under 30 s and under 300 MB.
"""

import json
import os
import resource
import time

from django.db import connection
from django.utils import timezone

from bench.child import run_child
from bench.database import prepare
from bench.datagen import generate
from dossiers.models import Dossier
from dossiers.services.deadlines import deadlines_sweep, sweep_horizon
from portal.models import Notification

NEWLY_DUE = 200
TARGET_SECONDS = 30
TARGET_MB = 300


def _measure(newly_due: int) -> dict:
    now = timezone.now()
    horizon = sweep_horizon(now)
    with connection.cursor() as cur:
        # What earlier runs would have marked: everything open and already within the horizon.
        cur.execute(
            "UPDATE dossiers_dossier SET due_soon_at = %s, escalated_at = CASE WHEN due_at < %s THEN %s END "
            "WHERE status_code IN (2, 4) AND due_at <= %s",
            [now, now, now, horizon],
        )
        cur.execute(
            "UPDATE dossiers_dossierstep SET due_soon_notified_at = %s, "
            "overdue_notified_at = CASE WHEN due_at < %s THEN %s END "
            "WHERE finished_at IS NULL AND due_at <= %s",
            [now, now, now, horizon],
        )
        # The dossiers that have just become due since the last run.
        cur.execute(
            "WITH picked AS (SELECT id FROM dossiers_dossier WHERE status_code IN (2, 4) AND due_at > %s "
            "ORDER BY id LIMIT %s) "
            "UPDATE dossiers_dossier d SET due_at = %s - interval '1 minute', due_soon_at = NULL, escalated_at = NULL "
            "FROM picked WHERE d.id = picked.id RETURNING d.id",
            [horizon, newly_due, now],
        )
        picked = [row[0] for row in cur.fetchall()]
        cur.execute(
            "UPDATE dossiers_dossierstep SET due_at = %s - interval '1 minute', due_soon_notified_at = NULL, "
            "overdue_notified_at = NULL WHERE finished_at IS NULL AND dossier_id = ANY(%s)",
            [now, picked],
        )
        cur.execute("ANALYZE dossiers_dossier")
        cur.execute("ANALYZE dossiers_dossierstep")
    open_dossiers = Dossier.objects.filter(status_code__in=[2, 4]).count()
    notifications_before = Notification.objects.count()
    started = time.perf_counter()
    first = deadlines_sweep(now=now)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = deadlines_sweep(now=now)
    second_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "dossiers": Dossier.objects.count(),
        "open dossiers (status 2 and 4)": open_dossiers,
        "newly due": len(picked),
        "sweep": {
            "seconds": round(first_seconds, 2),
            "dossiers marked": first.dossiers_due_soon + first.dossiers_escalated,
            "steps marked": first.steps_due_soon + first.steps_overdue,
            "notifications": Notification.objects.count() - notifications_before,
        },
        "sweep again": {
            "seconds": round(second_seconds, 2),
            "dossiers marked": second.dossiers_due_soon + second.dossiers_escalated,
            "steps marked": second.steps_due_soon + second.steps_overdue,
            "notifications": 0,
        },
        "peak resident MB": round(peak_mb, 1),
        "meets_target": first_seconds < TARGET_SECONDS
        and peak_mb < TARGET_MB
        and second.as_dict()
        == {
            "steps_due_soon": 0,
            "steps_overdue": 0,
            "dossiers_due_soon": 0,
            "dossiers_escalated": 0,
            "notifications": 0,
        },
        "notes": [f"targets: under {TARGET_SECONDS} s and {TARGET_MB} MB for one sweep"],
    }


def child(total: str, newly_due: str) -> None:
    """In the child process (``bench.child``), pointed at the benchmark database."""
    prepare()
    generate(total=int(total))
    print(json.dumps(_measure(int(newly_due))))


def run(smoke: bool) -> dict:
    total = 2_000 if smoke else int(os.environ.get("SWEEP_BENCH_DOSSIERS", "1000000"))
    newly_due = 5 if smoke else NEWLY_DUE
    return run_child("bench.bench_sweep", total, newly_due, smoke=smoke, what="sweep", database="default")
