"""Organisations (doanh nghiệp / tổ chức) that file dossiers, and their members."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.constants import OrganisationRole
from portal.validators import validate_tax_code


class Organisation(models.Model):
    name = models.CharField(_("tên tổ chức"), max_length=255)
    tax_code = models.CharField(_("mã số thuế"), max_length=14, unique=True, validators=[validate_tax_code])
    address = models.CharField(_("địa chỉ trụ sở"), max_length=255, blank=True)
    province = models.PositiveIntegerField(_("tỉnh/thành phố"), null=True, blank=True)
    commune = models.PositiveIntegerField(_("xã/phường"), null=True, blank=True)
    legal_representative = models.CharField(_("người đại diện theo pháp luật"), max_length=150)
    phone = models.CharField(_("điện thoại"), max_length=15, blank=True)
    email = models.EmailField(_("email"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="OrganisationMembership", related_name="organisations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tổ chức")
        verbose_name_plural = _("tổ chức")

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"


class OrganisationMembership(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_memberships"
    )
    role = models.CharField(_("vai trò"), max_length=10, choices=OrganisationRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("thành viên tổ chức")
        verbose_name_plural = _("thành viên tổ chức")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="uniq_org_member"),
            models.CheckConstraint(condition=models.Q(role__in=OrganisationRole.values), name="org_member_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class OrganisationInvitation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(
        _("vai trò"), max_length=10, choices=OrganisationRole.choices, default=OrganisationRole.MEMBER
    )
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Each invitation or re-invitation asks for one more e-mail (a send round, recorded in the
    # outbox with it); the task that sends round n records it here, so a redelivered message of
    # a round already sent sends nothing.
    sends_requested = models.PositiveSmallIntegerField(_("số lần yêu cầu gửi"), default=0)
    sends_done = models.PositiveSmallIntegerField(_("số lần đã gửi"), default=0)
    sent_at = models.DateTimeField(_("gửi lần cuối lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lời mời tham gia tổ chức")
        verbose_name_plural = _("lời mời tham gia tổ chức")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(accepted_at__isnull=True, cancelled_at__isnull=True),
                name="uniq_open_invitation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"
