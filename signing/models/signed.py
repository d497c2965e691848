"""Documents of the document store (kho giấy tờ) the portal has signed.

The row keyed by the stored document and the SHA-256 of the signed bytes lets the signing
task recognise work already done, so a retried task never signs a document twice.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignedDocument(models.Model):
    stored_document = models.ForeignKey(
        "dossiers.StoredDocument", on_delete=models.CASCADE, related_name="signatures", verbose_name=_("giấy tờ")
    )
    identity = models.ForeignKey(
        "signing.SigningIdentity", on_delete=models.PROTECT, related_name="signed_documents", verbose_name=_("chữ ký")
    )
    source_sha256 = models.CharField(_("SHA-256 trước khi ký"), max_length=64)
    sha256 = models.CharField(_("SHA-256 sau khi ký"), max_length=64, db_index=True)
    signed_at = models.DateTimeField(_("thời điểm ký"))

    class Meta:
        verbose_name = _("tài liệu đã ký")
        verbose_name_plural = _("tài liệu đã ký")
        constraints = [
            models.UniqueConstraint(fields=["stored_document", "sha256"], name="signed_document_unique_output"),
            models.UniqueConstraint(
                fields=["stored_document", "identity", "source_sha256"], name="signed_document_unique_input"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stored_document_id} · {self.sha256[:12]}"
