"""The trust store: root and intermediate certificates managed by the administrator.

Verification trusts a signature only when its chain reaches one of the active roots here
(Vietnam's national root CAs in production, the test PKI in tests). A CA of the store can carry
the certificate revocation list (CRL) it published, uploaded by the administrator or fetched by
the hourly refresh task (from ``crl_url``, else from the CRL distribution point that the
certificates it issued name): verification reports a signer listed on it as revoked, and PAdES
B-LT signing embeds it.
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
    # The CA's latest CRL (DER), checked against the certificate on upload; empty when none.
    crl = models.BinaryField(default=b"", blank=True, editable=False)
    crl_this_update = models.DateTimeField(_("CRL phát hành lúc"), null=True, blank=True, editable=False)
    crl_next_update = models.DateTimeField(_("CRL cập nhật tiếp lúc"), null=True, blank=True, editable=False)
    crl_revoked_count = models.PositiveIntegerField(_("số chứng thư bị thu hồi"), default=0, editable=False)
    crl_url = models.URLField(
        _("địa chỉ tải CRL"),
        max_length=500,
        blank=True,
        help_text=_(
            "Nơi CA này công bố CRL (http/https). Để trống: lấy từ điểm phân phối CRL ghi trong các chứng thư do CA này cấp."
        ),
    )
    crl_refreshed_at = models.DateTimeField(_("lần cập nhật CRL gần nhất"), null=True, blank=True, editable=False)
    crl_refresh_error = models.CharField(_("lỗi cập nhật CRL"), max_length=500, blank=True, editable=False)

    class Meta:
        verbose_name = _("chứng thư tin cậy")
        verbose_name_plural = _("kho chứng thư tin cậy")

    def __str__(self) -> str:
        return self.name
