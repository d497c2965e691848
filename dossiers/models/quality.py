"""The rule sets of the service-quality index (Decision 766/QĐ-TTg) and the mission's targets.

``IndexRuleSet``: the points and full-points thresholds of every indicator, in force from an
effective date (a period is scored by the rule set in force on its first day). ``IndexRule``:
one indicator's line of a rule set. ``MissionTarget``: a target figure (share fully online,
satisfaction, …) in force from a date. All are edited in the admin; the migration seeds the
figures known when the portal was built, each with its basis (and a word when the text was not
at hand).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.constants import FigureSource, IndexIndicator, MissionTargetKey

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class IndexRuleSet(models.Model):
    name = models.CharField(_("tên bộ quy tắc"), max_length=255)
    effective_from = models.DateField(_("áp dụng từ ngày"), unique=True)
    basis = models.TextField(_("căn cứ"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bộ quy tắc chấm điểm Bộ chỉ số 766")
        verbose_name_plural = _("bộ quy tắc chấm điểm Bộ chỉ số 766")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%d/%m/%Y})"


class IndexRule(models.Model):
    rule_set = models.ForeignKey(IndexRuleSet, on_delete=models.CASCADE, related_name="rules")
    indicator = models.CharField(_("chỉ số"), max_length=40, choices=IndexIndicator.choices)
    max_points = models.DecimalField(
        _("điểm tối đa"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    full_at = models.DecimalField(
        _("tỷ lệ đạt điểm tối đa (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    # Where each figure comes from (Decision 766/QĐ-TTg's annex was not at hand): said next to
    # the figure on the pages and in the API.
    max_points_source = models.CharField(
        _("nguồn của điểm tối đa"), max_length=10, choices=FigureSource.choices, default=FigureSource.ASSUMPTION
    )
    full_at_source = models.CharField(
        _("nguồn của ngưỡng đạt điểm tối đa"),
        max_length=10,
        choices=FigureSource.choices,
        default=FigureSource.ASSUMPTION,
    )
    note = models.TextField(_("ghi chú, căn cứ"), blank=True)

    class Meta:
        verbose_name = _("quy tắc chỉ số")
        verbose_name_plural = _("quy tắc chỉ số")
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "indicator"], name="uniq_index_rule_indicator"),
            models.CheckConstraint(condition=models.Q(max_points__gte=0), name="index_rule_points_positive"),
            models.CheckConstraint(condition=models.Q(full_at__gt=0, full_at__lte=100), name="index_rule_full_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()}: {self.max_points}"


# Indicators tracked as a figure, never scored: no text at hand gives them points or a rule to
# turn the figure into points (item 2.2, the average processing time).
TRACKED_ONLY = frozenset({IndexIndicator.AVG_PROCESSING_TIME})


def rule_points_validate(rules: list[tuple[str, Decimal]]) -> None:
    """The points of a rule set's lines add up to at most 100 (Decision 766/QĐ-TTg scores out of
    100); an indicator only tracked has no points."""
    for indicator, points in rules:
        if indicator in TRACKED_ONLY and points:
            raise ValidationError(
                _("Chỉ số “%(name)s” chỉ theo dõi, không chấm điểm: điểm tối đa phải là 0.")
                % {"name": IndexIndicator(indicator).label}
            )
    total = sum((points for _indicator, points in rules), Decimal("0"))
    if total > 100:
        raise ValidationError(_("Tổng điểm tối đa của bộ quy tắc là %(total)s, vượt quá 100.") % {"total": total})


class MissionTarget(models.Model):
    key = models.CharField(_("chỉ tiêu"), max_length=40, choices=MissionTargetKey.choices)
    target = models.DecimalField(_("mục tiêu (%)"), max_digits=5, decimal_places=2, validators=PERCENT)
    effective_from = models.DateField(_("áp dụng từ ngày"))
    basis = models.TextField(_("căn cứ"), blank=True)

    class Meta:
        verbose_name = _("mục tiêu chuyển đổi số")
        verbose_name_plural = _("mục tiêu chuyển đổi số")
        ordering = ["key", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "effective_from"], name="uniq_mission_target"),
            models.CheckConstraint(condition=models.Q(target__gte=0, target__lte=100), name="mission_target_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} ≥ {self.target}% ({self.effective_from:%d/%m/%Y})"
