"""Signer backends behind one interface: remote two-phase signing with a test double, PKCS#11."""

import io
import os
import shutil
import subprocess

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.asyncsafe import call_sync
from signing.certificates import chain_to_pem
from signing.constants import SignerBackendKind
from signing.services import identity_register_external, pdf_sign

pytestmark = pytest.mark.django_db

_PKI = {}


class FakeRemoteSigner:
    """Stands in for a CSC-API style service: it only ever sees a hash, and signs it."""

    calls: list = []

    def sign_hash(self, *, credential_id: str, digest: bytes, digest_algorithm: str) -> bytes:
        assert digest_algorithm == "sha256" and len(digest) == 32
        FakeRemoteSigner.calls.append((credential_id, digest))
        return _PKI["key"].sign(digest, PKCS1v15(), Prehashed(hashes.SHA256()))


def _context(pki):
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.der)],
        other_certs=[asn1_x509.Certificate.load(pki.intermediate.der)],
    )


def test_remote_two_phase_signing_gives_a_valid_signature(pki, agency, two_page_pdf, settings):
    settings.SIGNING_REMOTE_CLIENT = "tests.signing.test_backends.FakeRemoteSigner"
    _PKI["key"] = pki.officer.key
    FakeRemoteSigner.calls = []
    identity = identity_register_external(
        certificate=pki.officer.pem,
        chain=chain_to_pem([pki.intermediate.cert]),
        agency=agency,
        backend=SignerBackendKind.REMOTE,
        backend_config={"credential_id": "cred-42"},
    )
    assert not bytes(identity.encrypted_private_key)
    signed = pdf_sign(pdf=two_page_pdf, identity_id=identity.pk)
    assert [c[0] for c in FakeRemoteSigner.calls] == ["cred-42"]
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = call_sync(validate_pdf_signature, sig, signer_validation_context=_context(pki))
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"


def test_remote_signing_without_a_configured_client_fails_loudly(pki, agency, two_page_pdf, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.SIGNING_REMOTE_CLIENT = ""
    identity = identity_register_external(
        certificate=pki.officer.der, agency=agency, backend=SignerBackendKind.REMOTE, backend_config={}
    )
    with pytest.raises(ImproperlyConfigured):
        pdf_sign(pdf=two_page_pdf, identity_id=identity.pk)


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture
def softhsm_token(tmp_path, pki, monkeypatch):
    """A SoftHSM2 token in a temp dir holding the officer's key and certificate."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from pkcs11.util.x509 import decode_x509_certificate

    assert os.path.exists(SOFTHSM) and shutil.which("softhsm2-util"), "SoftHSM2 is part of the test toolchain"
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "portal-test", "--so-pin", "5678", "--pin", "1234"],
        check=True,
        capture_output=True,
    )
    key_pem = pki.officer.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(key_pem)
    subprocess.run(
        [
            "softhsm2-util",
            "--import",
            str(key_file),
            "--token",
            "portal-test",
            "--label",
            "officer",
            "--id",
            "01",
            "--pin",
            "1234",
        ],
        check=True,
        capture_output=True,
    )
    lib = pkcs11.lib(SOFTHSM)
    token = lib.get_token(token_label="portal-test")
    with token.open(rw=True, user_pin="1234") as session:
        attrs = decode_x509_certificate(pki.officer.der)
        attrs.update({pkcs11.Attribute.TOKEN: True, pkcs11.Attribute.LABEL: "officer", pkcs11.Attribute.ID: b"\x01"})
        session.create_object(attrs)
    return {"module": SOFTHSM, "token_label": "portal-test", "key_label": "officer"}


def test_pkcs11_signing_on_softhsm(pki, agency, two_page_pdf, softhsm_token):
    identity = identity_register_external(
        certificate=pki.officer.der,
        chain=chain_to_pem([pki.intermediate.cert]),
        agency=agency,
        backend=SignerBackendKind.PKCS11,
        backend_config=softhsm_token,
        pin="1234",
    )
    assert b"1234" not in bytes(identity.encrypted_pin)
    signed = pdf_sign(pdf=two_page_pdf, identity_id=identity.pk)
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = call_sync(validate_pdf_signature, sig, signer_validation_context=_context(pki))
    assert status.intact and status.valid and status.trusted
    assert sig.signer_cert.subject.native["common_name"] == "Nguyễn Văn Thành"
