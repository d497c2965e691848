"""Append-only, MAC-chained record of everything that happened to a dossier, and the daily
signed anchors of every chain's head.

``prev_hash`` and ``hash`` hold HMAC-SHA-256 values (`dossiers.core.events`) under the key
named by ``key_id``. In PostgreSQL a trigger refuses any UPDATE or DELETE of the table
(migration 0010); the ORM guards below say the same earlier.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DossierEvent(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(_("thao tác"), max_length=48)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    step = models.PositiveSmallIntegerField(default=0)
    # An officer's row: ``note`` is internal (the agency's officers only) and ``public_note`` what
    # the applicant is told ("" when nothing). None on the applicant's rows, whose ``note`` is the
    # applicant's own, and on events written before the two were told apart
    # (``dossiers.core.notes`` reads them).
    note = models.TextField(_("ghi chú"), blank=True)
    public_note = models.TextField(_("nội dung gửi người nộp hồ sơ"), null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which of settings.EVENT_CHAIN_KEYS made ``hash``: rotation keeps older ids verifiable.
    key_id = models.CharField(max_length=32, default="", blank=True)

    class Meta:
        verbose_name = _("sự kiện hồ sơ")
        verbose_name_plural = _("sự kiện hồ sơ")
        ordering = ["dossier_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="uniq_event_seq")]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Dossier events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Dossier events are append-only.")


def anchor_path(instance: "EventAnchor", filename: str) -> str:
    return f"anchors/{instance.day:%Y}/{filename}"


class EventAnchor(models.Model):
    """The day's anchor (neo chuỗi nhật ký): every dossier's chain head (code, seq, MAC) in a
    PDF sealed by the portal and time-stamped, kept in private storage. One per day."""

    day = models.DateField(_("ngày"), unique=True)
    file = models.FileField(_("tệp"), upload_to=anchor_path, max_length=300)
    dossiers_count = models.PositiveIntegerField(_("số hồ sơ"))
    digest = models.CharField(_("mã băm danh sách"), max_length=64)
    sha256 = models.CharField(_("mã băm tệp"), max_length=64)
    signed_at = models.DateTimeField(_("thời điểm ký"))
    signed_by_identity = models.PositiveIntegerField(_("định danh ký"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("neo chuỗi nhật ký")
        verbose_name_plural = _("neo chuỗi nhật ký")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} ({self.dossiers_count})"
