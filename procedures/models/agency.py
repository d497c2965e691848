"""Agencies (cơ quan) form a tree of any depth: province, departments, communes, units.

Vietnam has two tiers of local government since 1 July 2025, so nothing here assumes
a district level; a unit code (mã đơn vị, e.g. ``000.00.12.H48``) prefixes dossier codes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from procedures.constants import DEFAULT_WORKING_PERIODS, DEFAULT_WORKING_WEEKDAYS, AgencyLevel


def _default_periods() -> list[list[str]]:
    return [list(p) for p in DEFAULT_WORKING_PERIODS]


def _default_weekdays() -> list[int]:
    return list(DEFAULT_WORKING_WEEKDAYS)


class Agency(models.Model):
    code = models.CharField(_("mã đơn vị"), max_length=32, unique=True)
    name = models.CharField(_("tên cơ quan"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("cơ quan cấp trên"),
    )
    level = models.CharField(_("cấp"), max_length=20, choices=AgencyLevel.choices)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("trang thông tin"), blank=True)
    working_periods = models.JSONField(
        _("giờ làm việc"),
        default=_default_periods,
        help_text=_('Các buổi làm việc trong ngày, ví dụ [["07:30", "11:30"], ["13:00", "17:00"]].'),
    )
    working_weekdays = models.JSONField(
        _("ngày làm việc trong tuần"),
        default=_default_weekdays,
        help_text=_("0 = thứ Hai … 6 = Chủ nhật."),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    # A Public Administration Service Centre (Trung tâm Phục vụ hành chính công) of the province
    # or of a commune: under Decree 118/2025/NĐ-CP (in force 1 July 2025) it receives dossiers of
    # procedures other agencies of its province decide, wherever the applicant lives, hands them
    # over electronically and returns their results (``procedures.rulebook.RECEIPT_ANYWHERE_BASIS``).
    is_service_centre = models.BooleanField(
        _("là Trung tâm Phục vụ hành chính công"),
        default=False,
        help_text=_(
            "Tiếp nhận hồ sơ của thủ tục do cơ quan khác trong tỉnh giải quyết, không phụ thuộc nơi cư trú của"
            " người nộp, chuyển cho cơ quan có thẩm quyền và trả kết quả."
        ),
    )
    # Who signs the agency's results, as printed under the signature (issue 19).
    signer_title = models.CharField(
        _("chức danh người ký kết quả"),
        max_length=120,
        default="Thủ trưởng cơ quan",
        help_text=_("Ví dụ: Chủ tịch, Giám đốc. In dưới chữ ký trên kết quả giải quyết."),
    )
    signer_name = models.CharField(
        _("họ tên người ký kết quả"),
        max_length=120,
        blank=True,
        help_text=_("Để trống: in tên lãnh đạo duy nhất của cơ quan có quyền phê duyệt, nếu có."),
    )

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A department (phòng) inside an agency; officers may belong to one."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="departments")
    code = models.CharField(_("mã phòng"), max_length=32)
    name = models.CharField(_("tên phòng"), max_length=255)

    class Meta:
        verbose_name = _("phòng, ban")
        verbose_name_plural = _("phòng, ban")
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="uniq_department_code")]

    def __str__(self) -> str:
        return f"{self.name} — {self.agency.short_name or self.agency.name}"
