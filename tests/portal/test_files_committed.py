"""A file written for a row lives only if the row does: when the transaction that writes both
fails, in its block or at COMMIT (PostgreSQL checks the foreign keys there, deferred), the
file is deleted from the private storage. The PostgreSQL restart of tests/faults meets the
same path with the server gone at COMMIT."""

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from dossiers.constants import SlipKind
from dossiers.models import Dossier, Slip
from dossiers.services.slips import slip_render_acknowledgement
from portal.storage import files_kept_only_if_committed
from tests.dossiers.factories import DossierFactory, make_pdf


def _files(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def storage_root(settings, tmp_path):
    default = settings.STORAGES["default"]
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": {"location": str(tmp_path)}}}
    return tmp_path


@pytest.mark.django_db(transaction=True)
def test_a_failure_at_commit_deletes_the_file_the_transaction_wrote(storage_root):
    slip = Slip.objects.create(dossier=DossierFactory(), kind=SlipKind.ACKNOWLEDGEMENT, number=1)
    before = _files(storage_root)  # the procedure's form template
    with pytest.raises(IntegrityError), files_kept_only_if_committed() as track, transaction.atomic():
        locked = Slip.objects.select_for_update().get(pk=slip.pk)
        locked.file.save("xac-nhan-hong.pdf", ContentFile(make_pdf()), save=False)
        track(locked.file)
        assert _files(storage_root) - before == {locked.file.name}  # written, the row not yet committed
        locked.dossier_id = Dossier.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
        locked.save(update_fields=["file", "dossier"])  # the deferred foreign key fails at COMMIT
    assert _files(storage_root) == before
    slip.refresh_from_db()
    assert not slip.file


@pytest.mark.django_db(transaction=True)
def test_a_failure_inside_the_block_deletes_it_and_a_committed_one_stays(storage_root):
    dossier = DossierFactory(code="000.00.01.H99-261202-0001")
    before = _files(storage_root)
    with pytest.raises(RuntimeError), files_kept_only_if_committed() as track, transaction.atomic():
        slip = Slip.objects.create(dossier=dossier, kind=SlipKind.ACKNOWLEDGEMENT, number=1)
        slip.file.save("xac-nhan-loi.pdf", ContentFile(make_pdf()), save=True)
        track(slip.file)
        raise RuntimeError("the render's next step failed")
    assert _files(storage_root) == before and not Slip.objects.exists()
    slip = slip_render_acknowledgement(dossier_id=dossier.pk)
    assert _files(storage_root) - before == {slip.file.name} and slip.file.name.startswith("slips/")


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_happened_though_reported_failed_keeps_the_new_file_and_drops_the_old(storage_root):
    """The answer to COMMIT lost (the server committed, the client saw an error): the row is
    read again; it holds the new file, so the new file stays and the one it replaced goes."""
    slip = Slip.objects.create(dossier=DossierFactory(), kind=SlipKind.ACKNOWLEDGEMENT, number=1)
    slip.file.save("xac-nhan.pdf", ContentFile(make_pdf()), save=True)
    old = slip.file.name
    before = _files(storage_root)
    with pytest.raises(ConnectionError), files_kept_only_if_committed() as track:
        with transaction.atomic():
            locked = Slip.objects.select_for_update().get(pk=slip.pk)
            locked.file.save("xac-nhan.pdf", ContentFile(make_pdf()), save=False)
            track(locked.file, replaces=old)
            locked.save(update_fields=["file"])
        raise ConnectionError("the answer to COMMIT was lost")
    slip.refresh_from_db()
    assert slip.file.name != old and _files(storage_root) == (before - {old}) | {slip.file.name}
