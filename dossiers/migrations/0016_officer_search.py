"""Officer search: the saved filters, the applicant's name folded (lower case, no accents, a
column the database generates), and the indexes of the search by number and by name.

The name index is PostgreSQL's only: a pg_trgm GIN index on ``applicant_name_folded``, made
with ``procedures_unaccent`` (the IMMUTABLE wrapper of ``unaccent`` that procedures 0002
creates with the extensions). SQLite scans instead (its ``procedures_unaccent`` is a Python
function registered on each connection, ``dossiers.apps``).
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

FORWARD = [
    "CREATE INDEX IF NOT EXISTS dossier_applicant_name_trgm ON dossiers_dossier "
    "USING gin (applicant_name_folded gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS dossier_applicant_name_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0015_document_source_form"),
        ("portal", "0004_webhooks"),
        ("procedures", "0005_fee_quantity_condition"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedFilter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("list_name", models.CharField(max_length=32, verbose_name="danh sách")),
                ("name", models.CharField(max_length=80, verbose_name="tên bộ lọc")),
                ("query", models.CharField(max_length=1000, verbose_name="điều kiện lọc")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "bộ lọc đã lưu",
                "verbose_name_plural": "bộ lọc đã lưu",
            },
        ),
        migrations.AddField(
            model_name="dossier",
            name="applicant_name_folded",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    django.db.models.functions.text.Lower("applicant_name"),
                    function="procedures_unaccent",
                    output_field=models.CharField(),
                ),
                output_field=models.CharField(max_length=255),
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("applicant_id_number", ""), _negated=True),
                fields=["applicant_id_number"],
                name="dossier_applicant_id_number",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("applicant_phone", ""), _negated=True),
                fields=["applicant_phone"],
                name="dossier_applicant_phone",
            ),
        ),
        migrations.AddField(
            model_name="savedfilter",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="saved_filters", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddConstraint(
            model_name="savedfilter",
            constraint=models.UniqueConstraint(fields=("user", "list_name", "name"), name="uniq_saved_filter_name"),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
