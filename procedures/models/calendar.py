"""Admin-managed exceptions to the working-time calendar, per year.

The `holidays` package gives Vietnam's public holidays (lunar ones included); each year
the government also announces extra days off and make-up working days (ngày làm bù),
which are entered here and override the package.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from procedures.constants import DayExceptionKind


class DayException(models.Model):
    date = models.DateField(_("ngày"))
    kind = models.CharField(_("loại"), max_length=20, choices=DayExceptionKind.choices)
    agency = models.ForeignKey(
        "procedures.Agency",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="day_exceptions",
        help_text=_("Để trống nếu áp dụng cho mọi cơ quan."),
    )
    description = models.CharField(_("căn cứ, ghi chú"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = _("ngày nghỉ, ngày làm bù")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "agency"], name="uniq_day_exception_agency"),
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(agency__isnull=True), name="uniq_day_exception_global"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=DayExceptionKind.values), name="day_exception_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.get_kind_display()}"
