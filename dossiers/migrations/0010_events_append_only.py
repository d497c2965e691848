"""The events table becomes append-only in PostgreSQL: a row trigger refuses every UPDATE and
DELETE of ``dossiers_dossierevent``, whoever sends it (the ORM, raw SQL, the admin).

TRUNCATE is left to the table's owner (the test runner's flush, a rebuilt bench database):
it is a statement only the owner may run and no application code sends. Nothing in the portal
updates or deletes an event (a dossier with events is protected from deletion; drafts have
none), so the trigger has no way round it; re-keying the chain again would drop it first, as
0009 ran before it. SQLite (`make run`) gets no trigger: the models' guards remain.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION dossiers_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dossiers_dossierevent is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Dossier events are never updated or deleted; the chain is verified by verify_events.';
END
$$;
DROP TRIGGER IF EXISTS dossiers_event_append_only ON dossiers_dossierevent;
CREATE TRIGGER dossiers_event_append_only
    BEFORE UPDATE OR DELETE ON dossiers_dossierevent
    FOR EACH ROW EXECUTE FUNCTION dossiers_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS dossiers_event_append_only ON dossiers_dossierevent;
DROP FUNCTION IF EXISTS dossiers_event_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0009_rechain_events")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
