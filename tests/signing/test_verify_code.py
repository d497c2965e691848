"""Verification by code: the stamp's QR code on a signed result leads to ``/verify/<code>/``,
the public record of the result (agency, signer, date, SHA-256 of the issued file)."""

import hashlib

import pytest
from django.test import override_settings

from dossiers import services
from dossiers.models import DossierResult
from tests.dossiers.factories import DossierFactory, Team, to_pending
from tests.signing import pki as test_pki

pytestmark = pytest.mark.django_db


@pytest.fixture
def qr_urls(monkeypatch):
    """The URLs the stamps' QR codes encode (pyHanko draws the QR; the PDF holds no link to read)."""
    from signing import backends

    seen = []
    original = backends._SignerBasedBackend.sign_pdf

    def spy(self, *, writer, signer_args, text_params):
        seen.append(text_params.get("url"))
        return original(self, writer=writer, signer_args=signer_args, text_params=text_params)

    monkeypatch.setattr(backends._SignerBasedBackend, "sign_pdf", spy)
    return seen


@pytest.fixture
def signed_result(import_identity, django_capture_on_commit_callbacks, qr_urls):
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    import_identity(agency=team.agency, display_name="UBND xã Thử")
    to_pending(dossier, team, result_title="Giấy khai sinh")
    result = DossierResult.objects.get(dossier=dossier)
    with result.stored.file.open("wb") as handle:
        handle.write(test_pki.two_page_pdf())
    with override_settings(SITE_URL="https://dichvucong.example.vn"), django_capture_on_commit_callbacks(execute=True):
        services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    result.refresh_from_db()
    result.stored.refresh_from_db()
    return result


def test_the_stamp_qr_code_leads_to_the_result_record(signed_result, qr_urls):
    assert qr_urls == [f"https://dichvucong.example.vn/verify/{signed_result.code}/"]


def test_the_record_page_shows_what_to_compare(client, signed_result):
    response = client.get(f"/verify/{signed_result.code}/")
    assert response.status_code == 200
    body = response.content.decode()
    dossier = signed_result.dossier
    with signed_result.stored.file.open("rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert digest == signed_result.stored.sha256
    assert f'<code class="text-break" id="result-sha256">{digest}</code>' in body
    assert signed_result.code in body and dossier.code in body
    assert dossier.receiving_agency.name in body and "Giấy khai sinh" in body
    assert body.count('class="result-signature"') == 1 and "UBND xã Thử" in body


def test_unknown_code_answers_404_in_vietnamese(client, db):
    response = client.get("/verify/H99-000000-0000-KQ1/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Không tìm thấy kết quả nào có mã" in body and "H99-000000-0000-KQ1" in body


def test_a_draft_result_is_not_shown(client, import_identity):
    dossier = DossierFactory()
    team = Team(dossier.receiving_agency)
    to_pending(dossier, team, result_title="Giấy khai sinh")
    result = DossierResult.objects.get(dossier=dossier)
    assert result.status == "draft"
    assert client.get(f"/verify/{result.code}/").status_code == 404


def test_a_document_that_is_no_result_keeps_the_upload_page_url(seal, two_page_pdf, settings, qr_urls):
    from signing.services import pdf_sign

    settings.SITE_URL = "https://dichvucong.example.vn"
    pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)
    assert qr_urls == ["https://dichvucong.example.vn/verify/"]
