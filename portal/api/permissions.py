"""Scopes of bearer tokens: what a token may do, whatever its owner may do.

A session (the pages' login) carries no scopes; a token (``request.auth`` is an ApiToken)
needs ``dossiers:read`` to read and ``dossiers:write`` to change data, or the scope a view
names in ``required_scope`` (``officer``, ``webhooks``).
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.models import ApiToken

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


class TokenScopePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        scope = required_scope(request, view)
        if not token_has_scope(request, scope):
            raise exceptions.PermissionDenied(_("Mã truy cập này không có phạm vi “%(scope)s”.") % {"scope": scope})
        return True
