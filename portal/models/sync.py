"""National public-service portal (or LGSP) dossier sync: one record per status change pushed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncState(models.TextChoices):
    PENDING = "pending", _("Chờ đồng bộ")
    RETRYING = "retrying", _("Chờ đồng bộ lại")
    SENT = "sent", _("Đã đồng bộ")
    FAILED = "failed", _("Đồng bộ thất bại")


class SyncRecord(models.Model):
    # Ids, not foreign keys: the record outlives nothing, and portal stays below dossiers.
    dossier_id = models.BigIntegerField(db_index=True)
    dossier_code = models.CharField(_("mã hồ sơ"), max_length=48, blank=True)
    source = models.CharField(max_length=64, unique=True)
    status_code = models.PositiveSmallIntegerField(_("mã trạng thái"), null=True, blank=True)
    message = models.JSONField(_("bản tin"), default=dict, blank=True)
    state = models.CharField(_("trạng thái"), max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    response_code = models.PositiveSmallIntegerField(_("mã phản hồi"), null=True, blank=True)
    response_body = models.CharField(max_length=1000, blank=True)
    error = models.CharField(_("lỗi"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bản ghi đồng bộ Cổng quốc gia")
        verbose_name_plural = _("bản ghi đồng bộ Cổng quốc gia")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.dossier_code} ({self.status_code})"
