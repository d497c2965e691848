"""Reading certificates and PKCS#12 bundles into the fields the models store."""

import dataclasses
import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_KEY_USAGES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


@dataclasses.dataclass(frozen=True)
class CertificateInfo:
    der: bytes
    subject: str
    issuer: str
    serial: str
    fingerprint: str
    not_before: dt.datetime
    not_after: dt.datetime
    key_usage: str
    common_name: str
    is_ca: bool


def describe(cert: x509.Certificate) -> CertificateInfo:
    der = cert.public_bytes(serialization.Encoding.DER)
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        names = [label for attr, label in _KEY_USAGES if getattr(usage, attr)]
    except x509.ExtensionNotFound:
        names = []
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return CertificateInfo(
        der=der,
        subject=cert.subject.rfc4514_string()[:500],
        issuer=cert.issuer.rfc4514_string()[:500],
        serial=format(cert.serial_number, "X"),
        fingerprint=hashlib.sha256(der).hexdigest(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_usage=", ".join(names),
        common_name=str(cns[0].value) if cns else cert.subject.rfc4514_string(),
        is_ca=is_ca,
    )


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes; a clear message when it is neither."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ValidationError(_("Tệp không phải là chứng thư số hợp lệ (PEM hoặc DER)."), code="invalid") from exc


@dataclasses.dataclass(frozen=True)
class Pkcs12Contents:
    key_der: bytes
    certificate: x509.Certificate
    chain: list[x509.Certificate]


def load_pkcs12(data: bytes, password: str) -> Pkcs12Contents:
    """Open a PKCS#12 bundle; a wrong password or a broken file gives a Vietnamese message."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError as exc:
        raise ValidationError(
            _("Không mở được tệp PKCS#12: sai mật khẩu hoặc tệp bị hỏng."), code="pkcs12_password"
        ) from exc
    if key is None or cert is None:
        raise ValidationError(
            _("Tệp PKCS#12 phải chứa cả khóa bí mật và chứng thư số của người ký."), code="pkcs12_incomplete"
        )
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise ValidationError(_("Khóa bí mật không khớp với chứng thư số trong tệp."), code="pkcs12_mismatch")
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Pkcs12Contents(key_der=key_der, certificate=cert, chain=list(extra or []))


def chain_to_pem(chain: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)


@dataclasses.dataclass(frozen=True)
class CrlInfo:
    der: bytes
    this_update: dt.datetime
    next_update: dt.datetime | None
    revoked_count: int


def load_crl(data: bytes, *, issuer_der: bytes) -> CrlInfo:
    """A CRL from PEM or DER bytes, which must be issued and signed by the given CA certificate."""
    try:
        if b"-----BEGIN" in data:
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise ValidationError(_("Tệp không phải là danh sách thu hồi (CRL) hợp lệ."), code="invalid_crl") from exc
    issuer = x509.load_der_x509_certificate(bytes(issuer_der))
    try:
        signed_by_issuer = crl.issuer == issuer.subject and crl.is_signature_valid(issuer.public_key())
    except (TypeError, ValueError):
        signed_by_issuer = False
    if not signed_by_issuer:
        raise ValidationError(
            _("Danh sách thu hồi không do chứng thư này phát hành (sai tổ chức cấp hoặc sai chữ ký)."),
            code="crl_issuer",
        )
    return CrlInfo(
        der=crl.public_bytes(serialization.Encoding.DER),
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
        revoked_count=len(crl),
    )


def pem_to_chain(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(bytes(data)) if data else []
