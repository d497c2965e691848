"""The transactional outbox: Celery messages recorded in the database with the change
that causes them, published to the broker once that change commits.

A row is written inside the caller's transaction, so it exists exactly when the change
does. Publishing happens on commit; if the broker is down the row stays unpublished and
the beat task `portal.tasks.outbox_republish` tries again every minute. A row can be
published more than once (the broker took it but the stamp was lost), so every task sent
through the outbox must be idempotent.

Published is not done: the broker may lose a message (Redis keeps nothing on disk here).
The task that carried a message out stamps ``done_at`` (the last step, for a chain); a row
published but not done after ``OUTBOX_REDELIVER_AFTER`` seconds is published again.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    task = models.CharField(_("tác vụ"), max_length=200)
    args = models.JSONField(_("tham số"), default=list, blank=True)
    kwargs = models.JSONField(_("tham số có tên"), default=dict, blank=True)
    queue = models.CharField(_("hàng đợi"), max_length=32, default="default")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    published_at = models.DateTimeField(_("đã đẩy lên hàng đợi lúc"), null=True, blank=True)
    done_at = models.DateTimeField(_("đã thực hiện xong lúc"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("số lần đẩy"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)

    class Meta:
        verbose_name = _("thông điệp chờ gửi (outbox)")
        verbose_name_plural = _("thông điệp chờ gửi (outbox)")
        ordering = ["pk"]
        indexes = [
            # The re-publisher scans only what is still waiting; published rows do not cost it.
            models.Index(fields=["created_at"], condition=Q(published_at__isnull=True), name="outbox_unpublished"),
            # The re-publisher's second look: published, never reported done.
            models.Index(fields=["published_at"], condition=Q(done_at__isnull=True), name="outbox_not_done"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
