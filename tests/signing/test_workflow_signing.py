"""The workflow releases only signed results: approval signs them in the signing queue, and an
agency with a seal cannot return an unsigned result online."""

import io

import pytest
from django.core.exceptions import ValidationError
from pyhanko.pdf_utils.reader import PdfFileReader

from dossiers import services
from dossiers.constants import DossierState, ReturnMethod
from dossiers.models import Dossier, DossierResult, StoredDocument
from signing.models import SignedDocument
from tests.dossiers.factories import DossierFactory, Team, to_pending
from tests.signing import pki as test_pki

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier_and_team():
    dossier = DossierFactory()
    return dossier, Team(dossier.receiving_agency)


def _read(stored) -> bytes:
    with stored.file.open("rb") as handle:
        return handle.read()


def test_approval_signs_the_result_and_the_applicant_gets_the_signed_copy(
    dossier_and_team, import_identity, django_capture_on_commit_callbacks
):
    dossier, team = dossier_and_team
    import_identity(agency=team.agency, display_name="UBND xã Thử")
    to_pending(dossier, team, result_title="Giấy khai sinh")
    result = DossierResult.objects.get(dossier=dossier)
    # A two-page PDF as the result draft, so the stamp lands on a real document.
    with result.stored.file.open("wb") as handle:
        handle.write(test_pki.two_page_pdf())
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    result.refresh_from_db()
    result.stored.refresh_from_db()
    signed = _read(result.stored)
    assert len(PdfFileReader(io.BytesIO(signed)).embedded_signatures) == 1
    assert SignedDocument.objects.filter(stored_document=result.stored, sha256=result.stored.sha256).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.ONLINE)
    copy = StoredDocument.objects.get(owner=dossier.applicant, result_code=result.code)
    assert copy.sha256 == result.stored.sha256 and _read(copy) == signed


def test_an_unsigned_result_is_not_returned_online_by_an_agency_with_a_seal(dossier_and_team, import_identity):
    dossier, team = dossier_and_team
    import_identity(agency=team.agency)
    to_pending(dossier, team)
    # On-commit work (the signing task) is not run here: the result stays unsigned.
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    with pytest.raises(ValidationError) as refused:
        services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.ONLINE)
    assert refused.value.code == "invalid_state"
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.RESOLVED
    assert not StoredDocument.objects.filter(owner=dossier.applicant, result_code__startswith=dossier.code).exists()
    # At the counter the paper result is handed over; nothing enters the store.
    services.dossier_return_result(
        user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.COUNTER, recipient="Nguyễn Văn Nhận"
    )
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.RETURNED
