"""Private servers for the fault tests: a Redis and a PostgreSQL cluster of their own, on free
ports of 127.0.0.1, that a test may kill and restart (never the machine's shared 5432 and 6379,
where other runs work), and real Celery workers on them.

- ``private_redis``: ``redis-server --save '' --appendonly no`` (like the machine's Redis it keeps
  nothing on disk: a restart loses every queued and unacknowledged message).
- ``private_pg``: ``initdb`` + ``pg_ctl`` in a temporary directory, holding a copy of the test
  database the migrations made (``pg_dump``, as tests/portal/test_db_router.py does); for the
  module, this process's ``default`` alias points at it, so factories, services and the live
  server write there.
- ``fault_worker``: a prefork Celery worker process on those two, with the fault settings
  (`tests.faults.worker_settings`): a visibility timeout of a few seconds, so what takes ten
  minutes in production is seen here in seconds.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.celery.conftest import free_port, smtp_server, wait_for  # noqa: F401 - smtp_server: a fixture shared with tests/celery

ROOT = Path(settings.BASE_DIR)
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# What the worker settings give the broker (seconds): see tests/faults/worker_settings.py.
VISIBILITY_TIMEOUT = 4
RESTORE_INTERVAL = 1


class PrivateRedis:
    def __init__(self, base: Path):
        self.port = free_port()
        self.base = base
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.base), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(self.ping, timeout=20, interval=0.05), "private redis did not start"

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False, timeout=5
        )
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Killed and started again on the same port: everything it held is gone."""
        self.stop()
        self.start()

    def queued(self, queue: str) -> int:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "llen", queue], capture_output=True, text=True, check=True, timeout=5
        )
        return int(result.stdout.strip() or 0)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


def _as_postgres(*argv: str) -> subprocess.CompletedProcess:
    result = subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=False, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(argv)}:\n{result.stdout}\n{result.stderr}"
    return result


class PrivatePostgres:
    def __init__(self, base: Path, name: str):
        self.base, self.name = base, name
        self.data = base / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.name}"

    def init(self) -> None:
        self.data.mkdir(mode=0o700)
        shutil.chown(self.data, "postgres", "postgres")
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.data}'\n"
                "fsync = off\nsynchronous_commit = off\nmax_connections = 200\n"
            )

    def start(self) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "start")
        # This process's connections (``default`` and its test mirror ``replica``) died with the
        # server: the next query opens new ones.
        for connection in connections.all():
            connection.close()

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                            mode, "-w", "stop"], check=False, capture_output=True)  # fmt: skip

    def psql(self, sql: str) -> str:
        return subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", self.name, "-v",
             "ON_ERROR_STOP=1", "-Atc", sql],
            check=True, capture_output=True, text=True, timeout=30,
        ).stdout.strip()  # fmt: skip


def subprocess_env(**extra) -> dict:
    """The environment of a child process of the project, without this run's Django/Celery settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PYTEST_"))}
    env.update({key: str(value) for key, value in extra.items()})
    return env


@pytest.fixture(scope="module")
def private_pg(django_db_setup, django_db_blocker):
    """A PostgreSQL cluster of the module's own, migrated; ``default`` points at it meanwhile."""
    default = connections["default"]
    name = default.settings_dict["NAME"]
    base = Path(tempfile.mkdtemp(prefix="portal-test-faults-pg-"))
    base.chmod(0o755)
    pg = PrivatePostgres(base, name)
    saved = {key: default.settings_dict[key] for key in ("HOST", "PORT", "CONN_MAX_AGE")}
    try:
        pg.init()
        pg.start()
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "postgres", "-c",
             f'CREATE DATABASE "{name}"'],
            check=True, capture_output=True,
        )  # fmt: skip
        # The schema the migrations made in the test database (and the rows its data migrations
        # wrote), copied: running the migrations again takes minutes on a busy machine.
        with django_db_blocker.unblock():
            default.close()
        source = default.settings_dict
        dump = subprocess.run(
            ["pg_dump", "-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432), "-U",
             source["USER"] or "postgres", "--no-owner", "--no-privileges", name],
            check=True, capture_output=True, timeout=300,
        ).stdout  # fmt: skip
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", name, "-q", "-v",
             "ON_ERROR_STOP=1"],
            input=dump, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        default.settings_dict.update(HOST="127.0.0.1", PORT=pg.port, CONN_MAX_AGE=0)
        yield pg
    finally:
        with django_db_blocker.unblock():
            for connection in connections.all():
                connection.close()
        default.settings_dict.update(saved)
        pg.stop(mode="immediate")
        shutil.rmtree(base, ignore_errors=True)


class Worker:
    """A real Celery worker process (its own process group, so the whole worker can be killed)."""

    def __init__(self, process: subprocess.Popen, log: Path):
        self.process, self.log = process, log

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""

    def ready(self) -> bool:
        return "ready." in self.output()

    def kill_hard(self) -> None:
        """SIGKILL to the main process and its children at once: OOM, node loss."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def fault_worker(tmp_path):
    """``start(broker_url=..., database_url=..., smtp_port=..., queues=...)``: a worker, stopped after."""
    workers: list[Worker] = []

    def start(*, broker_url: str, database_url: str, smtp_port: int = 25, queues: str = "default,pdf,notifications",
              concurrency: int = 1, wait: bool = True, **extra) -> Worker:  # fmt: skip
        log = tmp_path / f"worker-{len(workers)}.log"
        env = subprocess_env(
            DJANGO_SETTINGS_MODULE="tests.faults.worker_settings",
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker_url,
            TEST_SMTP_PORT=smtp_port,
            CONN_MAX_AGE=0,
            # SIGTERM is Celery's soft shutdown, as in compose.yaml.
            REMAP_SIGTERM="SIGQUIT",
            PYTHONUNBUFFERED=1,
            **extra,
        )
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queues, "--pool", "prefork",
                 "--concurrency", str(concurrency), "--without-heartbeat", "--without-gossip", "--without-mingle",
                 "--loglevel", "INFO", "--hostname", f"fault{len(workers)}-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        worker = Worker(process, log)
        workers.append(worker)
        if wait:
            assert wait_for(worker.ready, timeout=90, interval=0.2), worker.output()
        return worker

    yield start
    # The test is over and its assertions made: nothing a worker still does matters, and a soft
    # shutdown takes seconds (a SIGTERM case measures that on its own).
    for worker in workers:
        if worker.process.poll() is None:
            worker.kill_hard()


def measure(predicate, timeout: float) -> float | None:
    """Seconds until ``predicate()`` is true, or None after ``timeout``."""
    started = time.monotonic()
    if wait_for(predicate, timeout=timeout, interval=0.1):
        return time.monotonic() - started
    return None


# `make test` runs one fast case per fault kind (a worker SIGKILLed, Redis restarted, PostgreSQL
# restarted during filing, the broker down during filing); the slower variants are marked
# ``faults_long`` and run only with FAULTS_LONG=1, and the load (minutes long) only with
# FAULTS_LOAD=1: `make faults` sets both.
LONG = os.environ.get("FAULTS_LONG") == "1"
collect_ignore = [] if os.environ.get("FAULTS_LOAD") == "1" else ["test_load.py", "locustfile.py"]


def pytest_collection_modifyitems(config, items):
    """Without FAULTS_LONG=1 the slow variants are deselected (not skipped: a run of
    `make test` reports no skipped test)."""
    if LONG:
        return
    slow = [item for item in items if item.get_closest_marker("faults_long")]
    if slow:
        items[:] = [item for item in items if not item.get_closest_marker("faults_long")]
        config.hook.pytest_deselected(items=slow)
