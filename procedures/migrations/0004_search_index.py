"""Trigram index for the catalogue search (PostgreSQL only; SQLite has no such index).

The search compares ``procedures_unaccent(lower(name))`` with the unaccented query, so the
index is on exactly that expression.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS proc_version_name_trgm ON procedures_procedureversion "
    "USING gin (procedures_unaccent(lower(name)) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS proc_version_name_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("procedures", "0003_catalogue")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
