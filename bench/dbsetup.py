"""Which benchmark database a run uses, and creating or dropping it: no Django here, since the
database must be chosen (``DATABASE_URL``) before Django reads its settings.

The benchmark database is ``<name of DATABASE_URL's database>_bench`` (``portal_bench`` by
default) on the same PostgreSQL; sizes of dossiers other than the default get their own
(``..._bench_<N>``). BENCH_DATABASE_URL names another database.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal"
DEFAULT_TOTAL = 1_000_000


def default_total() -> int:
    """Dossiers of a full run (``BENCH_DOSSIERS``, 1,000,000 by default)."""
    return int(os.environ.get("BENCH_DOSSIERS", DEFAULT_TOTAL))


def bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    parsed = urlparse(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    name = parsed.path.lstrip("/") or "portal"
    if not name.endswith("_bench"):
        name = f"{name}_bench"
    return urlunparse(parsed._replace(path=f"/{name}"))


def sized_database_url(dossiers: int) -> str:
    """The bench database for ``dossiers`` rows; sizes other than the default get their own."""
    url = bench_database_url()
    if dossiers == default_total():
        return url
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"{parsed.path}_{dossiers}"))


def _maintenance(url: str):
    parsed = urlparse(url)
    return psycopg.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def ensure_database(url: str) -> bool:
    """Creates the database when it is missing; True when it was created."""
    name = urlparse(url).path.lstrip("/")
    with _maintenance(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


@contextmanager
def preparing(url: str) -> Iterator[None]:
    """One process at a time migrates, seeds or rebuilds a benchmark database.

    On a fresh machine several benchmark children (and the smoke tests of two test workers)
    find the database empty at once: without this lock one child saw another's half-made
    schema, took it for an old checkout's, and dropped the database under the others' feet.
    The advisory lock is taken on the maintenance database, which every child connects to."""
    key = f"bench-prepare:{urlparse(url).path.lstrip('/')}"
    with _maintenance(url) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])


def drop_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    with _maintenance(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def smoke_database_url() -> str:
    """The database the smoke runs share instead of the default one (``..._bench_smoke``): a full
    run tops the default one up to a million dossiers, and a smoke run in `make test` on the
    same machine would then roll up and read all of them."""
    parsed = urlparse(bench_database_url())
    return urlunparse(parsed._replace(path=f"{parsed.path}_smoke"))


def use_database(*, dossiers: int | None = None, smoke: bool = False) -> str:
    """Points this process (before ``django.setup()``) at the bench database, created if missing:
    the default one (the smoke one with ``smoke``), or the one sized for ``dossiers``. Returns its URL."""
    if smoke:
        url = smoke_database_url()
    else:
        url = bench_database_url() if dossiers is None else sized_database_url(dossiers)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.bench")
    return url
