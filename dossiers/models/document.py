"""Files: the applicant's document store and the documents attached to a dossier.

Every upload lands in the applicant's store (kho dữ liệu) first, so a later dossier can
reuse it (once-only principle); a dossier document points at a stored document.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dossiers.constants import DocumentReuse, DocumentSource, PreviewState
from portal.national_data import SOURCE_LABELS


def stored_document_path(instance: "StoredDocument", filename: str) -> str:
    return f"documents/{instance.created_at:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}-{filename}"


class StoredDocument(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="stored_documents"
    )
    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="stored_documents"
    )
    name = models.CharField(_("tên tệp"), max_length=255)
    title = models.CharField(_("tên giấy tờ"), max_length=255, blank=True)
    file = models.FileField(upload_to=stored_document_path, max_length=400)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=10, choices=DocumentSource.choices, default=DocumentSource.UPLOAD)
    result_code = models.CharField(_("mã kết quả"), max_length=64, blank=True, db_index=True)
    # A document taken from a national database (source "national"): which database gave it
    # ("population", …) and which of its documents it is ("residence_confirmation", …).
    national_source = models.CharField(_("CSDL quốc gia cung cấp"), max_length=30, blank=True)
    national_document = models.CharField(_("loại giấy tờ từ CSDL quốc gia"), max_length=40, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("giấy tờ trong kho")
        verbose_name_plural = _("kho giấy tờ")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(organisation__isnull=False), name="stored_document_has_owner"
            ),
            # One copy of a file handed in per owner and organisation (issue 19): uploads and
            # counter scans; see `dossiers.services.documents.stored_document_get_or_store`.
            # (Two partial constraints rather than NULLS NOT DISTINCT: SQLite keeps them too.)
            models.UniqueConstraint(
                fields=["owner", "sha256"],
                condition=Q(source__in=["upload", "scan"], organisation__isnull=True),
                name="stored_document_one_copy_per_owner",
            ),
            models.UniqueConstraint(
                fields=["owner", "organisation", "sha256"],
                condition=Q(source__in=["upload", "scan"], organisation__isnull=False),
                name="stored_document_one_copy_per_owner_org",
            ),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"], name="stored_doc_owner_created")]

    def __str__(self) -> str:
        return self.title or self.name

    @property
    def national_source_label(self) -> str:
        return str(SOURCE_LABELS.get(self.national_source, self.national_source))

    @property
    def national_sandbox(self) -> bool:
        """A document from the sandbox national databases (dev, test): labelled so wherever it shows."""
        return bool(settings.NATIONAL_DATA_SANDBOX) and self.source == "national"


class DossierDocument(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="documents")
    requirement = models.ForeignKey(
        "procedures.DocumentRequirement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossier_documents",
        verbose_name=_("thành phần hồ sơ"),
    )
    component_name = models.CharField(_("tên thành phần"), max_length=500)
    stored = models.ForeignKey(StoredDocument, on_delete=models.PROTECT, related_name="dossier_uses")
    is_original = models.BooleanField(_("bản chính"), default=False)
    copies = models.PositiveSmallIntegerField(_("số lượng"), default=1)
    superseded_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # Digitisation (số hóa): when and by whom the document became an electronic part of the
    # dossier (scanned at the counter, uploaded online), or why it was not (a paper only shown
    # for comparison, as the rule in force allows); and whether it was reused (once-only).
    digitised_at = models.DateTimeField(_("số hóa lúc"), null=True, blank=True)
    digitised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    digitisation_exempt = models.CharField(_("lý do không số hóa"), max_length=255, blank=True)
    reuse = models.CharField(
        _("nguồn giấy tờ"), max_length=10, choices=DocumentReuse.choices, blank=True, default=DocumentReuse.NONE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("giấy tờ của hồ sơ")
        verbose_name_plural = _("giấy tờ của hồ sơ")
        indexes = [models.Index(fields=["dossier", "requirement"], name="dossier_doc_component")]

    def __str__(self) -> str:
        return f"{self.component_name}: {self.stored}"


class DocumentPreview(models.Model):
    """The page images of a stored document for viewing in the page (bản xem trước), made once
    in the ``pdf`` queue and kept in private storage; served only through a permission-checked
    view (the document's own download permission)."""

    stored = models.OneToOneField(StoredDocument, on_delete=models.CASCADE, primary_key=True, related_name="preview")
    state = models.CharField(max_length=10, choices=PreviewState.choices, default=PreviewState.PENDING)
    # Storage names of the rendered pages, first page first.
    pages = models.JSONField(default=list, blank=True)
    # Pages of the whole document (a PDF may have more than the ones rendered).
    page_count = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField()
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bản xem trước giấy tờ")
        verbose_name_plural = _("bản xem trước giấy tờ")

    def __str__(self) -> str:
        return f"{self.stored_id}: {self.state}"
