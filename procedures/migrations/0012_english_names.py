"""English names and summaries of procedure versions, and their trigram index (PostgreSQL only),
on the same expression as the Vietnamese name's (migration 0004)."""

from django.db import migrations, models

FORWARD = [
    "CREATE INDEX IF NOT EXISTS proc_version_name_en_trgm ON procedures_procedureversion "
    "USING gin (procedures_unaccent(lower(name_en)) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS proc_version_name_en_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0011_national_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="procedureversion",
            name="name_en",
            field=models.CharField(blank=True, max_length=500, verbose_name="tên thủ tục (tiếng Anh)"),
        ),
        migrations.AddField(
            model_name="procedureversion",
            name="summary_en",
            field=models.TextField(blank=True, max_length=2000, verbose_name="tóm tắt (tiếng Anh)"),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
