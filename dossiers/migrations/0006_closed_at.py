"""``Dossier.closed_at`` (refused, withdrawn, stopped), backfilled from the dossier's events; the
statistics indexes of the lists behind a number; the report format of a subscription.

Non-atomic: the indexes are built concurrently, so a large table stays writable while they are;
the backfill is one UPDATE … FROM over the closing events (no row goes through Python).
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

CLOSED = "('refused', 'withdrawn', 'stopped')"

# The last event that took each dossier into its closed state; dossiers without one (data
# loaded from elsewhere) keep their last change, the best date there is.
BACKFILL = [
    f"""
    UPDATE dossiers_dossier d SET closed_at = e.closed_at
    FROM (
        SELECT dossier_id, max(created_at) AS closed_at FROM dossiers_dossierevent
        WHERE to_state IN {CLOSED} GROUP BY dossier_id
    ) e
    WHERE d.id = e.dossier_id AND d.state IN {CLOSED} AND d.closed_at IS NULL
    """,  # noqa: S608 - constants only
    f"UPDATE dossiers_dossier SET closed_at = updated_at WHERE state IN {CLOSED} AND closed_at IS NULL",  # noqa: S608
]


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        # SQLite (the zero-setup run): a correlated subquery does the same on its small tables.
        schema_editor.execute(
            f"""
            UPDATE dossiers_dossier SET closed_at = coalesce(
                (SELECT max(e.created_at) FROM dossiers_dossierevent e
                 WHERE e.dossier_id = dossiers_dossier.id AND e.to_state IN {CLOSED}), updated_at)
            WHERE state IN {CLOSED} AND closed_at IS NULL
            """  # noqa: S608 - constants only
        )
        return
    for statement in BACKFILL:
        schema_editor.execute(statement)


class AddIndexOnline(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain index elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0005_stats"),
        ("portal", "0004_webhooks"),
        ("procedures", "0005_fee_quantity_condition"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="closed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="kết thúc lúc"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        AddIndexOnline(
            model_name="dossier",
            index=models.Index(
                fields=["receiving_agency", "received_at"],
                include=[
                    "id",
                    "procedure",
                    "channel",
                    "state",
                    "resolved_at",
                    "closed_at",
                    "paused_at",
                    "due_at",
                    "original_due_at",
                ],
                name="dossier_agency_received",
            ),
        ),
        AddIndexOnline(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("resolved_at__isnull", False)),
                fields=["receiving_agency", "resolved_at"],
                include=["id", "procedure", "due_at", "original_due_at"],
                name="dossier_agency_resolved",
            ),
        ),
        AddIndexOnline(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", False)),
                fields=["receiving_agency", "closed_at"],
                include=["id", "procedure", "state"],
                name="dossier_agency_closed",
            ),
        ),
        AddIndexOnline(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("rated_at__isnull", False)),
                fields=["receiving_agency", "rated_at"],
                include=["id", "procedure", "rating"],
                name="dossier_agency_rated",
            ),
        ),
        AddIndexOnline(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("apology_at__isnull", False)),
                fields=["receiving_agency", "apology_at"],
                include=["id", "procedure"],
                name="dossier_agency_apology",
            ),
        ),
        migrations.AddField(
            model_name="statssubscription",
            name="report_format",
            field=models.CharField(
                choices=[("xlsx", "Bảng tính (XLSX)"), ("pdf", "Văn bản (PDF)")],
                default="xlsx",
                max_length=4,
                verbose_name="định dạng báo cáo",
            ),
        ),
    ]
