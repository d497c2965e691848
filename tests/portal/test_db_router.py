"""Reports on a real PostgreSQL streaming replica (``DATABASE_REPLICA_URL``): the tests take a
base backup of the local cluster (``pg_basebackup -R``), start it on 127.0.0.1:5433, and read
the test database's streaming copy. Pausing its WAL replay shows the lag handled: a report
read from a lagging replica says so, one too far behind reads the primary, and what must see
its own writes (tracking, the API, the officer's pages, transactions) never reads the replica.

Set-up on the main cluster (idempotent): a ``host replication all 127.0.0.1/32 trust`` line is
appended to its pg_hba.conf when no replication rule for 127.0.0.1 exists, then reloaded.
"""

import csv
import io
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections, transaction

from dossiers.models import Dossier
from portal import db_router
from portal.constants import OfficerRole
from portal.models import User
from portal.settings.base import replica_database
from tests.dossiers.factories import DossierFactory
from tests.dossiers.helpers import api_for, page_client
from tests.factories import OfficerMembershipFactory, with_totp

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
    pytest.mark.xdist_group("pg-replica"),
]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PORT = 5433
DATA = Path("/tmp/portal-test-replica")  # noqa: S108 - owned by postgres, removed after


def _psql(sql: str, *, port: int = 5432) -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-Atc", sql],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def _as_postgres(*argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True)


def _stop_stale() -> None:
    if (DATA / "postmaster.pid").exists():
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(DATA), "-m", "immediate",
                        "stop"], check=False, capture_output=True)  # fmt: skip
    shutil.rmtree(DATA, ignore_errors=True)


def _allow_replication_from_localhost() -> None:
    rule = "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND address = '127.0.0.1'"
    if _psql(rule) == "0":
        hba = Path(_psql("SHOW hba_file"))
        hba.write_text(hba.read_text().rstrip("\n") + "\nhost replication all 127.0.0.1/32 trust\n")
        _psql("SELECT pg_reload_conf()")


@pytest.fixture(scope="module")
def pg_replica(django_db_setup):
    """A streaming replica of the local cluster on 127.0.0.1:5433, stopped and removed after."""
    _stop_stale()
    _allow_replication_from_localhost()
    DATA.mkdir(mode=0o700)
    shutil.chown(DATA, "postgres", "postgres")
    _as_postgres(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-U", "postgres", "-D", str(DATA), "-R",
                 "-X", "stream", "-c", "fast")  # fmt: skip
    # Debian keeps the cluster's configuration outside its data directory: the replica gets
    # its own, with the limits hot standby requires to be at least the primary's.
    limits = ("max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
              "max_locks_per_transaction")  # fmt: skip
    conf = [f"{name} = {_psql(f'SHOW {name}')}" for name in limits]
    conf += [f"port = {PORT}", "listen_addresses = '127.0.0.1'", f"unix_socket_directories = '{DATA}'",
             "hot_standby = on", "hot_standby_feedback = on"]  # fmt: skip
    (DATA / "postgresql.conf").write_text("\n".join(conf) + "\n")
    (DATA / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    for name in ("postgresql.conf", "pg_hba.conf"):
        shutil.chown(DATA / name, "postgres", "postgres")
    _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(DATA), "-l", str(DATA / "server.log"), "-w", "start")
    try:
        yield
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(DATA), "-m", "fast", "-w", "stop")
        shutil.rmtree(DATA, ignore_errors=True)


@pytest.fixture(scope="module")
def replica(pg_replica):
    """The ``replica`` alias on the test database's streaming copy, for this module only."""
    name = connections["default"].settings_dict["NAME"]
    config = replica_database(f"postgres://postgres@127.0.0.1:{PORT}/{name}")
    django_settings.DATABASES["replica"] = config
    connections.settings["replica"] = connections.configure_settings({**connections.settings, "replica": config})[
        "replica"
    ]
    yield
    connections["replica"].close()
    del connections["replica"]
    # One dict behind both once the connections are configured.
    connections.settings.pop("replica", None)
    django_settings.DATABASES.pop("replica", None)


