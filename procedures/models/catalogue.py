"""The catalogue of administrative procedures (thủ tục hành chính) and their versions.

A procedure (identity: national code, field, implementing agencies) is edited as a draft
version and published with an effective date; the version in force on a day is the latest
published one whose effective date is not after that day. Published versions never change,
so a dossier bound to a version keeps the rules it was filed under. Sub-structures that are
read as one document (form schema, workflow steps, legal basis, result types) are JSON;
fees and document components are rows, because dossiers and reports query them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.money import money_short
from portal.national_data import NATIONAL_DOCUMENT_CHOICES
from procedures.constants import (
    DEFAULT_DOCUMENT_MAX_SIZE,
    FeeCollection,
    LegacyLevel,
    ProcessingTimeUnit,
    ServiceLevel,
    VersionStatus,
)


def _empty_list() -> list:
    return []


def _empty_form() -> dict:
    return {"fields": []}


class Sector(models.Model):
    """A field (lĩnh vực) of the catalogue, e.g. Hộ tịch, Đất đai."""

    code = models.CharField(_("mã lĩnh vực"), max_length=32, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    code = models.CharField(_("mã thủ tục"), max_length=32, unique=True, help_text=_("Mã quốc gia, ví dụ 1.001193."))
    name = models.CharField(_("tên thủ tục"), max_length=500, help_text=_("Tên của phiên bản công bố gần nhất."))
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực"))
    agencies = models.ManyToManyField(
        "procedures.Agency", related_name="procedures", verbose_name=_("cơ quan thực hiện")
    )
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="versions", verbose_name=_("thủ tục")
    )
    number = models.PositiveIntegerField(_("số phiên bản"))
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_date = models.DateField(_("ngày có hiệu lực"), null=True, blank=True)
    published_at = models.DateTimeField(_("thời điểm công bố"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("tên thủ tục"), max_length=500)
    # The English pages show these when set (else the Vietnamese name); the search finds both.
    name_en = models.CharField(_("tên thủ tục (tiếng Anh)"), max_length=500, blank=True)
    summary_en = models.TextField(_("tóm tắt (tiếng Anh)"), max_length=2000, blank=True)
    service_level = models.CharField(
        _("mức độ dịch vụ công"), max_length=20, choices=ServiceLevel.choices, default=ServiceLevel.PARTIAL
    )
    legacy_level = models.PositiveSmallIntegerField(
        _("mức độ (cũ)"), choices=LegacyLevel.choices, default=LegacyLevel.LEVEL_3
    )
    for_citizens = models.BooleanField(_("công dân thực hiện"), default=True)
    # The level of assurance of the VNeID sign-in a filing needs (Decree 69/2024): empty for any
    # signed-in account, "LoA2" for a session reached through VNeID at level 2.
    required_assurance = models.CharField(
        _("mức độ xác thực VNeID bắt buộc"),
        max_length=8,
        choices=[("", _("Không bắt buộc")), ("LoA2", _("VNeID mức độ 2"))],
        default="",
        blank=True,
    )
    for_organisations = models.BooleanField(_("tổ chức thực hiện"), default=False)
    channel_in_person = models.BooleanField(_("nộp trực tiếp"), default=True)
    channel_online = models.BooleanField(_("nộp trực tuyến"), default=False)
    channel_post = models.BooleanField(_("nộp qua bưu chính"), default=False)
    processing_time = models.PositiveIntegerField(_("thời hạn giải quyết"), default=0)
    processing_time_unit = models.CharField(
        _("đơn vị thời hạn"),
        max_length=20,
        choices=ProcessingTimeUnit.choices,
        default=ProcessingTimeUnit.WORKING_DAYS,
    )
    processing_time_note = models.CharField(_("ghi chú thời hạn"), max_length=500, blank=True)
    steps_text = models.TextField(_("trình tự thực hiện"), blank=True)
    conditions = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    result_place = models.CharField(_("nơi trả kết quả"), max_length=500, blank=True)
    legal_basis = models.JSONField(
        _("căn cứ pháp lý"),
        default=_empty_list,
        blank=True,
        help_text=_('Danh sách {"number": "...", "title": "...", "date": "YYYY-MM-DD"}.'),
    )
    result_types = models.JSONField(
        _("kết quả thực hiện"),
        default=_empty_list,
        blank=True,
        help_text=_('Danh sách {"name": "...", "electronic": true, "signed": true}.'),
    )
    form_schema = models.JSONField(_("biểu mẫu điện tử"), default=_empty_form, blank=True)
    workflow_steps = models.JSONField(
        _("quy trình xử lý"),
        default=_empty_list,
        blank=True,
        help_text=_(
            'Danh sách bước {"key", "name", "role", "duration", "unit": "hours|days", "send_back_to"} theo thứ tự.'
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        ordering = ["procedure__code", "-number"]
        indexes = [
            models.Index(fields=["procedure", "status", "effective_date"], name="proc_version_in_force_idx"),
            models.Index(fields=["service_level"], name="proc_version_level_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="uniq_procedure_version_number"),
            models.CheckConstraint(
                condition=models.Q(status__in=VersionStatus.values), name="proc_version_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=VersionStatus.PUBLISHED) | models.Q(effective_date__isnull=False),
                name="proc_version_published_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(service_level__in=ServiceLevel.values), name="proc_version_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} ({self.get_status_display()})"

    @property
    def display_name(self) -> str:
        """The name in the page's language: English when the page is and the name is given."""
        return self.name_en if self.name_en and get_language() == "en" else self.name

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    @property
    def level_display(self) -> str:
        return f"{self.get_service_level_display()} ({self.get_legacy_level_display().lower()})"

    @property
    def processing_time_display(self) -> str:
        if self.processing_time == 0 and self.processing_time_unit == ProcessingTimeUnit.WORKING_DAYS:
            return str(_("Trong ngày làm việc"))
        return f"{self.processing_time} {self.get_processing_time_unit_display()}"

    @property
    def applicant_labels(self) -> list[str]:
        return [
            str(label)
            for on, label in ((self.for_citizens, _("Công dân")), (self.for_organisations, _("Tổ chức, doanh nghiệp")))
            if on
        ]

    @property
    def channel_labels(self) -> list[str]:
        pairs = (
            (self.channel_online, _("Trực tuyến")),
            (self.channel_in_person, _("Trực tiếp")),
            (self.channel_post, _("Dịch vụ bưu chính")),
        )
        return [str(label) for on, label in pairs if on]

    @property
    def accepts_online(self) -> bool:
        return self.channel_online and self.service_level in (ServiceLevel.FULL, ServiceLevel.PARTIAL)


