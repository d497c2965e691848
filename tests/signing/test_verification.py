"""The public verification page and API: each verdict, and bad input answered without a 500."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfWriter

from signing.services import pdf_sign
from signing.services.verification import pdf_verify
from tests.signing import pki as test_pki
from tests.signing.conftest import P12_PASSWORD

pytestmark = pytest.mark.django_db


def _upload(data: bytes, name: str = "ket-qua.pdf"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _tampered(signed: bytes) -> bytes:
    """A later incremental update that changes the page content: not a signature, not allowed."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.find_page_for_modification(0)[0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf (Gia mao) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_valid_then_signed_again(seal, trust_store, two_page_pdf):
    once = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)
    (only,) = pdf_verify(pdf=once)
    assert only.verdict == "valid" and only.intact and only.trusted and only.covers_whole_document
    assert only.signer == "Sở Tư pháp Tỉnh Demo" and only.organisation == "Sở Tư pháp Tỉnh Demo"
    assert only.coverage == "entire_file"
    first, second = pdf_verify(pdf=pdf_sign(pdf=once, identity_id=seal.pk))
    assert first.verdict == "valid_later_signed" and not first.covers_whole_document
    assert first.coverage == "later_signatures"
    assert second.verdict == "valid" and second.coverage == "entire_file"


def test_modified_after_signing(seal, trust_store, two_page_pdf):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)
    (report,) = pdf_verify(pdf=_tampered(signed))
    assert report.verdict == "modified" and report.coverage == "changed"
    assert report.intact  # the signed bytes themselves are untouched; the change came later


def test_bytes_changed_inside_the_signed_range(seal, trust_store, two_page_pdf):
    signed = bytearray(pdf_sign(pdf=two_page_pdf, identity_id=seal.pk))
    index = signed.index(b"/MediaBox")
    signed[index + 1 : index + 9] = b"MediaBoy"
    (report,) = pdf_verify(pdf=bytes(signed))
    assert report.verdict == "modified" and not report.intact


def test_untrusted_when_the_chain_does_not_reach_the_trust_store(pki, agency, trust_store, two_page_pdf):
    from signing.services import identity_import_pkcs12

    stranger = identity_import_pkcs12(
        data=test_pki.p12(pki.stranger, [pki.other_root], P12_PASSWORD), password=P12_PASSWORD, agency=agency
    )
    (report,) = pdf_verify(pdf=pdf_sign(pdf=two_page_pdf, identity_id=stranger.pk))
    assert report.verdict == "untrusted" and report.intact and not report.trusted


def test_an_empty_trust_store_trusts_nothing(seal, two_page_pdf):
    (report,) = pdf_verify(pdf=pdf_sign(pdf=two_page_pdf, identity_id=seal.pk))
    assert report.verdict == "untrusted"


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("mat-khau")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a pdf at all", "không phải là tài liệu PDF"),
        (b"%PDF-1.7\n1 0 obj <<", "bị hỏng"),
        (test_pki.two_page_pdf(), "không có chữ ký số"),
        (_encrypted_pdf(), "mã hóa"),
    ],
)
def test_page_answers_bad_input_with_a_clear_message(client, data, message):
    response = client.post("/verify/", {"file": _upload(data)})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_page_refuses_a_huge_file(client, settings, monkeypatch):
    monkeypatch.setattr("signing.forms.VERIFY_MAX_BYTES", 1000)
    response = client.post("/verify/", {"file": _upload(b"%PDF-" + b"0" * 2000)})
    assert response.status_code == 400
    assert "Tệp quá lớn" in response.content.decode()


def test_page_shows_each_signature(client, seal, trust_store, two_page_pdf):
    assert client.get("/verify/").status_code == 200
    signed = pdf_sign(pdf=pdf_sign(pdf=two_page_pdf, identity_id=seal.pk), identity_id=seal.pk)
    response = client.post("/verify/", {"file": _upload(signed)})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="card mb-3 signature-report"') == 2
    assert 'data-verdict="valid_later_signed"' in body and 'data-verdict="valid"' in body
    assert "Sở Tư pháp Tỉnh Demo" in body


