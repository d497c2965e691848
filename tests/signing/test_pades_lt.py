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
