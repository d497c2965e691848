import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.constants import API_TOKEN_PREFIX, API_TOKEN_SCOPES, OrganisationRole
from portal.models import ApiToken, Organisation, OrganisationMembership, User

# Writing last_used_at on every request would turn every API read into a write;
# once a minute is precise enough for an owner checking which token is in use.
_LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str, scopes: list[str] | None = None, organisation: Organisation | None = None
) -> tuple[ApiToken, str]:
    """Create a token; return it with the raw secret, which is never stored or shown again.

    With ``organisation`` (one the user owns) the token acts for that organisation: a
    business integration files and subscribes in its name, and stops working when the user
    leaves it.
    """
    if (
        organisation is not None
        and not OrganisationMembership.objects.filter(
            user=user, organisation=organisation, role=OrganisationRole.OWNER
        ).exists()
    ):
        raise ValidationError({"organisation": [_("Chỉ chủ sở hữu tổ chức mới tạo được mã truy cập của tổ chức.")]})
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("Hãy đặt tên cho mã truy cập (tối đa 100 ký tự).")]})
    scopes = list(scopes) if scopes is not None else ["dossiers:read", "dossiers:write"]
    unknown = [s for s in scopes if s not in API_TOKEN_SCOPES]
    if unknown:
        raise ValidationError({"scopes": [_("Phạm vi không hợp lệ: %s") % ", ".join(unknown)]})
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        organisation=organisation,
        name=name,
        prefix=raw[: len(API_TOKEN_PREFIX) + 6],
        key_hash=_digest(raw),
        scopes=scopes,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or token.user_id != user.pk:
        raise PermissionDenied(_("Không tìm thấy mã truy cập này trong tài khoản của bạn."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """Return the live token matching `raw`, recording its use; None when invalid."""
    if not raw or not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 200:
        return None
    # The user's citizen profile comes along: filing needs it, and it costs no round trip here.
    token = (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(key_hash=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active or (token.expires_at and token.expires_at <= now):
        return None
    if (
        token.organisation_id
        and not OrganisationMembership.objects.filter(
            user_id=token.user_id, organisation_id=token.organisation_id
        ).exists()
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
