"""Fail fast, in one line, when PostgreSQL or Redis does not answer (used by `make test`)."""

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis


def main() -> int:
    db_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    parsed = urlparse(db_url)
    try:
        # Connect to the maintenance database: the test database is created by pytest.
        psycopg.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        print(
            f"PostgreSQL does not answer at {parsed.hostname}:{parsed.port or 5432} ({exc.__class__.__name__}); "
            "start it (pg_ctlcluster <version> main start) or set DATABASE_URL."
        )
        return 1
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        print(f"Redis does not answer at {redis_url} ({exc.__class__.__name__}); start redis-server or set REDIS_URL.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
