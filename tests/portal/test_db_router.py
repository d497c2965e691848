"""Reports on a real PostgreSQL streaming replica (``DATABASE_REPLICA_URL``), read while the
test database is written on its primary. Pausing the replica's WAL replay shows the lag handled:
a report read from a lagging replica says so, one too far behind reads the primary, and what must
see its own writes (tracking, the API, the officer's pages, transactions) never reads the replica.

The pair is the tests' own, on free ports of 127.0.0.1, in a temporary directory: a small primary
cluster (``initdb``) holding a copy of the test database (``pg_dump``), and its streaming replica
(``pg_basebackup -R``). A base backup of the machine's cluster would copy every database it holds
(gigabytes of benchmark data here) and see every other engineer's writes; this pair copies tens
of megabytes, and the machine's cluster is only read (``pg_dump``), never reconfigured. For this
module the ``default`` alias points at the pair's primary; it is put back after.
"""

import csv
import io
import shutil
import socket
import subprocess
import tempfile
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
# The two clusters, the test database's copy and the WAL kept while replay is paused.
SPACE_NEEDED = 512 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _psql(sql: str, *, port: int, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1",
         "-Atc", sql],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def _as_postgres(*argv: str) -> None:
    result = subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=False, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(argv)}:\n{result.stdout}\n{result.stderr}"


def _workdir() -> Path:
    """A temporary directory on a filesystem with room for the pair (the system's temporary
    directory, else /var/tmp), readable by the postgres user."""
    candidates = [Path(tempfile.gettempdir()), Path("/var/tmp")]  # noqa: S108
    free = {str(place): shutil.disk_usage(place).free for place in candidates if place.is_dir()}
    for place in candidates:
        if free.get(str(place), 0) >= SPACE_NEEDED:
            base = Path(tempfile.mkdtemp(prefix="portal-test-replica-", dir=place))
            base.chmod(0o755)
            return base
    pytest.fail(f"The replica tests need {SPACE_NEEDED // 2**20} MB free in one of {free} (bytes free).")


def _cluster_dir(base: Path, name: str) -> Path:
    path = base / name
    path.mkdir(mode=0o700)
    shutil.chown(path, "postgres", "postgres")
    return path


def _configure(data: Path, port: int, *lines: str) -> None:
    """Settings appended to the cluster's postgresql.conf (later lines win)."""
    settings = [f"port = {port}", "listen_addresses = '127.0.0.1'", f"unix_socket_directories = '{data}'", *lines]
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n" + "\n".join(settings) + "\n")
    (data / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"
    )
    shutil.chown(data / "pg_hba.conf", "postgres", "postgres")


def _start(data: Path) -> None:
    _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "start")


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], check=False, capture_output=True)  # fmt: skip


@pytest.fixture(scope="module")
def pg_pair(django_db_setup, django_db_blocker):
    """(primary port, replica port): a primary holding a copy of the test database and its
    streaming replica, both stopped and removed after the module."""
    name = connections["default"].settings_dict["NAME"]
    source = connections["default"].settings_dict
    base = _workdir()
    primary, replica = _cluster_dir(base, "primary"), _cluster_dir(base, "replica")
    primary_port, replica_port = _free_port(), _free_port()
    try:
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        # Nothing here must survive a crash: no fsync. WAL replay paused keeps WAL: room for it.
        _configure(primary, primary_port, "fsync = off", "full_page_writes = on", "max_wal_size = 256MB")
        _start(primary)
        _psql(f'CREATE DATABASE "{name}" TEMPLATE template0', port=primary_port)
        with django_db_blocker.unblock():
            connections["default"].close()  # pg_dump reads a quiet database
        dump = subprocess.run(
            ["pg_dump", "-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432), "-U",
             source["USER"] or "postgres", "--no-owner", "--no-privileges", name],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "-d", name, "-q",
             "-v", "ON_ERROR_STOP=1"],
            input=dump, check=True, capture_output=True,
        )  # fmt: skip
        _as_postgres(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
                     "-D", str(replica), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        _configure(replica, replica_port, "hot_standby = on", "hot_standby_feedback = on")
        _start(replica)
        yield primary_port, replica_port
    finally:
        _stop(replica)
        _stop(primary)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def replica(pg_pair, django_db_blocker):
    """For this module: ``default`` on the pair's primary, the ``replica`` alias on its replica."""
    primary_port, replica_port = pg_pair
    default = connections["default"]
    saved = {key: default.settings_dict[key] for key in ("HOST", "PORT")}
    with django_db_blocker.unblock():
        default.close()
    default.settings_dict.update(HOST="127.0.0.1", PORT=primary_port)
    name = default.settings_dict["NAME"]
    config = replica_database(f"postgres://postgres@127.0.0.1:{replica_port}/{name}")
    django_settings.DATABASES["replica"] = config
    connections.settings["replica"] = connections.configure_settings({**connections.settings, "replica": config})[
        "replica"
    ]
    yield replica_port
    with django_db_blocker.unblock():
        connections["replica"].close()
        default.close()
    default.settings_dict.update(saved)
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
    _psql("SELECT pg_wal_replay_pause()", port=replica)
    yield
    _psql("SELECT pg_wal_replay_resume()", port=replica)


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
