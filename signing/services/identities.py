"""Importing signing identities (PKCS#12) and trusted certificates; re-encrypting keys.

The private key leaves the PKCS#12 bundle only as a Fernet token; the password is used once
to open the bundle and never stored.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from signing.certificates import chain_to_pem, describe, load_certificate, load_crl, load_pkcs12
from signing.constants import IdentityKind, SignerBackendKind
from signing.crypto import encrypt_secret, rotate_secret
from signing.models import SigningIdentity, TrustedCertificate

logger = logging.getLogger(__name__)


def _check_usable(info) -> None:
    if info.not_after <= timezone.now():
        raise ValidationError(_("Chứng thư số đã hết hạn, không thể dùng để ký."), code="expired")
    if info.key_usage and "digitalSignature" not in info.key_usage and "nonRepudiation" not in info.key_usage:
        raise ValidationError(_("Chứng thư số không cho phép dùng để ký số."), code="key_usage")


def identity_import_pkcs12(
    *,
    data: bytes,
    password: str,
    agency,
    kind: str = IdentityKind.AGENCY_SEAL,
    user=None,
    display_name: str = "",
) -> SigningIdentity:
    """A local-key identity from a PKCS#12 bundle; nothing is stored when anything is wrong."""
    if kind == IdentityKind.OFFICER and user is None:
        raise ValidationError(_("Chữ ký số cá nhân phải gắn với một cán bộ."), code="user_required")
    contents = load_pkcs12(data, password)
    info = describe(contents.certificate)
    _check_usable(info)
    if SigningIdentity.objects.filter(fingerprint=info.fingerprint).exists():
        raise ValidationError(_("Chứng thư số này đã được nhập trước đó."), code="duplicate")
    with transaction.atomic():
        identity = SigningIdentity.objects.create(
            kind=kind,
            agency=agency,
            user=user if kind == IdentityKind.OFFICER else None,
            display_name=display_name or info.common_name,
            chain=chain_to_pem(contents.chain),
            key_usage=info.key_usage,
            **certificate_fields(info),
            backend=SignerBackendKind.LOCAL,
            encrypted_private_key=encrypt_secret(contents.key_der),
        )
    logger.info("signing identity %s imported for agency %s (serial %s)", identity.pk, agency.pk, info.serial)
    return identity


def certificate_fields(info) -> dict:
    """The columns a certificate fills on an identity or a trust-store entry (from `describe`)."""
    return {
        "certificate": info.der,
        "subject": info.subject,
        "issuer": info.issuer,
        "serial": info.serial,
        "fingerprint": info.fingerprint,
        "not_before": info.not_before,
        "not_after": info.not_after,
    }


def crl_store(trusted: TrustedCertificate, info) -> list[str]:
    """Put a checked CRL (from `load_crl`) on its trust-store entry; returns the fields to save."""
    trusted.crl = info.der
    trusted.crl_this_update = info.this_update
    trusted.crl_next_update = info.next_update
    trusted.crl_revoked_count = info.revoked_count
    return ["crl", "crl_this_update", "crl_next_update", "crl_revoked_count"]


def identity_register_external(
    *,
    certificate: bytes,
    agency,
    backend: str,
    backend_config: dict,
    kind: str = IdentityKind.AGENCY_SEAL,
    user=None,
    display_name: str = "",
    chain: bytes = b"",
    pin: str = "",
) -> SigningIdentity:
    """An identity whose key stays on a PKCS#11 token or at a remote signing service."""
    if backend not in (SignerBackendKind.PKCS11, SignerBackendKind.REMOTE):
        raise ValidationError(_("Cách ký không hợp lệ."), code="backend")
    info = describe(load_certificate(certificate))
    _check_usable(info)
    return SigningIdentity.objects.create(
        kind=kind,
        agency=agency,
        user=user if kind == IdentityKind.OFFICER else None,
        display_name=display_name or info.common_name,
        chain=chain,
        key_usage=info.key_usage,
        **certificate_fields(info),
        backend=backend,
        backend_config=backend_config,
        encrypted_pin=encrypt_secret(pin.encode()) if pin else b"",
    )


def trusted_certificate_add(*, data: bytes, name: str = "") -> TrustedCertificate:
    info = describe(load_certificate(data))
    if TrustedCertificate.objects.filter(fingerprint=info.fingerprint).exists():
        raise ValidationError(_("Chứng thư này đã có trong kho tin cậy."), code="duplicate")
    return TrustedCertificate.objects.create(
        name=name or info.common_name,
        is_root=info.subject == info.issuer,
        **certificate_fields(info),
    )


def trusted_certificate_set_crl(*, trusted_id: int, data: bytes) -> TrustedCertificate:
    """Store the CRL a CA of the trust store published (replacing the previous one)."""
    with transaction.atomic():
        trusted = TrustedCertificate.objects.select_for_update().get(pk=trusted_id)
        info = load_crl(data, issuer_der=bytes(trusted.certificate))
        if trusted.crl_this_update and info.this_update < trusted.crl_this_update:
            raise ValidationError(_("Danh sách thu hồi này cũ hơn danh sách đang dùng."), code="crl_older")
        trusted.save(update_fields=crl_store(trusted, info))
    logger.info("CRL of trusted certificate %s updated (%s revoked)", trusted.pk, info.revoked_count)
    return trusted


def identity_keys_rotate() -> int:
    """Re-encrypt every stored key and PIN under the newest encryption key; returns the count."""
    count = 0
    for pk in SigningIdentity.objects.values_list("pk", flat=True):
        with transaction.atomic():
            identity = SigningIdentity.objects.select_for_update().get(pk=pk)
            changed = []
            if bytes(identity.encrypted_private_key):
                identity.encrypted_private_key = rotate_secret(identity.encrypted_private_key)
                changed.append("encrypted_private_key")
            if bytes(identity.encrypted_pin):
                identity.encrypted_pin = rotate_secret(identity.encrypted_pin)
                changed.append("encrypted_pin")
            if changed:
                identity.save(update_fields=changed)
                count += 1
    return count
