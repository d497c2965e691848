"""Poppler's independent ``pdfsig`` (Debian poppler-utils) checks a result the portal signed.

pdfsig validates certificates against an NSS database: the test makes one that trusts the test
root with NSS's ``certutil`` (Debian libnss3-tools, installed by ``.ci/run``), so both the
signatures over the bytes and the certificates are checked by an independent implementation.
"""

import shutil
import subprocess

import pytest

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


def test_pdfsig_reports_the_signatures_of_a_signed_result_as_valid(tmp_path, seal, pki, two_page_pdf):
    signed = pdf_sign(pdf=pdf_sign(pdf=two_page_pdf, identity_id=seal.pk), identity_id=seal.pk)
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(signed)
    nss = _nss_db_trusting(tmp_path, pki)
    command = ["pdfsig", "-nssdir", nss, str(path)]
    output = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    assert output.count("Signature Validation: Signature is Valid.") == 2, output
    assert "Signer Certificate Common Name: Sở Tư pháp Tỉnh Demo" in output
    # The last signature covers every byte; the first one everything up to the second signature.
    assert output.count("Total document signed") == 1
    assert "Not total document signed" in output
    # NSS trusts the seal's chain. (pdfsig reports "Unknown issue with Certificate" for the
    # second signature of the same file although its bytes verify — noted in the issue.)
    assert output.split("Signature #2")[0].count("Certificate Validation: Certificate is Trusted.") == 1, output
