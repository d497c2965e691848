"""Notifications (thông báo): the in-app row, its per-channel delivery records, and each
user's channel preferences.

The in-app row is the message as the user sees it in the notification centre. Each channel
it went out on (email, SMS, in-app) has one delivery record saying whether it was sent, the
last error and how many attempts it took; the delivery tasks lock that record, so a retried
or duplicated task never sends twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("Trong ứng dụng")
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")
    ZALO = "zalo", _("Zalo")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Đang chờ gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi không thành công")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(_("sự kiện"), max_length=64, default="message")
    subject = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True)
    url = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    dossier_code = models.CharField(_("mã hồ sơ"), max_length=48, blank=True, db_index=True)
    send_email = models.BooleanField(default=True)
    created_at = models.DateTimeField(_("thời gian"), auto_now_add=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("đã gửi email lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_created"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_user_unread"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationDelivery(models.Model):
    """One notification on one channel: what was (or will be) sent, to whom, and how it went.

    The content is rendered when the notification is made, in the recipient's language, so
    the task only sends it and an admin sees exactly what left the portal.
    """

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("kênh"), max_length=16, choices=NotificationChannel.choices)
    recipient = models.CharField(_("người nhận"), max_length=254, blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=8, default="vi")
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body_text = models.TextField(_("nội dung (văn bản)"), blank=True)
    body_html = models.TextField(_("nội dung (HTML)"), blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("số lần thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    # The provider's id of the message (Zalo ZNS ``msg_id``), and when the provider reported it
    # received on the phone (ZNS delivery callback ``user_received_message``).
    provider_message_id = models.CharField(_("mã tin của nhà cung cấp"), max_length=64, blank=True, db_index=True)
    delivered_at = models.DateTimeField(_("đã đến máy lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lượt gửi thông báo")
        verbose_name_plural = _("lượt gửi thông báo")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
            # A delivery is sent exactly when it has a sending time.
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="delivery_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "channel"], name="delivery_status_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}"


class NotificationPreference(models.Model):
    """A user's choice for one event on one channel; no row means the event's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("sự kiện"), max_length=64)
    channel = models.CharField(_("kênh"), max_length=16, choices=NotificationChannel.choices)
    enabled = models.BooleanField(_("nhận"), default=True)

    class Meta:
        verbose_name = _("tùy chọn nhận thông báo")
        verbose_name_plural = _("tùy chọn nhận thông báo")
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "channel"], name="preference_one_per_event_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.event} {self.channel}={self.enabled}"
