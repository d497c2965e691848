"""API bearer tokens: minted, revoked, authenticated.

A token that can act as an officer (the ``officer`` scope) is minted only by an officer whose
session passed the second factor lately *and* who enters a fresh code from its authenticator
app, or by the server's operator (``manage.py create_api_token``); it expires within
``OFFICER_TOKEN_MAX_DAYS`` days. Other tokens may expire (``expires_in_days``) or not.
"""

import hashlib
import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from portal import selectors
from portal.constants import API_TOKEN_PREFIX, API_TOKEN_SCOPES, OrganisationRole
from portal.models import ApiToken, Organisation, OrganisationMembership, User
from portal.ratelimit import count_hit
from portal.second_factor import OFFICER_SCOPE

OFFICER_TOKEN_MAX_DAYS = 90
TOKEN_MAX_DAYS = 365
# Wrong codes on the token form: this many per user in the window, then the form refuses.
_CODE_TRIES = 5
_CODE_WINDOW = 15 * 60


class ApiTokenExpired(Exception):  # noqa: N818 - reads as the state of the token
    """The token is genuine but past its ``expires_at``."""

    def __init__(self, expires_at):
        super().__init__(expires_at)
        self.expires_at = expires_at
        self.expired_at_display = formats.date_format(timezone.localtime(expires_at), "d/m/Y H:i")


# Writing last_used_at on every request would turn every API read into a write;
# once a minute is precise enough for an owner checking which token is in use.
_LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _second_factor_check(*, user: User, session_verified: bool, totp_code: str) -> None:
    """The officer's proof for an officer token: a verified session and a fresh, unused code."""
    if not session_verified:
        raise PermissionDenied(
            _("Hãy xác thực hai lớp (TOTP) trong phiên đăng nhập này trước khi tạo mã truy cập của cán bộ.")
        )
    count, _left, _peek = count_hit(f"token-code-tries:{user.pk}", 0, _CODE_WINDOW)
    if count >= _CODE_TRIES:
        raise ValidationError({"totp_code": [_("Đã nhập sai mã xác thực quá nhiều lần; hãy thử lại sau 15 phút.")]})
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    code = (totp_code or "").strip()
    if authenticator is None or not code or not authenticator.wrap().validate_code(code):
        count_hit(f"token-code-tries:{user.pk}", 1, _CODE_WINDOW)
        raise ValidationError(
            {"totp_code": [_("Mã xác thực (TOTP) không đúng hoặc đã được dùng; hãy nhập mã mới trong ứng dụng.")]}
        )


def _expiry(*, officer: bool, expires_in_days: int | None):
    limit = OFFICER_TOKEN_MAX_DAYS if officer else TOKEN_MAX_DAYS
    if expires_in_days is None:
        if not officer:
            return None
        expires_in_days = OFFICER_TOKEN_MAX_DAYS
    if not isinstance(expires_in_days, int) or not 1 <= expires_in_days <= limit:
        raise ValidationError(
            {"expires_in_days": [_("Thời hạn của mã truy cập phải từ 1 đến %(max)d ngày.") % {"max": limit}]}
        )
    return timezone.now() + timedelta(days=expires_in_days)


def api_token_create(
    *,
    user: User,
    name: str,
    scopes: list[str] | None = None,
    organisation: Organisation | None = None,
    expires_in_days: int | None = None,
    session_verified: bool = False,
    totp_code: str = "",
    by_operator: bool = False,
    assurance: str = "",
) -> tuple[ApiToken, str]:
    """Create a token; return it with the raw secret, which is never stored or shown again.

    With ``organisation`` (one the user owns) the token acts for that organisation: a
    business integration files and subscribes in its name, and stops working when the user
    leaves it. The ``officer`` scope needs an officer and its second factor
    (``session_verified`` and a ``totp_code`` checked here), or ``by_operator`` (the server's
    command line); such a token expires in ``expires_in_days`` days (at most 90, 90 by default).
    ``assurance`` is the VNeID level of the session the token is minted from (kept with the token:
    a token never files what its session could not).
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
    officer = OFFICER_SCOPE in scopes
    if officer and not selectors.user_holds_officer_membership(user):
        raise ValidationError({"scopes": [_("Chỉ cán bộ mới tạo được mã truy cập có phạm vi “officer”.")]})
    expires_at = _expiry(officer=officer, expires_in_days=expires_in_days)
    if officer and not by_operator:
        _second_factor_check(user=user, session_verified=session_verified, totp_code=totp_code)
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        organisation=organisation,
        name=name,
        prefix=raw[: len(API_TOKEN_PREFIX) + 6],
        key_hash=_digest(raw),
        scopes=scopes,
        expires_at=expires_at,
        assurance=assurance if assurance in ("LoA1", "LoA2") else "",
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
    """Return the live token matching `raw`, recording its use (at most once a minute); None
    when unknown, revoked or its user inactive; `ApiTokenExpired` when past its expiry."""
    if not raw or not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 200:
        return None
    # The user's citizen profile comes along: filing needs it, and it costs no round trip here.
    token = (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(key_hash=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at and token.expires_at <= now:
        raise ApiTokenExpired(token.expires_at)
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
