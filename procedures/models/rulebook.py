"""Rule sets added by an administrator (procedures.rulebook): a later wording, with its date."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from procedures.rulebook import FORM_KEYS


class RuleSet(models.Model):
    """A rule set in force from ``effective_from``; blank fields keep the set before it.

    ``forms`` maps a form key (receipt, supplement, refusal, apology, stop_notice,
    control_sheet, register) to ``{"number": "06", "title": "…"}``.
    """

    effective_from = models.DateField(_("hiệu lực từ ngày"), unique=True)
    name = models.CharField(_("tên bộ quy định"), max_length=255)
    decree = models.CharField(_("nghị định (số hiệu)"), max_length=64, blank=True)
    decree_citation = models.TextField(_("trích dẫn nghị định"), blank=True)
    circular = models.CharField(_("thông tư (số hiệu)"), max_length=64, blank=True)
    circular_citation = models.TextField(_("trích dẫn thông tư"), blank=True)
    forms = models.JSONField(_("biểu mẫu (số, tên)"), default=dict, blank=True)
    dossier_code_article = models.CharField(_("căn cứ mã hồ sơ"), max_length=255, blank=True)
    sector_code_article = models.CharField(_("căn cứ mã ngành, lĩnh vực"), max_length=255, blank=True)
    online_reception_hours = models.PositiveSmallIntegerField(
        _("số giờ làm việc để tiếp nhận hồ sơ trực tuyến"), null=True, blank=True
    )
    online_reception_article = models.CharField(_("căn cứ thời hạn tiếp nhận"), max_length=255, blank=True)
    receipt_anywhere_article = models.CharField(
        _("căn cứ tiếp nhận hồ sơ không phụ thuộc địa giới hành chính"), max_length=255, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bộ quy định một cửa")
        verbose_name_plural = _("bộ quy định một cửa")
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%d/%m/%Y})"

    def clean(self) -> None:
        if not isinstance(self.forms, dict):
            raise ValidationError({"forms": _("Biểu mẫu phải là một đối tượng JSON: mã biểu mẫu → số và tên.")})
        errors = []
        for key, spec in self.forms.items():
            if key not in FORM_KEYS:
                errors.append(
                    _("Mã biểu mẫu “%(key)s” không hợp lệ; các mã: %(keys)s.")
                    % {"key": key, "keys": ", ".join(FORM_KEYS)}
                )
            elif not isinstance(spec, dict) or not all(isinstance(v, str | bool) for v in spec.values()):
                errors.append(_("Biểu mẫu “%(key)s” phải có số (number) và tên (title) dạng chữ.") % {"key": key})
        if errors:
            raise ValidationError({"forms": errors})
