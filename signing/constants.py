"""Choices of the signing app: kinds of identities, signer backends, verification verdicts."""

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


# Days before a certificate's end of validity at which the agency's administrators are warned.
EXPIRY_WARNING_DAYS = 30
# Largest PDF the public verification page and API accept.
VERIFY_MAX_BYTES = 20 * 1024 * 1024