def test_api_returns_the_same_verdicts_as_json(client, seal, trust_store, two_page_pdf):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)
    response = client.post("/api/v1/verify/", {"file": _upload(signed)})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    assert data["signatures"][0]["verdict"] == "valid"
    assert data["signatures"][0]["verdict_label"] == "Hợp lệ"
    assert data["signatures"][0]["signer"] == "Sở Tư pháp Tỉnh Demo"


@pytest.mark.parametrize(
    ("files", "field"),
    [({}, "file"), ({"file": _upload(b"garbage")}, None)],
)
def test_api_errors_use_the_shared_format(client, files, field):
    response = client.post("/api/v1/verify/", files)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    if field:
        assert field in error["fields"]
    else:
        assert "không phải là tài liệu PDF" in error["message"]


def _crl_bytes(crl, pem: bool = False) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return crl.public_bytes(serialization.Encoding.PEM if pem else serialization.Encoding.DER)


@pytest.fixture
def revoked_identity(pki, agency, import_identity):
    return import_identity(pki.revoked, agency=agency)


@pytest.fixture
def trust_store_with_crl(pki, trust_store):
    from signing.services import trusted_certificate_set_crl

    root, intermediate = trust_store
    trusted_certificate_set_crl(trusted_id=intermediate.pk, data=_crl_bytes(pki.crl, pem=True))
    return trust_store


def test_revoked_when_the_trust_store_lists_the_signer_on_a_crl(
    revoked_identity, trust_store_with_crl, two_page_pdf, responder_down
):
    # No OCSP responder or CRL distribution point answers: the stored CRL alone finds it.
    (report,) = pdf_verify(pdf=pdf_sign(pdf=two_page_pdf, identity_id=revoked_identity.pk))
    assert report.verdict == "revoked" and report.revoked and report.intact
    assert report.verdict_label == "Chứng thư số đã bị thu hồi"


def test_a_good_signer_stays_valid_with_the_crl_loaded(seal, trust_store_with_crl, two_page_pdf):
    (report,) = pdf_verify(pdf=pdf_sign(pdf=two_page_pdf, identity_id=seal.pk))
    assert report.verdict == "valid" and not report.revoked


def test_page_and_api_report_the_revoked_signer(client, revoked_identity, trust_store_with_crl, two_page_pdf):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=revoked_identity.pk)
    page = client.post("/verify/", {"file": _upload(signed)})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-verdict="revoked"' in body and "Chứng thư số đã bị thu hồi" in body
    api = client.post("/api/v1/verify/", {"file": _upload(signed)})
    assert api.status_code == 200
    (signature,) = api.json()["signatures"]
    assert signature["verdict"] == "revoked" and signature["revoked"] is True
    assert signature["verdict_label"] == "Chứng thư số đã bị thu hồi"


def test_crl_must_come_from_the_certificate_it_is_attached_to(pki, trust_store):
    from django.core.exceptions import ValidationError

    from signing.services import trusted_certificate_set_crl

    root, intermediate = trust_store
    with pytest.raises(ValidationError) as wrong_issuer:
        trusted_certificate_set_crl(trusted_id=root.pk, data=_crl_bytes(pki.crl))
    assert wrong_issuer.value.code == "crl_issuer"
    with pytest.raises(ValidationError) as garbage:
        trusted_certificate_set_crl(trusted_id=intermediate.pk, data=b"not a crl")
    assert garbage.value.code == "invalid_crl"
    updated = trusted_certificate_set_crl(trusted_id=intermediate.pk, data=_crl_bytes(pki.crl))
    assert updated.crl_revoked_count == 1 and updated.crl_next_update is not None
