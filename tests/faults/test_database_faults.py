"""The database and the broker going away under real traffic: a private PostgreSQL cluster
stopped and started again during a burst of API filings and officer actions (served over HTTP
by the live server), and a private Redis down during filings. Requests fail with 503 and
``Retry-After``, never a traceback; afterwards a reconciliation finds no half-written dossier,
event or file, no gap in the dossier codes, and every submission's pipeline done once."""

import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings

from dossiers.models import Dossier, DossierEvent, Slip, StoredDocument
from portal.constants import OfficerRole
from portal.models import OutboxMessage
from portal.services import api_token_create
from portal.services.outbox import outbox_publish_pending
from tests.celery.conftest import celery_broker, wait_for
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.factories import OfficerMembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("faults")]

OK_FILING, OK_ACTION = {201, 200}, {200}


def _token(user, **kwargs) -> str:
    return api_token_create(user=user, name="faults", **kwargs)[1]


def _files() -> set[str]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def desk(private_pg):
    version = OnlineVersionFactory()
    requirement = version.documents.get()
    agency = version.procedure.agencies.first()
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    officer_token = _token(officer, scopes=["dossiers:read", "dossiers:write", "officer"], by_operator=True)
    citizens = [_token(UserFactory()) for _ in range(4)]
    return version, requirement, officer_token, citizens


def _file(base: str, token: str, version, requirement, key: str):
    return requests.post(
        f"{base}/api/v1/dossiers/",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Accept-Language": "vi"},
        data={"procedure": version.procedure.code, "data": json.dumps({"full_name": "Lê Văn Lỗi"})},
        files={f"documents[{requirement.pk}]": ("to-khai.pdf", make_pdf(), "application/pdf")},
        timeout=30,
    )


def _receive(base: str, token: str, code: str):
    return requests.post(
        f"{base}/api/v1/dossiers/{code}/actions/",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        json={"action": "receive"},
        timeout=30,
    )


def _reconcile(codes: set[str], files_before: set[str]) -> None:
    """Nothing half-written: every answered code is a dossier with its whole event chain and its
    files; no file without its row; the codes of each unit and day run without a gap."""
    dossiers = list(Dossier.objects.exclude(code=None).exclude(code=""))
    assert codes <= {d.code for d in dossiers}
    for dossier in dossiers:
        events = DossierEvent.objects.filter(dossier=dossier).count()
        assert events >= 1 and events == dossier.events_count, dossier.code
        for document in dossier.documents.select_related("stored"):
            assert document.stored.file.storage.exists(document.stored.file.name), dossier.code
        # The acknowledgement's pipeline was recorded with the submission.
        assert OutboxMessage.objects.filter(task="dossiers.tasks.render_acknowledgement", args=[dossier.pk]).exists()
    kept = set(StoredDocument.objects.values_list("file", flat=True)) | set(
        Slip.objects.exclude(file="").values_list("file", flat=True)
    )
    assert sorted(_files() - files_before - kept) == [], "files left without their row"
    by_day: dict[str, list[int]] = {}
    for code in (d.code for d in dossiers):
        prefix, seq = code.rsplit("-", 1)
        by_day.setdefault(prefix, []).append(int(seq))
    for prefix, numbers in by_day.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), prefix


@dataclass(frozen=True)
class Burst:
    waiting: int  # dossiers filed beforehand, for the officer to receive during the burst
    before: float  # seconds of traffic before PostgreSQL stops
    down: float  # seconds it stays down
    after: float  # seconds of traffic after it is back


# The short burst runs in `make test`; the long one in `make faults` only (FAULTS_LONG=1).
BURSTS = [
    pytest.param(Burst(waiting=3, before=1.0, down=2.0, after=1.5), id="short"),
    pytest.param(Burst(waiting=6, before=1.5, down=3.0, after=3.0), id="long", marks=pytest.mark.faults_long),
]


