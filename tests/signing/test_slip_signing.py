"""Slips released to the applicant carry the agency seal: rendering form 01 (or the submission
acknowledgement) queues its signature on commit when the receiving agency has a seal; without one
the slip stays unsigned. Signing is done once."""

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from dossiers import services
from dossiers.constants import SlipKind
from dossiers.models import Slip
from portal.constants import OfficerRole
from signing import tasks
from signing.constants import Verdict
from signing.services.verification import pdf_verify
from tests.dossiers.factories import DossierFactory
from tests.factories import OfficerMembershipFactory

pytestmark = pytest.mark.django_db


def _receive(dossier, capture):
    officer = OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user
    with capture(execute=True):
        services.dossier_receive(user=officer, dossier_id=dossier.pk)
    return Slip.objects.get(dossier=dossier, kind=SlipKind.RECEIPT)


def _pdf(slip) -> bytes:
    with slip.file.open("rb") as handle:
        return handle.read()


def test_form_01_of_an_agency_with_a_seal_carries_one_valid_signature(
    import_identity, trust_store, django_capture_on_commit_callbacks
):
    dossier = DossierFactory()
    import_identity(agency=dossier.receiving_agency, display_name="UBND xã Thử")
    slip = _receive(dossier, django_capture_on_commit_callbacks)
    pdf = _pdf(slip)
    assert len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures) == 1
    [report] = pdf_verify(pdf=pdf)
    assert report.verdict == Verdict.VALID
    assert slip.context["signed_sha256"]
    # A retried task signs nothing again.
    assert tasks.sign_slip(slip.pk) is False
    slip.refresh_from_db()
    assert len(PdfFileReader(io.BytesIO(_pdf(slip))).embedded_signatures) == 1


def test_form_01_of_an_agency_without_a_seal_stays_unsigned(django_capture_on_commit_callbacks):
    slip = _receive(DossierFactory(), django_capture_on_commit_callbacks)
    assert not PdfFileReader(io.BytesIO(_pdf(slip))).embedded_signatures
    assert "signed_sha256" not in slip.context
    assert tasks.sign_slip(slip.pk) is False


def test_the_acknowledgement_is_sealed_too(import_identity, trust_store, django_capture_on_commit_callbacks):
    dossier = DossierFactory()
    import_identity(agency=dossier.receiving_agency)
    with django_capture_on_commit_callbacks(execute=True):
        slip = services.slip_render_acknowledgement(dossier_id=dossier.pk)
    slip.refresh_from_db()
    [report] = pdf_verify(pdf=_pdf(slip))
    assert report.verdict == Verdict.VALID
