"""`make faults`: 100 citizens filing and tracking and 10 officers receiving, through the API of
the live server on the private PostgreSQL, with a real worker on the private Redis, for
FAULTS_LOAD_SECONDS (300 by default). Ends with 0 server errors and a reconciliation: every code
answered 201 is a dossier with its whole event chain, its acknowledgement pipeline done, its
applicant's notice recorded. Collected only under FAULTS_LOAD=1 (see tests/faults/conftest.py)."""

import csv
import json
import os
import re
import subprocess
import sys
import time

import pytest

from dossiers.models import Dossier, DossierEvent
from portal.constants import OfficerRole
from portal.models import Notification, OutboxMessage
from portal.services import api_token_create
from tests.celery.conftest import celery_broker, wait_for
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.factories import OfficerMembershipFactory, UserFactory
from tests.faults.conftest import ROOT, subprocess_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("faults")]

CITIZENS = int(os.environ.get("FAULTS_LOAD_CITIZENS", "100"))
OFFICERS = int(os.environ.get("FAULTS_LOAD_OFFICERS", "10"))
SECONDS = int(os.environ.get("FAULTS_LOAD_SECONDS", "300"))
# How long the pipelines of what was filed may take to drain after the load (two worker processes
# on a shared machine render, seal and mail every acknowledgement and notice).
FILINGS_PER_CITIZEN = int(os.environ.get("FAULTS_LOAD_FILINGS_PER_CITIZEN", "3"))
DRAIN_SECONDS = int(os.environ.get("FAULTS_LOAD_DRAIN_SECONDS", "900"))


def test_a_load_of_citizens_and_officers_ends_with_no_server_error_and_nothing_lost(
    private_pg, private_redis, fault_worker, smtp_server, live_server, tmp_path, record_property
):
    version = OnlineVersionFactory()
    agency = version.procedure.agencies.first()
    plan = {
        "procedure": version.procedure.code,
        "requirement": version.documents.get().pk,
        "citizens": [api_token_create(user=UserFactory(), name="load")[1] for _ in range(CITIZENS)],
        "officers": [
            api_token_create(
                user=OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user,
                name="load",
                scopes=["dossiers:read", "dossiers:write", "officer"],
                by_operator=True,
            )[1]
            for _ in range(OFFICERS)
        ],
    }
    (tmp_path / "to-khai.pdf").write_bytes(make_pdf())
    plan["pdf"] = str(tmp_path / "to-khai.pdf")
    plan["filings_per_citizen"] = FILINGS_PER_CITIZEN
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    # Every queue, as production's workers together: the slips of received dossiers are sealed
    # in the signing queue.
    # The acknowledgements' and notices' e-mail go to a real SMTP server: an outbox message is
    # done when its last task (the mail) succeeded.
    handler, smtp_port = smtp_server()
    fault_worker(
        broker_url=private_redis.url,
        database_url=private_pg.url,
        smtp_port=smtp_port,
        queues="default,pdf,signing,notifications",
        concurrency=2,
    )
    started = time.monotonic()
    with celery_broker(private_redis.url):
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", "tests/faults/locustfile.py", "--headless", "--only-summary",
             "-u", str(CITIZENS + OFFICERS), "-r", "20", "-t", f"{SECONDS}s", "--host", live_server.url,
             "--csv", str(tmp_path / "load"), "--exit-code-on-error", "0"],
            cwd=ROOT, check=True, timeout=SECONDS + 180,
            env=subprocess_env(FAULTS_LOAD_PLAN=tmp_path / "plan.json", FAULTS_LOAD_CODES=tmp_path / "codes.json",
                               DJANGO_SETTINGS_MODULE="portal.settings.test", PYTHONPATH=ROOT),
        )  # fmt: skip
    load_seconds = time.monotonic() - started
    rows = list(csv.DictReader((tmp_path / "load_stats.csv").open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    failures = list(csv.DictReader((tmp_path / "load_failures.csv").open()))
    # A failure's error starts with the status the locustfile saw ("503: ..."); errors with no
    # status are connection errors.
    server_errors = sum(int(f["Occurrences"]) for f in failures if re.search(r"\b5\d\d: ", f["Error"]))
    codes = json.loads((tmp_path / "codes.json").read_text())
    # Reconciliation: nothing answered 201 is missing, half-written or left without its effects.
    found = Dossier.objects.filter(code__in=codes)
    broken = [d.code for d in found if DossierEvent.objects.filter(dossier=d).count() != d.events_count]
    with celery_broker(private_redis.url):
        done = wait_for(lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(), timeout=DRAIN_SECONDS)
    drain_seconds = time.monotonic() - started - load_seconds
    noticed = set(
        Notification.objects.filter(dossier_code__in=codes, event="message").values_list("dossier_code", flat=True)
    )
    acknowledged = [
        args[0]
        for args in OutboxMessage.objects.filter(task="dossiers.tasks.render_acknowledgement").values_list(
            "args", flat=True
        )
    ]
    report = {
        "users": f"{CITIZENS} citizens + {OFFICERS} officers",
        "load_seconds": round(load_seconds),
        "drain_seconds_after_load": round(drain_seconds),
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "server_errors_5xx": server_errors,
        "median_ms": total["Median Response Time"],
        "p95_ms": total["95%"],
        "dossiers_filed": len(codes),
        "dossiers_lost": len(codes) - found.count(),
        "dossiers_with_events_lost": len(broken),
        # Lost: a filed dossier whose acknowledgement pipeline was never recorded (nothing would
        # ever send it). Pending: recorded, not done yet; the in-app notice of a submission is
        # written by that pipeline, so a pending pipeline is a notice not written yet.
        "pipelines_lost": found.exclude(pk__in=acknowledged).count(),
        "outbox_not_done": OutboxMessage.objects.filter(done_at__isnull=True).count(),
        "outbox_with_error": OutboxMessage.objects.exclude(last_error="").count(),
        "notices_not_yet_written": len(set(codes) - noticed),
        "emails_sent": len(handler.messages),
        "uptime_after": subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip(),
    }
    for key, value in report.items():
        record_property(f"load_{key}", value)
    print("\nfaults load:", json.dumps(report, ensure_ascii=False))  # noqa: T201 - the run's figures, for README
    assert report["requests"] > 0
    assert report["failures"] == 0 and server_errors == 0, failures[:5]
    assert report["dossiers_lost"] == 0 and broken == [] and report["pipelines_lost"] == 0
    waiting = OutboxMessage.objects.filter(done_at__isnull=True).values_list("task", "attempts", "last_error")
    assert done, list(waiting[:10])
    assert noticed == set(codes)