@pytest.mark.parametrize("burst", BURSTS)
def test_postgresql_restarted_during_a_burst_answers_503_and_leaves_nothing_half_written(
    burst, desk, private_pg, live_server, record_property, settings, tmp_path
):
    version, requirement, officer_token, citizens = desk
    # A private storage of this test's own: no other run's files in the orphan count.
    default = settings.STORAGES["default"]
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": {"location": str(tmp_path)}}}
    base = live_server.url
    files_before = _files()
    # Dossiers waiting at the desk, for the officer's side of the burst.
    waiting = [
        _file(base, citizens[0], version, requirement, uuid.uuid4().hex).json()["code"] for _ in range(burst.waiting)
    ]
    results: list[tuple[str, requests.Response | Exception]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def citizen(token: str) -> None:
        while not stop.is_set():
            key = uuid.uuid4().hex
            for _attempt in range(20):  # a client retrying on 503 with the same Idempotency-Key
                try:
                    response = _file(base, token, version, requirement, key)
                except requests.RequestException as error:
                    response = error
                with lock:
                    results.append(("file", response))
                if not isinstance(response, Exception) and response.status_code != 503:
                    break
                time.sleep(0.3)

    def officer() -> None:
        for code in waiting:
            for _attempt in range(60):  # retried on 503 until the database is back
                try:
                    response = _receive(base, officer_token, code)
                except requests.RequestException as error:
                    response = error
                with lock:
                    results.append(("receive", response))
                if not isinstance(response, Exception) and response.status_code != 503:
                    break
                time.sleep(0.3)
            time.sleep(0.5)

    with ThreadPoolExecutor(max_workers=len(citizens) + 1) as pool:
        futures = [pool.submit(citizen, token) for token in citizens] + [pool.submit(officer)]
        time.sleep(burst.before)
        private_pg.stop(mode="fast")  # every open connection dropped, new ones refused
        time.sleep(burst.down)
        private_pg.start()
        time.sleep(burst.after)
        stop.set()
        for future in futures:
            future.result(timeout=120)

    answered = [(kind, r) for kind, r in results if not isinstance(r, Exception)]
    statuses = [r.status_code for _kind, r in answered]
    record_property("burst_requests", len(answered))
    record_property("burst_503", statuses.count(503))
    assert 503 in statuses, "the restart was not seen"
    assert 500 not in statuses
    for kind, response in answered:
        if response.status_code == 503:
            assert response.headers["Retry-After"].isdigit()
            assert response.json()["error"]["code"] == "service_unavailable" and "Traceback" not in response.text
        elif kind == "file":
            assert response.status_code in OK_FILING, response.text
        else:
            # Received already: a retry whose first attempt committed before its answer was lost.
            assert response.status_code in OK_ACTION or "invalid_state" in response.text, response.text
    codes = {r.json()["code"] for kind, r in answered if kind == "file" and r.status_code in OK_FILING}
    assert len(codes) >= len(citizens)
    _reconcile(codes | set(waiting), files_before)
    assert set(Dossier.objects.filter(code__in=waiting).values_list("state", flat=True)) == {"received"}


def test_a_page_request_while_postgresql_is_down_is_a_503_page_in_the_readers_language(private_pg, live_server):
    private_pg.stop(mode="fast")
    try:
        vi = requests.get(f"{live_server.url}/procedures/", timeout=30)
        en = requests.get(f"{live_server.url}/procedures/", cookies={"django_language": "en"}, timeout=30)
    finally:
        private_pg.start()
    assert vi.status_code == en.status_code == 503
    assert vi.headers["Retry-After"] == en.headers["Retry-After"]
    assert "Hệ thống tạm thời gián đoạn" in vi.text and "Traceback" not in vi.text
    assert "temporarily" in en.text.lower()
    assert requests.get(f"{live_server.url}/procedures/", timeout=30).status_code == 200


@pytest.mark.parametrize(
    "filings", [pytest.param(2, id="short"), pytest.param(4, id="long", marks=pytest.mark.faults_long)]
)
def test_the_broker_down_during_filing_delays_the_pipelines_and_loses_none(
    filings, desk, private_pg, private_redis, fault_worker, live_server, smtp_server
):
    version, requirement, _officer_token, citizens = desk
    citizens = citizens[:filings]
    handler, smtp_port = smtp_server()
    private_redis.stop()
    # The live server publishes through this process's Celery app: pointed at the stopped Redis.
    with celery_broker(private_redis.url):
        answers = [_file(live_server.url, token, version, requirement, uuid.uuid4().hex) for token in citizens]
    assert [a.status_code for a in answers] == [201] * len(citizens)
    codes = [a.json()["code"] for a in answers]
    pending = OutboxMessage.objects.filter(published_at__isnull=True, task="dossiers.tasks.render_acknowledgement")
    assert pending.count() == len(codes)
    private_redis.start()
    worker = fault_worker(broker_url=private_redis.url, database_url=private_pg.url, smtp_port=smtp_port)
    with celery_broker(private_redis.url):
        assert outbox_publish_pending(grace_seconds=0) == len(codes)
    acknowledged = wait_for(
        lambda: (
            Slip.objects.filter(dossier__code__in=codes, kind="ack").exclude(file="").count() == len(codes)
            and not OutboxMessage.objects.filter(done_at__isnull=True).exists()
        ),
        timeout=120,
    )
    assert acknowledged, worker.output()[-3000:]
    # Each applicant got its acknowledgement mail once.
    assert len(handler.messages) == len(codes)
    assert all(re.fullmatch(r".+-\d{6}-\d{4,}", code) for code in codes)
