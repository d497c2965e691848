"""PDFs that applicants upload already signed are verified after the upload commits (signing
queue) and the verdict is shown to officers next to the document; unsigned PDFs leave nothing."""

import hashlib

import pytest
from django.core.files.base import ContentFile

from dossiers import services, tasks
from portal.constants import OfficerRole
from signing.constants import Verdict
from signing.models import UploadVerification
from signing.services import pdf_sign
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    OnlineVersionFactory,
    StoredDocumentFactory,
    make_pdf,
)
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen():
    return UserFactory()


@pytest.fixture
def signed_pdf(import_identity, pki, two_page_pdf):
    seal = import_identity(agency=AgencyFactory(), display_name="Sở Tư pháp Tỉnh Demo")
    return pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)


def _upload(citizen, content):
    version = OnlineVersionFactory()
    draft = services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)
    return services.dossier_document_upload(
        user=citizen,
        dossier=draft,
        requirement_id=version.documents.get().pk,
        name="to_khai_da_ky.pdf",
        content=content,
    )


def test_a_signed_upload_is_verified_after_commit(citizen, signed_pdf, trust_store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = _upload(citizen, signed_pdf)
    check = UploadVerification.objects.get(stored_document=document.stored)
    assert check.verdict == Verdict.VALID and check.sha256 == document.stored.sha256
    [report] = check.signatures
    assert report["organisation"] == "Sở Tư pháp Tỉnh Demo"
    # Run again (a retry): the same row, nothing new.
    assert tasks.verify_uploaded_signatures(document.stored_id) is True
    assert UploadVerification.objects.count() == 1


def test_an_untrusted_signature_is_reported_and_an_unsigned_upload_leaves_nothing(
    citizen, signed_pdf, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed = _upload(citizen, signed_pdf)  # no trust store: the chain reaches no trusted root
        unsigned = _upload(citizen, make_pdf())
    assert UploadVerification.objects.get(stored_document=signed.stored).verdict == Verdict.UNTRUSTED
    assert not UploadVerification.objects.filter(stored_document=unsigned.stored).exists()


def test_officers_see_the_verdict_next_to_the_document(client, signed_pdf, trust_store):
    dossier = DossierFactory()
    stored = StoredDocumentFactory(
        file=ContentFile(signed_pdf, name="to_khai_da_ky.pdf"), sha256=hashlib.sha256(signed_pdf).hexdigest()
    )
    DossierDocumentFactory(dossier=dossier, stored=stored)
    DossierDocumentFactory(dossier=dossier)  # unsigned: no badge
    tasks.verify_uploaded_signatures(stored.pk)
    officer = OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user
    client.force_login(with_totp(officer))
    body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert body.count("signature-verdict") == 1
    assert f'data-verdict="{Verdict.VALID}"' in body
    assert "Chữ ký số: Hợp lệ" in body
    assert "Sở Tư pháp Tỉnh Demo" in body


def test_filing_in_one_pass_verifies_only_the_signed_pdf(
    citizen, signed_pdf, trust_store, django_capture_on_commit_callbacks
):
    """The API's one-pass filing sends the signed PDF to the signing queue (through the outbox,
    in the filing's transaction) and not the unsigned one."""
    from portal.models import OutboxMessage
    from tests.procedures.factories import DocumentRequirementFactory

    version = OnlineVersionFactory()
    second = DocumentRequirementFactory(version=version, name="Giấy chứng sinh", required=True, order=2)
    first = version.documents.exclude(pk=second.pk).get()
    with django_capture_on_commit_callbacks(execute=True):
        dossier, _pin, created = services.dossier_file(
            user=citizen,
            procedure_code=version.procedure.code,
            data={"full_name": "Lê Thị Ký"},
            files={first.pk: ("to_khai_da_ky.pdf", signed_pdf), second.pk: ("giay_chung_sinh.pdf", make_pdf())},
        )
    assert created
    signed_doc = dossier.documents.get(requirement=first)
    sent = OutboxMessage.objects.filter(task="dossiers.tasks.verify_uploaded_signatures")
    assert [row.args for row in sent] == [[signed_doc.stored_id]]
    assert all(row.done_at is not None for row in sent)
    assert UploadVerification.objects.get(stored_document_id=signed_doc.stored_id).verdict == Verdict.VALID
