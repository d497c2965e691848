"""PKCS#12 import, encryption at rest and key rotation of signing identities."""

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command

from signing.constants import IdentityKind
from signing.crypto import decrypt_secret
from signing.models import SigningIdentity
from signing.services import identity_import_pkcs12, trusted_certificate_add
from tests.signing import pki as test_pki
from tests.signing.conftest import P12_PASSWORD

pytestmark = pytest.mark.django_db


def _key_der(item) -> bytes:
    return item.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_import_stores_certificate_details_and_only_an_encrypted_key(pki, agency, import_identity):
    identity = import_identity(agency=agency)
    assert identity.subject.startswith("CN=Sở Tư pháp Tỉnh Demo")
    assert "CA trung gian thử nghiệm" in identity.issuer
    assert identity.serial == format(pki.signer.cert.serial_number, "X")
    assert identity.not_after == pki.signer.cert.not_valid_after_utc
    assert "digitalSignature" in identity.key_usage and "nonRepudiation" in identity.key_usage
    blob = bytes(identity.encrypted_private_key)
    assert _key_der(pki.signer) not in blob
    assert decrypt_secret(blob) == _key_der(pki.signer)
    assert len(test_pki.pem_to_list(identity.chain)) == 2


def test_wrong_password_gives_a_vietnamese_message_and_stores_nothing(pki, agency):
    data = test_pki.p12(pki.signer, [pki.intermediate], P12_PASSWORD)
    with pytest.raises(ValidationError) as exc:
        identity_import_pkcs12(data=data, password="sai-mật-khẩu", agency=agency)  # noqa: S106
    assert "sai mật khẩu" in exc.value.messages[0]
    assert not SigningIdentity.objects.exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("garbage", "sai mật khẩu hoặc tệp bị hỏng"),
        ("expired", "đã hết hạn"),
        ("encryption_only", "không cho phép dùng để ký"),
        ("officer_without_user", "phải gắn với một cán bộ"),
    ],
)
def test_bad_imports_are_refused(pki, agency, case, message):
    kind = IdentityKind.AGENCY_SEAL
    if case == "garbage":
        data = b"not a pkcs12 file"
    elif case == "expired":
        old = test_pki.issue(
            "Hết hạn",
            issuer=pki.intermediate,
            not_before=test_pki.NOW - test_pki.dt.timedelta(days=30),
            not_after=test_pki.NOW - test_pki.dt.timedelta(days=1),
        )
        data = test_pki.p12(old, [], P12_PASSWORD)
    elif case == "encryption_only":
        data = test_pki.p12(test_pki.issue("Mã hóa", issuer=pki.intermediate, signing=False), [], P12_PASSWORD)
    else:
        data, kind = test_pki.p12(pki.officer, [], P12_PASSWORD), IdentityKind.OFFICER
    with pytest.raises(ValidationError) as exc:
        identity_import_pkcs12(data=data, password=P12_PASSWORD, agency=agency, kind=kind)
    assert message in " ".join(exc.value.messages)
    assert not SigningIdentity.objects.exists()


def test_the_same_certificate_cannot_be_imported_twice(agency, import_identity):
    import_identity(agency=agency)
    with pytest.raises(ValidationError, match="đã được nhập"):
        import_identity(agency=agency)
    assert SigningIdentity.objects.count() == 1


def test_rotation_re_encrypts_under_the_new_key_and_old_key_can_go(pki, agency, import_identity, settings):
    identity = import_identity(agency=agency)
    old_keys = list(settings.SIGNING_KEY_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [new_key, *old_keys]
    before = bytes(SigningIdentity.objects.get(pk=identity.pk).encrypted_private_key)
    call_command("rotate_signing_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = bytes(SigningIdentity.objects.get(pk=identity.pk).encrypted_private_key)
    assert after != before
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [new_key]
    assert decrypt_secret(after) == _key_der(pki.signer)
    with pytest.raises(ImproperlyConfigured):
        decrypt_secret(before)


def test_trust_store_accepts_pem_and_der_and_refuses_garbage(pki):
    root = trusted_certificate_add(data=pki.root.pem)
    intermediate = trusted_certificate_add(data=pki.intermediate.der)
    assert root.is_root and not intermediate.is_root
    with pytest.raises(ValidationError, match="không phải là chứng thư số"):
        trusted_certificate_add(data=b"garbage")
    with pytest.raises(ValidationError, match="đã có trong kho"):
        trusted_certificate_add(data=pki.root.der)
