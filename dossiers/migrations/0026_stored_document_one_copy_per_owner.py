"""One copy of a file handed in per owner (issue 19).

Before the constraint, the duplicates already in the store are merged: for each owner,
organisation and SHA-256 among uploads and counter scans, the oldest entry is kept, every
row pointing at another one is repointed to it (a one-to-one row the kept entry already
has, such as a preview or a signature verdict, is dropped as the duplicate it is), and the
other entries are deleted; their files, and the pages of dropped previews, are deleted from
storage once the migration has committed (never a file another entry still names).
"""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import migrations, models
from django.db.models import Count

logger = logging.getLogger(__name__)

DEDUPLICATED_SOURCES = ["upload", "scan"]


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 (a stray file left, never a migration failed)
            logger.warning("could not delete %s, a merged duplicate's file", name, exc_info=True)


def merge_duplicates(apps, schema_editor) -> tuple[int, int]:
    """Merge the duplicate entries; returns (groups merged, entries deleted)."""
    StoredDocument = apps.get_model("dossiers", "StoredDocument")
    store = StoredDocument._base_manager.filter(source__in=DEDUPLICATED_SOURCES)
    groups = (
        store.values("owner_id", "organisation_id", "sha256")
        .annotate(entries=Count("pk"))
        .filter(entries__gt=1)
        .order_by("owner_id", "organisation_id", "sha256")
    )
    relations = [r for r in StoredDocument._meta.related_objects if not r.many_to_many]
    doomed_files: list[str] = []
    merged = deleted = 0
    for group in groups.iterator():
        entries = list(
            store.filter(
                owner_id=group["owner_id"], organisation_id=group["organisation_id"], sha256=group["sha256"]
            ).order_by("pk")
        )
        keep, duplicates = entries[0], entries[1:]
        ids = [d.pk for d in duplicates]
        for relation in relations:
            related = relation.related_model._base_manager
            column = relation.field.attname
            if relation.one_to_one:
                held = related.filter(**{column: keep.pk}).exists()
                for row in related.filter(**{f"{column}__in": ids}).order_by(column):
                    if held:
                        doomed_files.extend(getattr(row, "pages", None) or [])
                        related.filter(pk=row.pk).delete()
                    else:
                        related.filter(pk=row.pk).update(**{column: keep.pk})
                        held = True
            else:
                related.filter(**{f"{column}__in": ids}).update(**{column: keep.pk})
        names = {d.file.name for d in duplicates if d.file.name}
        StoredDocument._base_manager.filter(pk__in=ids).delete()
        still_named = set(StoredDocument._base_manager.filter(file__in=names).values_list("file", flat=True))
        doomed_files.extend(sorted(names - still_named))
        merged += 1
        deleted += len(ids)
    if doomed_files:
        schema_editor.connection.on_commit(lambda: _delete_files(doomed_files))
    if deleted and schema_editor.connection.vendor == "postgresql":
        # The deferred foreign-key checks of the rows changed run now, before the index is built
        # in the same transaction (PostgreSQL refuses it while they are pending).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return merged, deleted


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0025_index_national_list_digitisation_online"),
        ("portal", "0009_notification_delivery_zalo"),
        # The signing rows that point at stored documents are repointed too.
        ("signing", "0004_trusted_certificate_crl_refresh"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(merge_duplicates, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="storeddocument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("organisation__isnull", True), ("source__in", ["upload", "scan"])),
                fields=("owner", "sha256"),
                name="stored_document_one_copy_per_owner",
            ),
        ),
        migrations.AddConstraint(
            model_name="storeddocument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("organisation__isnull", False), ("source__in", ["upload", "scan"])),
                fields=("owner", "organisation", "sha256"),
                name="stored_document_one_copy_per_owner_org",
            ),
        ),
    ]
