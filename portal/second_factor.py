"""The officer's second factor (xác thực hai lớp): the one rule every door asks.

An officer (an account with an active officer membership) uses its officer powers only

- from a session verified with its authenticator app (TOTP, or one of its recovery codes) in
  the last ``OFFICER_MFA_MAX_AGE_HOURS`` hours — allauth records each factor in the session when
  the officer signs in or re-authenticates (``/accounts/2fa/reauthenticate/``); or
- through a bearer token with the ``officer`` scope, which is minted only from such a session
  with a fresh code (`portal.services.tokens`).

`officer_request_gate` (a session) and `officer_token_gate` (a bearer token) apply it to one
request: they withhold the officer powers of the request's user otherwise
(`portal.selectors.officer_powers_withhold`), so pages, API, file downloads and the transition
runner all see a plain account. The middleware and the API's permissions call the first, the
bearer-token authentication (the API's and the file downloads') the second.
"""

import time

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY, get_authentication_records
from django.conf import settings

from portal import selectors
from portal.models import ApiToken

OFFICER_SCOPE = "officer"


def officer_session_verified_at(request) -> float | None:
    """When (epoch seconds) the session last passed the second factor, or None."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or not hasattr(request, "session"):
        return None
    moments = [
        record.get("at")
        for record in get_authentication_records(request, user)
        if isinstance(record, dict) and record.get("method") == "mfa" and isinstance(record.get("at"), int | float)
    ]
    return max(moments) if moments else None


def officer_session_verified(request) -> bool:
    """Whether the request's session passed the second factor recently enough for officer work
    (and the account still has its authenticator: removing it ends the verification)."""
    verified_at = officer_session_verified_at(request)
    if verified_at is None:
        return False
    max_age = settings.OFFICER_MFA_MAX_AGE_HOURS * 3600
    return time.time() - verified_at <= max_age and selectors.user_has_totp(request.user)


def session_record_totp_activated(request, authenticator) -> None:
    """Setting up the authenticator app took a valid code from it: the session has passed the
    second factor then, as a sign-in with the code would record it."""
    user = authenticator.user
    records = get_authentication_records(request, user)
    if not records:  # the session is not this user's sign-in
        return
    record = {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": authenticator.type}
    request.session[AUTHENTICATION_METHODS_SESSION_KEY] = [*records, record]
    # allauth tells on commit, which may come after the response has saved the session.
    request.session.save()


def token_acts_as_officer(token) -> bool:
    return isinstance(token, ApiToken) and OFFICER_SCOPE in (token.scopes or [])


def officer_token_gate(token) -> bool:
    """Apply the rule to a bearer token's request: without the ``officer`` scope its user acts as
    no officer (withheld without asking whether it is one: nothing to look up)."""
    if token_acts_as_officer(token):
        return True
    selectors.officer_powers_withhold(token.user)
    return False


def officer_request_gate(request) -> bool:
    """Apply the rule to a request signed in by session; True when its user may act as an
    officer in it. A citizen passes untouched (answer False: nothing to withhold)."""
    user = getattr(request, "user", None)
    if user is None or not selectors.user_holds_officer_membership(user):
        return False
    judged = getattr(user, "_officer_gate", None)  # the middleware and the API both ask
    if judged is None:
        judged = user._officer_gate = officer_session_verified(request)
    if not judged:
        selectors.officer_powers_withhold(user)
    return judged
