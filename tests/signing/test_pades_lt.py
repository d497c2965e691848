"""PAdES B-LT (``SIGNING_PADES_LT``): the revocation data of the trust store (the CRLs the
administrator uploaded) is embedded in the signed PDF's DSS, so it can be validated later
without reaching the CAs. Nothing is fetched: every CA of the test chain has its CRL stored."""

import io

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.services import pdf_sign, trusted_certificate_set_crl
from signing.services.verification import pdf_verify
from tests.signing import pki as test_pki

pytestmark = pytest.mark.django_db


def test_b_lt_signature_carries_a_dss_with_the_crls(settings, pki, seal, trust_store, two_page_pdf, timestamper):
    root, intermediate = trust_store
    root_crl = test_pki.crl(pki.root, [])
    for trusted, crl in ((root, root_crl), (intermediate, pki.crl)):
        trusted_certificate_set_crl(trusted_id=trusted.pk, data=crl.public_bytes(serialization.Encoding.DER))
    settings.SIGNING_PADES_LT = True

    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, timestamper=timestamper)

    reader = PdfFileReader(io.BytesIO(signed))
    dss = reader.root["/DSS"]
    embedded = {bytes(ref.get_object().data) for ref in dss["/CRLs"]}
    assert embedded >= {pki.crl.public_bytes(serialization.Encoding.DER)}
    certs = {bytes(ref.get_object().data) for ref in dss["/Certs"]}
    assert pki.signer.der in certs and pki.intermediate.der in certs
    (report,) = pdf_verify(pdf=signed)
    assert report.verdict == "valid" and report.timestamp is not None


def test_verify_page_words_the_coverage_of_a_b_lt_signature(
    client, settings, seal, trust_store, two_page_pdf, timestamper, responder
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SIGNING_PADES_LT = True
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, timestamper=timestamper)
    (report,) = pdf_verify(pdf=signed)
    # The DSS is an incremental update after the signature: not the whole file, yet only
    # validation data came after it.
    assert not report.covers_whole_document
    assert report.verdict == "valid" and report.coverage == "validation_data"

    page = client.post("/verify/", {"file": SimpleUploadedFile("lt.pdf", signed, content_type="application/pdf")})
    body = page.content.decode()
    assert 'data-coverage="validation_data"' in body
    assert "chỉ được bổ sung dữ liệu kiểm tra chữ ký" in body
    assert "Tài liệu có thay đổi sau chữ ký này" not in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post(
        "/verify/", {"file": SimpleUploadedFile("lt.pdf", signed, content_type="application/pdf")}
    ).content.decode()
    assert "only extended with validation data" in english