class Fee(models.Model):
    """A fee or charge (phí, lệ phí) item of a procedure version, in VND."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    amount = models.BigIntegerField(_("mức thu (đồng)"))
    description = models.CharField(_("mô tả"), max_length=500)
    collected_at = models.CharField(
        _("thời điểm thu"), max_length=20, choices=FeeCollection.choices, default=FeeCollection.AT_SUBMISSION
    )
    # Per-copy items: the amount is due once per unit of the form field's number, after the
    # first ``quantity_free`` units (e.g. "from the 3rd copy on, per copy").
    quantity_field = models.CharField(_("trường số lượng"), max_length=64, blank=True)
    quantity_free = models.PositiveSmallIntegerField(_("số lượng không thu"), default=0)
    # Tiers and caps: units past ``quantity_max`` are not charged by this item ("from the 3rd
    # page on, 1.000 đ a page, at most 200.000 đ a copy" is pages 3 to 198 at 1.000 đ).
    quantity_max = models.PositiveIntegerField(_("số lượng tối đa tính phí"), null=True, blank=True)
    # Items due per unit of a second count: the quantity is multiplied by that form field's
    # number (pages of each copy, times the copies).
    per_field = models.CharField(_("trường nhân số lượng"), max_length=64, blank=True)
    # Items chosen by an answer: due only when the form field's answer equals the value
    # ("true"/"false" for a yes/no question).
    condition_field = models.CharField(_("trường điều kiện"), max_length=64, blank=True)
    condition_value = models.CharField(_("giá trị điều kiện"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")
        ordering = ["version", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fee_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(collected_at__in=FeeCollection.values), name="fee_collected_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {money_short(self.amount)}"


def _template_path(instance: "DocumentRequirement", filename: str) -> str:
    return f"procedures/templates/{instance.version.procedure.code}/{filename}"


class DocumentRequirement(models.Model):
    """A document component (thành phần hồ sơ) the applicant must provide."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="documents")
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    description = models.TextField(_("ghi chú"), blank=True)
    template = models.FileField(_("mẫu đơn, tờ khai"), upload_to=_template_path, max_length=300, blank=True)
    template_name = models.CharField(
        _("tên tệp mẫu"), max_length=150, blank=True, help_text=_("Tên tệp khi tải về; để trống thì lấy theo tệp.")
    )
    originals = models.PositiveSmallIntegerField(_("số bản chính"), default=1)
    copies = models.PositiveSmallIntegerField(_("số bản sao"), default=0)
    required = models.BooleanField(_("bắt buộc"), default=True)
    accepted_types = models.JSONField(_("định dạng chấp nhận (MIME)"), default=_empty_list, blank=True)
    max_size = models.PositiveIntegerField(_("dung lượng tối đa (byte)"), default=DEFAULT_DOCUMENT_MAX_SIZE)
    reusable = models.BooleanField(_("lấy từ kho dữ liệu cá nhân"), default=False)
    # Once-only: the national database's document that stands for this component (e.g.
    # "residence_confirmation" of the population database, portal.national_data.NATIONAL_DOCUMENTS);
    # taken with the applicant's consent, it is attached without an upload.
    national_document = models.CharField(
        _("giấy tờ lấy từ CSDL quốc gia"),
        max_length=40,
        blank=True,
        choices=NATIONAL_DOCUMENT_CHOICES,
        help_text=_("Khi người nộp đồng ý tra cứu, cổng lấy giấy tờ này từ CSDL quốc gia và không yêu cầu tải lên."),
    )
    from_form = models.BooleanField(
        _("đáp ứng bằng tờ khai trực tuyến"),
        default=False,
        help_text=_(
            "Thành phần này là tờ khai mà người nộp đã khai trên biểu mẫu điện tử: cổng tự tạo tệp PDF "
            "từ nội dung kê khai và đính kèm, không yêu cầu tải lên."
        ),
    )

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def template_filename(self) -> str:
        """The name the applicant downloads (the storage may have renamed the file to keep it unique)."""
        if not self.template:
            return ""
        return self.template_name or self.template.name.rsplit("/", 1)[-1]
