"""`make faults`: 100 citizens filing and tracking and 10 officers receiving, through the API of
the live server on the private PostgreSQL, with a real worker on the private Redis, for
FAULTS_LOAD_SECONDS (300 by default). Ends with 0 server errors and a reconciliation: every code
answered 201 is a dossier with its whole event chain, its acknowledgement pipeline done, its
applicant's notice recorded. Collected only under FAULTS_LOAD=1 (see tests/faults/conftest.py)."""

import csv
import json
import os
import subprocess
import sys

import pytest

from dossiers.models import Dossier, DossierEvent
from portal.constants import OfficerRole
from portal.models import Notification, OutboxMessage
from portal.services import api_token_create
from tests.celery.conftest import celery_broker, wait_for
from tests.dossiers.factories import OnlineVersionFactory
from tests.factories import OfficerMembershipFactory, UserFactory
from tests.faults.conftest import ROOT, subprocess_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("faults")]

CITIZENS = int(os.environ.get("FAULTS_LOAD_CITIZENS", "100"))
OFFICERS = int(os.environ.get("FAULTS_LOAD_OFFICERS", "10"))
SECONDS = int(os.environ.get("FAULTS_LOAD_SECONDS", "300"))


def test_a_load_of_citizens_and_officers_ends_with_no_server_error_and_nothing_lost(
    private_pg, private_redis, fault_worker, live_server, tmp_path, record_property
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
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    fault_worker(broker_url=private_redis.url, database_url=private_pg.url, concurrency=2)
    with celery_broker(private_redis.url):
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", "tests/faults/locustfile.py", "--headless", "--only-summary",
             "-u", str(CITIZENS + OFFICERS), "-r", "20", "-t", f"{SECONDS}s", "--host", live_server.url,
             "--csv", str(tmp_path / "load"), "--exit-code-on-error", "0"],
            cwd=ROOT, check=True, timeout=SECONDS + 180,
            env=subprocess_env(FAULTS_LOAD_PLAN=tmp_path / "plan.json", FAULTS_LOAD_CODES=tmp_path / "codes.json",
                               DJANGO_SETTINGS_MODULE="portal.settings.test", PYTHONPATH=ROOT),
        )  # fmt: skip
    rows = list(csv.DictReader((tmp_path / "load_stats.csv").open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    record_property("load_requests", total["Request Count"])
    record_property("load_failures", total["Failure Count"])
    record_property("load_median_ms", total["Median Response Time"])
    record_property("load_p95_ms", total["95%"])
    failures = list(csv.DictReader((tmp_path / "load_failures.csv").open()))
    assert int(total["Request Count"]) > 0
    assert total["Failure Count"] == "0", failures[:5]
    codes = json.loads((tmp_path / "codes.json").read_text())
    record_property("load_dossiers", len(codes))
    # Reconciliation: nothing answered 201 is missing, half-written or left without its effects.
    assert Dossier.objects.filter(code__in=codes).count() == len(codes)
    broken = [
        d.code
        for d in Dossier.objects.filter(code__in=codes)
        if DossierEvent.objects.filter(dossier=d).count() != d.events_count
    ]
    assert broken == []
    with celery_broker(private_redis.url):
        done = wait_for(lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(), timeout=300)
    assert done, OutboxMessage.objects.filter(done_at__isnull=True).count()
    noticed = set(
        Notification.objects.filter(dossier_code__in=codes, event="message").values_list("dossier_code", flat=True)
    )
    assert noticed == set(codes)
