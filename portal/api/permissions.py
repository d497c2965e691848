"""Scopes of bearer tokens: what a token may do, whatever its owner may do.

A session (the pages' login) carries no scopes; a token (``request.auth`` is an ApiToken)
needs ``dossiers:read`` to read and ``dossiers:write`` to change data, or the scope a view
names in ``required_scope`` (``officer``, ``webhooks``).

Whatever authenticated the request, an officer's powers follow `portal.second_factor`: a token
is judged by its ``officer`` scope (in the token authentication), anything else (the session)
by its second factor, here again for every view — the middleware answers sessions first.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.models import ApiToken
from portal.second_factor import officer_request_gate

READ_SCOPE = "dossiers:read"
WRITE_SCOPE = "dossiers:write"


def token_has_scope(request, scope: str) -> bool:
    token = request.auth
    return not isinstance(token, ApiToken) or scope in (token.scopes or [])


def required_scope(request, view) -> str:
    scope = getattr(view, "required_scope", None)
    if scope:
        return scope
    return READ_SCOPE if request.method in SAFE_METHODS else WRITE_SCOPE


def officer_gate(request) -> None:
    """Withhold the officer powers of a request not made with a token unless its session passed
    the second factor (the token's rule ran when it was authenticated)."""
    if not isinstance(request.auth, ApiToken):
        officer_request_gate(request)


class TokenScopePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        officer_gate(request)
        scope = required_scope(request, view)
        if not token_has_scope(request, scope):
            raise exceptions.PermissionDenied(_("Mã truy cập này không có phạm vi “%(scope)s”.") % {"scope": scope})
        return True
