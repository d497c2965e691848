"""A signing identity: a certificate and the way to reach its private key.

The private key of a ``local`` identity is stored encrypted (see ``signing.crypto``); a
``pkcs11`` identity names a token and key label; a ``remote`` identity names a credential
at an external signing service. The key material is never shown, logged or sent anywhere.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from signing.constants import IdentityKind, SignerBackendKind


class SigningIdentity(models.Model):
    kind = models.CharField(_("loại"), max_length=20, choices=IdentityKind.choices)
    agency = models.ForeignKey(
        "procedures.Agency", on_delete=models.PROTECT, related_name="signing_identities", verbose_name=_("cơ quan")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_identities",
        verbose_name=_("cán bộ"),
    )
    display_name = models.CharField(_("tên hiển thị trên chữ ký"), max_length=255)
    certificate = models.BinaryField(_("chứng thư số (DER)"))
    chain = models.BinaryField(_("chuỗi chứng thư (PEM)"), default=b"", blank=True)
    subject = models.CharField(_("chủ thể"), max_length=500)
    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    serial = models.CharField(_("số hiệu"), max_length=80)
    fingerprint = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    key_usage = models.CharField(_("mục đích sử dụng khóa"), max_length=255, blank=True)
    backend = models.CharField(
        _("cách ký"), max_length=10, choices=SignerBackendKind.choices, default=SignerBackendKind.LOCAL
    )
    # Fernet token of the PKCS#8 DER private key (local backend only). editable=False keeps
    # it out of every ModelForm, the admin's included.
    encrypted_private_key = models.BinaryField(default=b"", blank=True, editable=False)
    # PKCS#11: {"module": path, "token_label": ..., "key_label": ..., "cert_label": ...}; the PIN is
    # stored encrypted in encrypted_pin. Remote: {"credential_id": ...}.
    backend_config = models.JSONField(_("cấu hình"), default=dict, blank=True)
    encrypted_pin = models.BinaryField(default=b"", blank=True, editable=False)
    is_active = models.BooleanField(_("đang sử dụng"), default=True)
    expiry_warned_at = models.DateTimeField(_("đã cảnh báo hết hạn lúc"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư ký số")
        verbose_name_plural = _("chứng thư ký số")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=IdentityKind.OFFICER) | Q(user__isnull=False),
                name="signing_identity_officer_has_user",
            ),
            models.CheckConstraint(condition=Q(not_after__gt=models.F("not_before")), name="signing_identity_validity"),
        ]
        indexes = [models.Index(fields=["agency", "kind", "is_active"], name="signing_identity_agency_kind")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_kind_display()})"
