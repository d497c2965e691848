"""Webhooks: subscriptions of organisations and integration accounts to dossier events,
the signed deliveries sent to them and each delivery attempt with its response code."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    DOSSIER_STATUS_CHANGED = "dossier.status_changed", _("Hồ sơ đổi trạng thái")
    DOSSIER_SUPPLEMENT_REQUESTED = "dossier.supplement_requested", _("Hồ sơ được yêu cầu bổ sung")
    DOSSIER_RESULT_ISSUED = "dossier.result_issued", _("Hồ sơ có kết quả giải quyết")
    PAYMENT_SETTLED = "payment.settled", _("Đã thanh toán phí, lệ phí")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    RETRYING = "retrying", _("Chờ gửi lại")
    SUCCEEDED = "succeeded", _("Đã gửi")
    FAILED = "failed", _("Gửi thất bại")


class WebhookSubscription(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="webhook_subscriptions"
    )
    url = models.URLField(_("địa chỉ nhận"), max_length=500)
    events = models.JSONField(_("sự kiện"), default=list)
    description = models.CharField(_("mô tả"), max_length=255, blank=True)
    # Needed in clear to sign each delivery; shown to the subscriber once, at creation.
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đăng ký webhook")
        verbose_name_plural = _("đăng ký webhook")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event = models.CharField(_("sự kiện"), max_length=40, choices=WebhookEvent.choices)
    # The dossier event that caused it: one delivery per (subscription, source event, kind).
    source = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("mã phản hồi gần nhất"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("lần gửi webhook")
        verbose_name_plural = _("các lần gửi webhook")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "source", "event"], name="webhook_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(_("mã phản hồi"), null=True, blank=True)
    error = models.CharField(_("lỗi"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("lượt gửi webhook")
        verbose_name_plural = _("các lượt gửi webhook")
        ordering = ["attempted_at"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} → {self.status_code or self.error}"
