"""The processing record of a dossier: its steps (luân chuyển), consultations and results.

A ``DossierStep`` is one step of the procedure version's workflow template as it actually
happened: who held the dossier, from when, until when, against which due time. Form 05 (the
process control sheet) prints these rows; worklists read the open one. A ``Consultation``
(lấy ý kiến liên thông) is a question sent to another agency with its own deadline; that
agency's officers see it in their worklist and answer it. A ``DossierResult`` is a result
document (``<dossier code>-KQ<n>``): a draft proposed by the specialist, final once the
leader approves, and in the applicant's document store once returned online.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.constants import ResultStatus, StepOutcome, Timeliness


class DossierStep(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveSmallIntegerField()
    index = models.PositiveSmallIntegerField(help_text=_("Vị trí của bước trong quy trình của phiên bản thủ tục."))
    key = models.CharField(max_length=50)
    name = models.CharField(_("bước"), max_length=255)
    role = models.CharField(_("vai trò"), max_length=20)
    agency = models.ForeignKey("procedures.Agency", on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("bắt đầu"))
    due_at = models.DateTimeField(_("hạn xử lý bước"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=StepOutcome.choices, blank=True)
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        ordering = ["dossier_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "seq"], name="uniq_dossier_step_seq"),
            # At most one open step per dossier: the engine closes one before opening the next.
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(finished_at__isnull=True), name="uniq_dossier_open_step"
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(finished_at__isnull=True), name="dossier_step_open_due"),
            models.Index(
                fields=["due_at"],
                condition=Q(finished_at__isnull=True, due_soon_notified_at__isnull=True),
                name="dossier_step_sweep_soon",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(finished_at__isnull=True, overdue_notified_at__isnull=True),
                name="dossier_step_sweep_late",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.name}"

    @property
    def timeliness(self) -> str:
        """Early / on time / late against the step's due time (form 05); "" while open or untimed."""
        if self.finished_at is None or self.due_at is None:
            return ""
        if self.finished_at > self.due_at:
            return Timeliness.LATE
        if timezone.localdate(self.finished_at) < timezone.localdate(self.due_at):
            return Timeliness.EARLY
        return Timeliness.ON_TIME


class Consultation(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="consultations")
    agency = models.ForeignKey(
        "procedures.Agency", on_delete=models.PROTECT, related_name="consultations", verbose_name=_("cơ quan")
    )
    question = models.TextField(_("nội dung xin ý kiến"))
    # What the consulted agency sees of the dossier besides the question: the documents sent with it.
    documents = models.ManyToManyField(
        "dossiers.DossierDocument", blank=True, related_name="consultations", verbose_name=_("giấy tờ gửi kèm")
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(_("hạn trả lời"))
    answer = models.TextField(_("ý kiến trả lời"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lấy ý kiến liên thông")
        verbose_name_plural = _("lấy ý kiến liên thông")
        indexes = [
            models.Index(fields=["agency", "due_at"], condition=Q(answered_at__isnull=True), name="consult_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.agency_id}"


class DossierResult(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="results")
    number = models.PositiveSmallIntegerField()
    code = models.CharField(_("mã kết quả"), max_length=64, unique=True)
    title = models.CharField(_("tên kết quả"), max_length=255)
    # Empty while a draft generated from the template is being rendered (pdf queue).
    stored = models.ForeignKey(
        "dossiers.StoredDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    status = models.CharField(max_length=10, choices=ResultStatus.choices, default=ResultStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("đưa vào kho lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kết quả giải quyết")
        verbose_name_plural = _("kết quả giải quyết")
        ordering = ["dossier_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="uniq_dossier_result_number"),
            models.CheckConstraint(condition=Q(status__in=ResultStatus.values), name="dossier_result_status_valid"),
        ]

    def __str__(self) -> str:
        return self.code


class AgencyDigest(models.Model):
    """That the daily digest of an agency for a day was sent: the digest goes out once."""

    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    figures = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("báo cáo hằng ngày")
        verbose_name_plural = _("báo cáo hằng ngày")
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="uniq_agency_digest_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day:%d/%m/%Y}"
