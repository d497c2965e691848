"""Bearer-token authentication for the API (``Authorization: Bearer dvc_...``)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal.second_factor import officer_token_gate
from portal.services import ApiTokenExpired, api_token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Tiêu đề Authorization không hợp lệ."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Mã truy cập không hợp lệ.")) from None
        return bearer_token_user(raw)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def bearer_token_user(raw: str):
    """``(user, token)`` for a raw bearer token, the user's officer powers withheld unless the
    token has the ``officer`` scope; AuthenticationFailed (401) for an unknown, revoked or
    expired token. The API and the file downloads both authenticate through here."""
    try:
        token = api_token_authenticate(raw=raw)
    except ApiTokenExpired as error:
        raise exceptions.AuthenticationFailed(
            _("Mã truy cập đã hết hạn lúc %(when)s; hãy tạo mã mới.") % {"when": error.expired_at_display}
        ) from None
    if token is None:
        raise exceptions.AuthenticationFailed(_("Mã truy cập không hợp lệ hoặc đã bị thu hồi."))
    officer_token_gate(token)
    return token.user, token


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the bearer tokens in the OpenAPI schema (drf-spectacular finds it on import)."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer dvc_..."}
