"""Poppler's independent ``pdfsig`` (Debian poppler-utils) checks files the portal signed.

pdfsig validates certificates against an NSS database: the test makes one that trusts the test
root with NSS's ``certutil`` (Debian libnss3-tools, installed by ``.ci/run``), so both the
signatures over the bytes and the certificates are checked by an independent implementation,
including its OCSP check against the test PKI's local responder (the certificates name it).

Why the twice-signed file is signed by two different certificates (the officer's, then the
agency seal, as the workflow does): pdfsig 22.12 (Debian bookworm) cannot reliably check two
signatures made with the *same* certificate in one run. Its ``SignatureHandler`` registers each
certificate embedded in a signature as an NSS temporary certificate whose DER lives in the
CMS message's arena, then frees that arena when it moves on; the next signature carrying the same
certificate makes NSS compare against the freed memory (valgrind: "Invalid read ... inside a
block ... free'd" in ``CERT_NewTempCertificate`` called from
``SignatureHandler::CMS_SignedDataCreate``, the block freed by ``~SignatureHandler``). Depending
on whether that memory was reused, NSS fails with SEC_ERROR_REUSED_ISSUER_AND_SERIAL and pdfsig
prints "Unknown issue with Certificate or corrupted data" for the second signature: the same
file with byte-identical NSS databases passed from one directory and failed from another. With
two different signer certificates valgrind reports no invalid read and every signature is
trusted. The file itself is fine: pyHanko validates both signatures, and pdfsig verifies the
second signature's bytes and trusts the first one's (identical) certificate.
"""

import shutil
import subprocess

import pytest

from signing.constants import IdentityKind
from signing.services import pdf_sign

pytestmark = pytest.mark.django_db


def _nss_db_trusting(tmp_path, pki) -> str:
    certutil = shutil.which("certutil")
    assert certutil, "NSS certutil (libnss3-tools) is required; .ci/run installs it"
    db = tmp_path / "nssdb"
    db.mkdir()
    subprocess.run([certutil, "-N", "-d", f"sql:{db}", "--empty-password"], check=True, timeout=30)
    for name, item, trust in (("root", pki.root, "C,C,C"), ("intermediate", pki.intermediate, ",,")):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(item.pem)
        subprocess.run(
            [certutil, "-A", "-d", f"sql:{db}", "-n", name, "-t", trust, "-a", "-i", str(path)], check=True, timeout=30
        )
    return f"sql:{db}"


def _pdfsig(tmp_path, pki, signed: bytes) -> list[str]:
    """pdfsig's report, one chunk per signature."""
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(signed)
    command = ["pdfsig", "-nssdir", _nss_db_trusting(tmp_path, pki), str(path)]
    output = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    return output.split("Signature #")[1:]


def test_pdfsig_reports_every_signature_of_a_twice_signed_result_valid_and_trusted(
    tmp_path, seal, pki, agency, import_identity, two_page_pdf, responder
):
    officer = import_identity(pki.officer, agency=agency, kind=IdentityKind.AGENCY_SEAL, display_name="Chuyên viên")
    signed = pdf_sign(pdf=pdf_sign(pdf=two_page_pdf, identity_id=officer.pk), identity_id=seal.pk)
    responder.state.requests.clear()

    first, second = _pdfsig(tmp_path, pki, signed)

    for report in (first, second):
        assert "Signature Validation: Signature is Valid." in report, report
        assert "Certificate Validation: Certificate is Trusted." in report, report
    assert "Signer Certificate Common Name: Nguyễn Văn Thành" in first
    assert "Signer Certificate Common Name: Sở Tư pháp Tỉnh Demo" in second
    # The last signature covers every byte; the first one everything up to the second signature.
    assert "Not total document signed" in first and "Total document signed" in second.replace("Not total", "")
    # NSS asked the test PKI's OCSP responder about the signers.
    assert any("/ocsp" in line for line in responder.state.requests), responder.state.requests


def test_pdfsig_sees_the_revocation_the_ocsp_responder_reports(
    tmp_path, pki, agency, import_identity, two_page_pdf, responder
):
    revoked = import_identity(pki.ocsp_revoked, agency=agency)
    (report,) = _pdfsig(tmp_path, pki, pdf_sign(pdf=two_page_pdf, identity_id=revoked.pk))
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate has been Revoked." in report, report