def _caught_up(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while db_router.replica_lag_seconds() != 0.0:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


@pytest.fixture
def paused(replica):
    """WAL replay paused on the replica (what a lagging replica looks like), resumed after."""
    _caught_up()
    _psql("SELECT pg_wal_replay_pause()", port=PORT)
    yield
    _psql("SELECT pg_wal_replay_resume()", port=PORT)


@pytest.fixture
def desk(client, replica):
    dossier = DossierFactory(received=True)
    officer = with_totp(OfficerMembershipFactory(role=OfficerRole.SPECIALIST, agency=dossier.receiving_agency).user)
    return page_client(client, officer), dossier


def _export_codes(client) -> list[str]:
    response = client.get("/officer/register/?export=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return [row[1] for row in list(csv.reader(io.StringIO(body)))[1:]]


def test_report_reads_go_to_the_replica_and_the_rest_to_the_primary(replica):
    DossierFactory()
    _caught_up()
    with db_router.replica_reads() as reads:
        assert reads.use and reads.lag_seconds == 0.0
        assert Dossier.objects.all().db == "replica"
        assert Dossier.objects.count() == 1  # the streaming copy holds the committed row
        # Sessions, users and tokens: a sign-in a moment old must not look absent.
        assert User.objects.all().db == "default"
        with transaction.atomic():
            assert Dossier.objects.all().db == "default"  # a transaction sees its own writes
        with db_router.primary_reads():
            assert Dossier.objects.all().db == "default"
    assert Dossier.objects.all().db == "default"  # nothing reads the replica by default


def test_the_register_export_reads_the_replica(desk, replica):
    client, dossier = desk
    _caught_up()
    assert _export_codes(client) == [dossier.code]


def test_a_lagging_replica_says_so_and_a_write_shows_once_replayed(desk, paused, settings):
    client, dossier = desk
    fresh = DossierFactory(received=True, receiving_agency=dossier.receiving_agency)
    time.sleep(db_router.REPLICA_LAG_NOTICE_SECONDS + 0.2)
    # The export reads the replica, which has not replayed the new dossier yet.
    assert _export_codes(client) == [dossier.code]
    # The pages read from it say their figures may be a few seconds old.
    notice = "có thể chậm vài giây"
    assert notice in client.get("/thong-ke/").content.decode()
    assert notice in client.get("/procedures/").content.decode()
    assert notice not in client.get(f"/officer/dossiers/{fresh.code}/").content.decode()
    # Too far behind: the reports read the primary, current and without the notice.
    settings.DATABASE_REPLICA_MAX_LAG = db_router.REPLICA_LAG_NOTICE_SECONDS
    assert sorted(_export_codes(client)) == sorted([dossier.code, fresh.code])
    assert notice not in client.get("/thong-ke/").content.decode()


def test_what_must_see_its_own_writes_reads_the_primary_while_the_replica_lags(client, paused):
    dossier = DossierFactory(received=True)
    applicant = dossier.applicant
    # The API and the applicant's pages, right after the write, on the primary.
    detail = api_for(applicant).get(f"/api/v1/dossiers/{dossier.code}/")
    assert detail.status_code == 200
    assert detail.json()["code"] == dossier.code
    assert page_client(client, applicant).get(f"/dossiers/{dossier.code}/").status_code == 200
    # The replica has not replayed it: proof that these reads did not go there.
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dossiers_dossier WHERE id = %s", [dossier.pk])
        assert cursor.fetchone()[0] == 0


def test_an_unreachable_replica_leaves_the_reports_on_the_primary(desk, settings, replica):
    client, dossier = desk
    broken = replica_database("postgres://postgres@127.0.0.1:9/none")
    connections["replica"].close()
    original = connections.settings["replica"]
    connections.settings["replica"] = connections.configure_settings({**connections.settings, "replica": broken})[
        "replica"
    ]
    del connections["replica"]
    try:
        assert db_router.replica_lag_seconds() is None
        assert _export_codes(client) == [dossier.code]
    finally:
        connections["replica"].close()
        del connections["replica"]
        connections.settings["replica"] = original
