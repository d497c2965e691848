"""The verdict on a PDF that an applicant uploaded already signed (for example a signed
application form), computed once per file content in the signing queue and shown to officers
next to the document."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from signing.constants import Verdict


class UploadVerification(models.Model):
    stored_document = models.OneToOneField(
        "dossiers.StoredDocument",
        on_delete=models.CASCADE,
        related_name="signature_verification",
        verbose_name=_("giấy tờ"),
    )
    sha256 = models.CharField(_("SHA-256 của tệp đã kiểm tra"), max_length=64)
    # The worst verdict of the file's signatures; one report per signature in ``signatures``.
    verdict = models.CharField(_("kết luận"), max_length=24, choices=Verdict.choices)
    signatures = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(_("thời điểm kiểm tra"))

    class Meta:
        verbose_name = _("kết quả kiểm tra chữ ký giấy tờ tải lên")
        verbose_name_plural = _("kết quả kiểm tra chữ ký giấy tờ tải lên")

    def __str__(self) -> str:
        return f"{self.stored_document_id} · {self.verdict}"
