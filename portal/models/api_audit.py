"""The audit trail of the API: one row per bearer-token request that changes data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiAuditRecord(models.Model):
    token = models.ForeignKey(
        "portal.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_records"
    )
    token_prefix = models.CharField(_("mã truy cập"), max_length=12, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(_("phương thức"), max_length=10)
    path = models.CharField(_("đường dẫn"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("mã phản hồi"))
    ip_address = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), db_index=True)

    class Meta:
        verbose_name = _("nhật ký sử dụng API")
        verbose_name_plural = _("nhật ký sử dụng API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code}"
