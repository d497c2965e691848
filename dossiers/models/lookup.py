"""The once-only look-ups (tra cứu CSDL quốc gia) of a dossier: every one recorded — who asked,
for which dossier, which fields, when, and how the national database answered."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.national_data import NATIONAL_DOCUMENTS, SOURCE_LABELS


class NationalDataLookup(models.Model):
    # Empty only for an API filing refused after its look-up: the look-up is recorded all the same.
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.CASCADE,
        related_name="national_lookups",
        verbose_name=_("hồ sơ"),
        null=True,
        blank=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người yêu cầu")
    )
    source = models.CharField(_("nguồn dữ liệu"), max_length=30)
    fields = models.JSONField(_("trường tra cứu"), default=list)
    received_fields = models.JSONField(_("trường nhận được"), default=list)
    status = models.CharField(_("kết quả"), max_length=20)
    message = models.CharField(_("thông báo"), max_length=300, blank=True)
    consent = models.BooleanField(_("có sự đồng ý của người được tra cứu"), default=False)
    # What the applicant then corrected of this answer: field → {"original", "value", "reason"}.
    corrections = models.JSONField(_("thông tin người nộp sửa"), default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("tra cứu CSDL quốc gia")
        verbose_name_plural = _("tra cứu CSDL quốc gia")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.source} {self.status} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS.get(self.source, self.source))

    @property
    def document_label(self) -> str:
        """For the look-up of a document (``fields`` ["document:<kind>"]), that document's name."""
        kinds = [f.removeprefix("document:") for f in self.fields or [] if f.startswith("document:")]
        return str(NATIONAL_DOCUMENTS[kinds[0]][1]) if kinds and kinds[0] in NATIONAL_DOCUMENTS else ""

    @property
    def sandbox(self) -> bool:
        return bool(settings.NATIONAL_DATA_SANDBOX)
