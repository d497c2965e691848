"""Dossier codes: ``<receiving unit code>-<YYMMDD>-<NNNN>`` (Circular 01/2018 art. 19)."""

from datetime import date

from django.db import connection, transaction

from dossiers.models import DossierCodeCounter


def _next_sequence(*, unit_code: str, day: date) -> int:
    if connection.vendor == "postgresql":
        table = DossierCodeCounter._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (unit_code, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
                "ON CONFLICT (unit_code, day) DO UPDATE SET last = "
                f"{table}.last + 1 RETURNING last",
                [unit_code, day],
            )
            return cursor.fetchone()[0]
    # SQLite (zero-setup run): the write lock on the database serialises this.
    counter, _created = DossierCodeCounter.objects.select_for_update().get_or_create(unit_code=unit_code, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def dossier_code_allocate(*, unit_code: str, day: date) -> str:
    """Hand out the next code for a unit and day; must run inside the caller's transaction.

    The sequence is at least four digits and widens past 9999; numbers are never reused
    because the counter only grows, and a rolled-back transaction returns its number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("dossier_code_allocate must run inside a transaction.")
    seq = _next_sequence(unit_code=unit_code, day=day)
    return f"{unit_code}-{day:%y%m%d}-{seq:04d}"


def result_code(*, dossier_code: str, n: int) -> str:
    """Code of the n-th electronic result of a dossier: ``<dossier code>-KQ<n>``."""
    return f"{dossier_code}-KQ{n}"
