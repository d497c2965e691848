"""Choices of the signing app: kinds of identities, signer backends, verification verdicts and
what a signature covers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentityKind(models.TextChoices):
    AGENCY_SEAL = "agency_seal", _("Chữ ký số của cơ quan")
    OFFICER = "officer", _("Chữ ký số cá nhân của cán bộ")


class SignerBackendKind(models.TextChoices):
    LOCAL = "local", _("Khóa lưu trên máy chủ (mã hóa)")
    PKCS11 = "pkcs11", _("Thiết bị PKCS#11 / HSM")
    REMOTE = "remote", _("Ký số từ xa (hai bước)")


class Verdict(models.TextChoices):
    VALID = "valid", _("Hợp lệ")
    VALID_LATER_SIGNED = "valid_later_signed", _("Hợp lệ, tài liệu được ký tiếp sau chữ ký này")
    MODIFIED = "modified", _("Tài liệu đã bị thay đổi sau khi ký")
    UNTRUSTED = "untrusted", _("Chứng thư số không được tin cậy")
    REVOKED = "revoked", _("Chứng thư số đã bị thu hồi")
    INDETERMINATE = "indeterminate", _("Không xác định được")


class Coverage(models.TextChoices):
    """What a signature covers, as the verification page words it (phạm vi của chữ ký)."""

    ENTIRE_FILE = "entire_file", _("Bao trùm toàn bộ tài liệu")
    # PAdES B-LT/LTA: a DSS (certificates, OCSP answers, CRLs) or a document timestamp came after.
    VALIDATION_DATA = (
        "validation_data",
        _("Sau chữ ký này tài liệu chỉ được bổ sung dữ liệu kiểm tra chữ ký (dữ liệu thu hồi, dấu thời gian)"),
    )
    LATER_SIGNATURES = "later_signatures", _("Sau chữ ký này tài liệu chỉ được ký tiếp")
    CHANGED = "changed", _("Tài liệu có thay đổi sau chữ ký này")


# Days before a certificate's end of validity at which the agency's administrators are warned.
EXPIRY_WARNING_DAYS = 30
# Largest PDF the public verification page and API accept.
VERIFY_MAX_BYTES = 20 * 1024 * 1024


def pdf_may_carry_signatures(content: bytes) -> bool:
    """Whether a PDF has a signature dictionary at all (its ``/ByteRange``): the one test, used
    before a PDF is sent for verification and by the verifying task itself."""
    return b"/ByteRange" in content
