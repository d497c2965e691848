"""Reads of reports from a PostgreSQL read replica (``DATABASE_REPLICA_URL``), writes always on
the primary.

Nothing reads the replica by default: only code that says so, inside ``replica_reads()`` (a
context manager and decorator used by the statistics, the reports, the register's exports and
the public catalogue and statistics pages), or with ``.using(replica_alias())`` on a queryset
evaluated later inside such a block. Even there the primary answers when the query runs inside a transaction (it
must see its own writes) and for models outside ``REPLICA_APPS`` (sessions, users, tokens: a
sign-in a few milliseconds old must not look absent). Tracking, filing, the officer's dossier
pages and the API never enter it, so they read what they have just written.

A replica replays the primary's WAL a little later: each block measures how far behind it is
(`replica_lag_seconds`); beyond ``DATABASE_REPLICA_MAX_LAG`` seconds, or when it does not
answer, the block reads the primary; a page read from a replica a second or more behind says
its figures may be a few seconds old (``replica_notice`` in the template context).
"""

import contextlib
import contextvars
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
# The apps whose tables the reports read; anything else is read on the primary.
REPLICA_APPS = frozenset({"dossiers", "procedures"})
# From this lag on, a page read from the replica says its figures may be a few seconds old.
REPLICA_LAG_NOTICE_SECONDS = 1.0


@dataclass(frozen=True)
class ReplicaReads:
    """What one `replica_reads` block decided: read the replica or not, and how far behind it was."""

    use: bool
    lag_seconds: float | None = None

    @property
    def notice(self) -> bool:
        return self.use and (self.lag_seconds or 0.0) >= REPLICA_LAG_NOTICE_SECONDS


_PRIMARY = ReplicaReads(use=False)
_state: contextvars.ContextVar[ReplicaReads | None] = contextvars.ContextVar("replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_current() -> ReplicaReads:
    """The decision of the enclosing `replica_reads` block (the primary outside one)."""
    return _state.get() or _PRIMARY


def replica_lag_seconds() -> float | None:
    """Seconds of the primary's changes the replica has not replayed yet: None without a
    replica (or when it does not answer), 0.0 when it has replayed all the primary had written
    when asked. Behind, the age of the last transaction it replayed (an upper bound), or
    infinity when it has replayed none since it started (`lag_from`)."""
    if not replica_configured():
        return None
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            primary_lsn = cursor.fetchone()[0]
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()) <= 0,"
                " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())",
                [primary_lsn],
            )
            caught_up, since_last_replay = cursor.fetchone()
    except DatabaseError:
        logger.warning("read replica unavailable: reports read the primary", exc_info=True)
        return None
    return lag_from(caught_up=caught_up, since_last_replay=since_last_replay)


def lag_from(*, caught_up: bool | None, since_last_replay: float | None) -> float:
    """The lag `replica_lag_seconds` reports from what the replica answered. Behind with no
    transaction replayed since the standby started (``pg_last_xact_replay_timestamp()`` is
    NULL), or not a standby at all (its replay position is NULL), how far behind is unknown:
    infinitely, so the reports read the primary. Reading 0 there would send them to a replica
    that has not yet received a commit the primary made a moment ago."""
    if caught_up:
        return 0.0
    if since_last_replay is None:
        return math.inf
    return max(float(since_last_replay), 0.0)


class replica_reads(contextlib.ContextDecorator):  # noqa: N801 - used like a function: `with replica_reads():`
    """Reads of report tables inside go to the replica: when one is configured, answers, and is
    at most ``DATABASE_REPLICA_MAX_LAG`` seconds behind (else the primary answers, current).
    Nested blocks keep the outer block's decision; the lag is measured once per block."""

    def _recreate_cm(self):
        # As a decorator: a fresh block per call (its token is per call, threads included).
        return type(self)()

    def __enter__(self) -> ReplicaReads:
        outer = _state.get()
        if outer is not None:
            self._token = _state.set(outer)
            return outer
        lag = replica_lag_seconds()
        decision = ReplicaReads(use=lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG, lag_seconds=lag)
        self._token = _state.set(decision)
        return decision

    def __exit__(self, *exc):
        _state.reset(self._token)
        return False


class primary_reads(contextlib.ContextDecorator):  # noqa: N801 - used like a function
    """Reads inside go to the primary even within `replica_reads` (e.g. what is then cached)."""

    def _recreate_cm(self):
        return type(self)()

    def __enter__(self) -> ReplicaReads:
        self._token = _state.set(_PRIMARY)
        return _PRIMARY

    def __exit__(self, *exc):
        _state.reset(self._token)
        return False


def replica_alias() -> str:
    """The alias to pin a lazily evaluated report queryset to (``.using(...)``), as decided by
    the enclosing `replica_reads` block."""
    return REPLICA if replica_current().use and replica_configured() else DEFAULT_DB_ALIAS


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: the replica for report reads inside `replica_reads`, else the primary."""

    def db_for_read(self, model, **hints):
        if (
            replica_current().use
            and model._meta.app_label in REPLICA_APPS
            and replica_configured()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read from either relates to the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
