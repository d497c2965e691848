"""Officer memberships: which agency (and department) an officer acts for, in which role."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.constants import OfficerRole


class OfficerMembership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer_memberships")
    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="officer_memberships")
    department = models.ForeignKey(
        "procedures.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="officer_memberships",
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=OfficerRole.choices)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cán bộ thuộc cơ quan")
        verbose_name_plural = _("cán bộ thuộc cơ quan")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="uniq_officer_role"),
            models.CheckConstraint(condition=models.Q(role__in=OfficerRole.values), name="officer_role_valid"),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="officer_user_active_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"
