"""The trust store: root and intermediate certificates managed by the administrator.

Verification trusts a signature only when its chain reaches one of the active roots here
(Vietnam's national root CAs in production, the test PKI in tests).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustedCertificate(models.Model):
    name = models.CharField(_("tên"), max_length=255)
    certificate = models.BinaryField(_("chứng thư (DER)"))
    subject = models.CharField(_("chủ thể"), max_length=500)
    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    serial = models.CharField(_("số hiệu"), max_length=80)
    fingerprint = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    is_root = models.BooleanField(_("là chứng thư gốc"), default=True)
    is_active = models.BooleanField(_("đang tin cậy"), default=True)
    created_at = models.DateTimeField(_("ngày thêm"), auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư tin cậy")
        verbose_name_plural = _("kho chứng thư tin cậy")

    def __str__(self) -> str:
        return self.name
