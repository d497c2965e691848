"""PostgreSQL extensions for accent-insensitive, typo-tolerant catalogue search.

``unaccent()`` is only STABLE (it reads a dictionary), so an expression index cannot use it;
``procedures_unaccent`` is an IMMUTABLE wrapper that names the dictionary explicitly.
Nothing happens on SQLite (the zero-setup run), which searches with a plain ``icontains``.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION procedures_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
]
BACKWARD = ["DROP FUNCTION IF EXISTS procedures_unaccent(text)"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
