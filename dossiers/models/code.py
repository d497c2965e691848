"""Per-unit, per-day sequence behind dossier codes (Circular 01/2018 art. 19)."""

from django.db import models


class DossierCodeCounter(models.Model):
    """One row per receiving unit and day; `last` is the last sequence number handed out.

    The row is incremented with ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` inside the
    submitting transaction, so concurrent submissions queue on the row lock and a rolled
    back submission gives its number back: codes are unique and gap-free.
    """

    unit_code = models.CharField(max_length=32)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit_code", "day"], name="uniq_code_counter_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit_code} {self.day:%y%m%d} → {self.last}"
