"""The benchmark database: ``<name of DATABASE_URL's database>_bench`` (``portal_bench`` by
default) on the same PostgreSQL, created when missing, migrated and seeded with demo data.

Run as ``python -m bench.database``: prints a JSON object with the bench URL and the primary
key the single-read ceiling view reads. BENCH_DATABASE_URL names another database.
"""

import contextlib
import json
import os
import sys
from urllib.parse import urlparse, urlunparse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal"


def bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    parsed = urlparse(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    name = parsed.path.lstrip("/") or "portal"
    if not name.endswith("_bench"):
        name = f"{name}_bench"
    return urlunparse(parsed._replace(path=f"/{name}"))


def _maintenance(url: str):
    import psycopg

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
    from psycopg import sql

    name = urlparse(url).path.lstrip("/")
    with _maintenance(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(url: str) -> None:
    from psycopg import sql

    name = urlparse(url).path.lstrip("/")
    with _maintenance(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _migrate_and_seed() -> str | None:
    """Migrates and loads the demo data; returns why seeding failed, or None."""
    from django.core.management import call_command

    # Commands' chatter goes to stderr: stdout carries only the JSON answer.
    with contextlib.redirect_stdout(sys.stderr):
        call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
        try:
            call_command("seed_demo", verbosity=0, stdout=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - the ceiling figures stay valid without demo data
            return f"{type(exc).__name__}: {exc}".strip()
    return None


def prepare() -> dict:
    url = bench_database_url()
    created = ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.bench")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError, connections

    try:
        seed_error = _migrate_and_seed()
    except DatabaseError:
        seed_error = "schema"
    if seed_error and not created:
        # A database left by an older checkout (a migration edited since, say) is rebuilt once.
        print(f"benchmark database {url} rebuilt after: {seed_error}", file=sys.stderr)
        connections.close_all()
        drop_database(url)
        created = ensure_database(url)
        seed_error = _migrate_and_seed()
    if seed_error:
        print(f"seed_demo failed: {seed_error}", file=sys.stderr)
    user, _ = get_user_model().objects.get_or_create(email="bench@example.com", defaults={"is_active": False})
    return {"database_url": url, "created": created, "read_pk": user.pk, "seed_error": seed_error}


if __name__ == "__main__":
    print(json.dumps(prepare()))
