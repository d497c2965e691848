import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

from signing.backends import forget_cached_signers
from signing.constants import IdentityKind
from signing.services import identity_import_pkcs12, trusted_certificate_add
from tests.signing import pki as test_pki
from tests.signing.responder import LocalRevocationServer

P12_PASSWORD = "mật-khẩu-thử"  # noqa: S105 - test PKI only


@pytest.fixture(scope="session")
def pki():
    """The test PKI, its certificates pointing at a local OCSP responder and CRL server that
    lives as long as the test session (``pki.responder``)."""
    server = LocalRevocationServer().start()
    built = test_pki.build(base_url=server.url)
    server.certificates = {item.cert.serial_number: (item.cert, issuer) for item, issuer in built.issued()}
    built.responder = server
    _responder_reset(built)
    yield built
    server.stop()


def _responder_reset(pki) -> None:
    state = pki.responder.state
    state.up = True
    state.revoked = {pki.revoked.cert.serial_number, pki.ocsp_revoked.cert.serial_number}
    state.crls = {
        f"{pki.intermediate.cert.serial_number:x}": pki.crl.public_bytes(serialization.Encoding.DER),
        f"{pki.root.cert.serial_number:x}": test_pki.crl(pki.root, []).public_bytes(serialization.Encoding.DER),
    }
    state.requests.clear()


@pytest.fixture
def responder(pki):
    """The local revocation server, reset to its defaults (up; the revoked signers revoked;
    each CA's CRL published) before and after the test."""
    _responder_reset(pki)
    yield pki.responder
    _responder_reset(pki)


@pytest.fixture
def responder_down(responder):
    """No revocation service answers: only what the trust store holds counts."""
    responder.state.up = False
    return responder


@pytest.fixture(autouse=True)
def _fresh_signer_cache():
    forget_cached_signers()
    yield
    forget_cached_signers()


@pytest.fixture
def trust_store(db, pki):
    return [trusted_certificate_add(data=pki.root.pem), trusted_certificate_add(data=pki.intermediate.pem)]


@pytest.fixture
def import_identity(db, pki):
    def make(item=None, *, agency, kind=IdentityKind.AGENCY_SEAL, user=None, display_name=""):
        item = item or pki.signer
        return identity_import_pkcs12(
            data=test_pki.p12(item, [pki.intermediate, pki.root], P12_PASSWORD),
            password=P12_PASSWORD,
            agency=agency,
            kind=kind,
            user=user,
            display_name=display_name,
        )

    return make


@pytest.fixture
def seal(import_identity, agency):
    return import_identity(agency=agency, display_name="Sở Tư pháp Tỉnh Demo")


@pytest.fixture
def two_page_pdf():
    return test_pki.two_page_pdf()


@pytest.fixture
def timestamper(pki):
    from asn1crypto import keys, x509
    from cryptography.hazmat.primitives import serialization

    key_der = pki.tsa.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DummyTimeStamper(
        tsa_cert=x509.Certificate.load(pki.tsa.der),
        tsa_key=keys.PrivateKeyInfo.load(key_der),
        certs_to_embed=[x509.Certificate.load(pki.root.der)],
    )
