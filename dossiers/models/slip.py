"""Official slips (phiếu) generated for a dossier, as PDFs in private storage."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.constants import SlipKind


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
