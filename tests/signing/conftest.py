import pytest
from pyhanko.sign.timestamps import DummyTimeStamper

from signing.backends import forget_cached_signers
from signing.constants import IdentityKind
from signing.services import identity_import_pkcs12, trusted_certificate_add
from tests.signing import pki as test_pki

P12_PASSWORD = "mật-khẩu-thử"  # noqa: S105 - test PKI only


@pytest.fixture(scope="session")
def pki() -> test_pki.TestPki:
    return test_pki.build()


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
