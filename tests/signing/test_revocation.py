"""Revocation over the network, against the test PKI's in-process OCSP responder and CRL
distribution point (127.0.0.1): verification asks them when ``SIGNING_REVOCATION_FETCH`` is on,
PAdES B-LT embeds their answers, and nothing is asked when it is off."""

import io

import pytest
from asn1crypto import ocsp as asn1_ocsp
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.services import pdf_sign
from signing.services.verification import pdf_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def ocsp_revoked_identity(pki, agency, import_identity):
    return import_identity(pki.ocsp_revoked, agency=agency)


def _ocsp_requests(responder) -> list[str]:
    return [line for line in responder.state.requests if "/ocsp" in line]


def test_a_signer_revoked_at_the_ocsp_responder_is_reported_revoked_without_any_crl(
    ocsp_revoked_identity, trust_store, two_page_pdf, responder
):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=ocsp_revoked_identity.pk)
    responder.state.requests.clear()

    (report,) = pdf_verify(pdf=signed)

    assert report.verdict == "revoked" and report.revoked and report.intact
    assert report.verdict_label == "Chứng thư số đã bị thu hồi"
    assert _ocsp_requests(responder), responder.state.requests
    assert not any(bytes(t.crl) for t in trust_store)


def test_a_good_signer_stays_valid_after_asking_the_responder(seal, trust_store, two_page_pdf, responder):
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk)
    responder.state.requests.clear()
    (report,) = pdf_verify(pdf=signed)
    assert report.verdict == "valid" and not report.revoked
    assert _ocsp_requests(responder)


def test_the_page_reports_the_ocsp_revocation(client, ocsp_revoked_identity, trust_store, two_page_pdf, responder):
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed = pdf_sign(pdf=two_page_pdf, identity_id=ocsp_revoked_identity.pk)
    page = client.post("/verify/", {"file": SimpleUploadedFile("a.pdf", signed, content_type="application/pdf")})
    assert page.status_code == 200
    assert 'data-verdict="revoked"' in page.content.decode()


def test_nothing_is_asked_when_fetching_is_off(settings, ocsp_revoked_identity, trust_store, two_page_pdf, responder):
    settings.SIGNING_REVOCATION_FETCH = False
    signed = pdf_sign(pdf=two_page_pdf, identity_id=ocsp_revoked_identity.pk)
    (report,) = pdf_verify(pdf=signed)
    # Only the responder knows of this revocation, and it was not asked.
    assert responder.state.requests == []
    assert report.verdict == "valid"


def test_an_unreachable_responder_leaves_the_verdict_to_the_other_data(
    ocsp_revoked_identity, trust_store, two_page_pdf, responder_down
):
    (report,) = pdf_verify(pdf=pdf_sign(pdf=two_page_pdf, identity_id=ocsp_revoked_identity.pk))
    assert responder_down.state.requests  # it was asked, and answered 503
    assert report.verdict == "valid" and report.intact and report.trusted


def _dss_ocsp_serials(signed: bytes) -> set[int]:
    dss = PdfFileReader(io.BytesIO(signed)).root["/DSS"]
    serials = set()
    for ref in dss.get("/OCSPs", []):
        response = asn1_ocsp.OCSPResponse.load(bytes(ref.get_object().data))
        for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
            serials.add(single["cert_id"]["serial_number"].native)
    return serials


def test_b_lt_embeds_the_ocsp_answer_and_verifies_later_without_the_network(
    settings, pki, seal, trust_store, two_page_pdf, timestamper, responder
):
    settings.SIGNING_PADES_LT = True
    signed = pdf_sign(pdf=two_page_pdf, identity_id=seal.pk, timestamper=timestamper)

    assert pki.signer.cert.serial_number in _dss_ocsp_serials(signed)
    responder.state.up = False
    settings.SIGNING_REVOCATION_FETCH = False
    (report,) = pdf_verify(pdf=signed)
    assert report.verdict == "valid"


def test_b_lt_refuses_to_sign_with_a_certificate_revoked_at_the_responder(
    settings, ocsp_revoked_identity, trust_store, two_page_pdf, timestamper, responder
):
    from django.core.exceptions import ValidationError

    settings.SIGNING_PADES_LT = True
    with pytest.raises(ValidationError) as refused:
        pdf_sign(pdf=two_page_pdf, identity_id=ocsp_revoked_identity.pk, timestamper=timestamper)
    assert refused.value.code == "signer_invalid"
    assert "thu hồi" in refused.value.messages[0]
    assert _ocsp_requests(responder)


def test_issuer_certificates_named_by_an_uploaded_file_are_never_fetched(
    pki, agency, trust_store, two_page_pdf, responder
):
    """The AIA caIssuers URL of a certificate comes from whoever made the file, before anything
    is trusted: following it would let any uploader make the portal send requests (SSRF)."""
    from signing.services import identity_import_pkcs12
    from tests.signing import pki as test_pki
    from tests.signing.conftest import P12_PASSWORD

    lure = test_pki.issue(
        "Người ký mồi", issuer=pki.other_root, org="Không rõ", ca_issuers_url=f"{pki.base_url}/ca-issuer.cer"
    )
    identity = identity_import_pkcs12(data=test_pki.p12(lure, [], P12_PASSWORD), password=P12_PASSWORD, agency=agency)
    signed = pdf_sign(pdf=two_page_pdf, identity_id=identity.pk)
    responder.state.requests.clear()

    (report,) = pdf_verify(pdf=signed)

    assert report.verdict == "untrusted"
    assert not any("ca-issuer" in line for line in responder.state.requests), responder.state.requests
