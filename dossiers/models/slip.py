"""Official slips (phiếu) generated for a dossier, as PDFs in private storage."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.constants import SLIP_FORM, SlipKind
from procedures import selectors as procedure_selectors


def slip_path(instance: "Slip", filename: str) -> str:
    return f"slips/{instance.dossier_id}/{filename}"


class Slip(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="slips")
    kind = models.CharField(_("loại phiếu"), max_length=8, choices=SlipKind.choices)
    number = models.PositiveSmallIntegerField(default=1)
    event_seq = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=slip_path, max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phiếu")
        verbose_name_plural = _("phiếu")
        constraints = [models.UniqueConstraint(fields=["dossier", "kind", "number"], name="uniq_slip_kind_number")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.dossier}"

    def get_kind_display(self) -> str:
        """The form's number and title under the rule set of the dossier (the one in force when
        it was received): a control sheet of 2024 is "Mẫu 05", one of 2026 "Mẫu 06"."""
        key = SLIP_FORM.get(self.kind)
        if key is not None:
            form = procedure_selectors.rule_set_at(self.dossier.rules_moment).form(key)
            if form is not None:
                return form.label
        return str(SlipKind(self.kind).label) if self.kind in SlipKind.values else self.kind
