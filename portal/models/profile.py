"""Citizen profile (hồ sơ công dân): filled once, reused to prefill every dossier."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.constants import Sex
from portal.validators import validate_citizen_id, validate_phone


class CitizenProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(_("họ và tên"), max_length=150)
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    sex = models.CharField(_("giới tính"), max_length=10, choices=Sex.choices, blank=True)
    citizen_id = models.CharField(
        _("số định danh cá nhân (CCCD)"),
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_citizen_id],
    )
    phone = models.CharField(_("số điện thoại"), max_length=15, blank=True, validators=[validate_phone])
    email = models.EmailField(_("email liên hệ"), blank=True)
    permanent_address = models.CharField(_("địa chỉ thường trú"), max_length=255, blank=True)
    permanent_province = models.PositiveIntegerField(_("tỉnh/thành phố thường trú"), null=True, blank=True)
    permanent_commune = models.PositiveIntegerField(_("xã/phường thường trú"), null=True, blank=True)
    current_address = models.CharField(_("nơi ở hiện tại"), max_length=255, blank=True)
    current_province = models.PositiveIntegerField(_("tỉnh/thành phố nơi ở"), null=True, blank=True)
    current_commune = models.PositiveIntegerField(_("xã/phường nơi ở"), null=True, blank=True)
    # Fields taken from VNeID at the last sign-in (names of the fields above): shown as such and
    # never edited by hand while they come from the national identity (`portal.services.identity`).
    identity_fields = models.JSONField(_("trường lấy từ VNeID"), default=list, blank=True)
    identity_verified_at = models.DateTimeField(_("xác thực VNeID lần cuối"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ công dân")
        verbose_name_plural = _("hồ sơ công dân")

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_complete(self) -> bool:
        return bool(self.full_name and self.date_of_birth and self.citizen_id and self.phone)
