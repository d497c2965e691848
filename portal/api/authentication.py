"""Bearer-token authentication (``Authorization: Bearer dvc_...``) for the API, and for the
doors outside the API whose urls it gives (the file downloads): `session_or_bearer`."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal.api.permissions import READ_SCOPE
from portal.second_factor import OFFICER_SCOPE, officer_token_gate, token_acts_as_officer
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


def _token_refusal(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def session_or_bearer(view=None, *, officer: bool = False):
    """A Django view (a file download) open to the session's login, as the page is, or to
    ``Authorization: Bearer <token>`` with the ``dossiers:read`` scope — and, with ``officer``
    (an officer-only file), the ``officer`` scope too. The token's user then asks, its officer
    powers withheld unless the token has the officer scope (`bearer_token_user`); the view
    checks permissions as for the session. A bad token is 401, a missing scope 403, in JSON."""

    def decorate(view):
        session_view = login_required(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            header = request.headers.get("Authorization", "")
            if not header.lower().startswith("bearer "):
                return session_view(request, *args, **kwargs)
            try:
                user, token = bearer_token_user(header[7:].strip())
            except exceptions.AuthenticationFailed as error:
                return _token_refusal(str(error.detail), 401)
            for scope in (READ_SCOPE, OFFICER_SCOPE) if officer else (READ_SCOPE,):
                granted = token_acts_as_officer(token) if scope == OFFICER_SCOPE else scope in (token.scopes or [])
                if not granted:
                    return _token_refusal(
                        gettext("Mã truy cập này không có phạm vi “%(scope)s”.") % {"scope": scope}, 403
                    )
            request.user = user
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
