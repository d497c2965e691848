"""Failed logins slow the attacker down, and never lock the owner out (chống dò mật khẩu).

Each failed login adds to two counters in the cache (Redis, shared by every web process), one
per client address and one per account, each for an hour. Past ``LOGIN_FREE_FAILURES`` the
next try must wait, twice as long after each further failure (1 s, 2 s, 4 s … up to 15
minutes); a try made sooner is refused without checking the password, so guessing gets slower
and slower. No account is ever locked:

- the wait of an address holds only that address;
- the wait of an account does not hold the owner's own browser (a signed cookie left by its
  last successful sign-in) nor an address that has not failed on that account — so whoever
  types the right password (and the second factor, for officers) still signs in;
- the owner gets one e-mail (at most one a day) once its account counts that many failures.
"""

import hashlib
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.client_address import client_ip
from portal.models import User
from portal.notifications import notify
from portal.ratelimit import count_hit

WINDOW_SECONDS = 3600
MAX_WAIT_SECONDS = 15 * 60
ALERT_EVERY_SECONDS = 24 * 3600
DEVICE_COOKIE = "portal_known_device"
DEVICE_COOKIE_AGE = 180 * 24 * 3600
_DEVICE_SALT = "portal.login_guard.device"


def _account(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def wait_after(failures: int) -> int:
    """Seconds to wait before the next try after ``failures`` failures in the window."""
    free = settings.LOGIN_FREE_FAILURES
    if failures < free:
        return 0
    return min(2 ** (failures - free), MAX_WAIT_SECONDS)


def now() -> float:
    return time.time()


def _left(key: str) -> int:
    until = cache.get(key)
    return max(0, int(until - now() + 0.999)) if until else 0


def _known_device(request, account: str) -> bool:
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    try:
        return signing.loads(value, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_AGE) == account
    except signing.BadSignature:
        return False


def login_wait(request, *, email: str) -> int:
    """Seconds this request must still wait before its password is checked (0: go ahead)."""
    ip, account = client_ip(request) or "unknown", _account(email)
    waits = [_left(f"login-wait:ip:{ip}")]
    account_wait = _left(f"login-wait:acct:{account}")
    if account_wait and cache.get(f"login-failed:acct-ip:{account}:{ip}") and not _known_device(request, account):
        waits.append(account_wait)
    return max(waits)


def login_refusal(seconds: int) -> str:
    return _("Đăng nhập sai nhiều lần; vui lòng thử lại sau %(seconds)d giây.") % {"seconds": seconds}


def _count(key: str) -> int:
    failures, _ttl, _peek = count_hit(f"login-failures:{key}", 1, WINDOW_SECONDS)
    wait = wait_after(failures)
    if wait:
        # The moment is what counts; the key may outlive it.
        cache.set(f"login-wait:{key}", now() + wait, timeout=wait + 60)
    return failures


def login_failed(request, *, email: str) -> None:
    """Count one failed login for the address and the account; alert the owner once."""
    ip, account = client_ip(request) or "unknown", _account(email)
    _count(f"ip:{ip}")
    account_failures = _count(f"acct:{account}")
    cache.set(f"login-failed:acct-ip:{account}:{ip}", 1, timeout=WINDOW_SECONDS)
    if account_failures >= settings.LOGIN_FREE_FAILURES:
        _alert_owner(email=email, account=account, failures=account_failures)


def _alert_owner(*, email: str, account: str, failures: int) -> None:
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None or not cache.add(f"login-alerted:{account}", 1, timeout=ALERT_EVERY_SECONDS):
        return
    notify(
        user,
        "account.login_failures",
        {"failures": failures, "url": reverse("account_change_password")},
    )


def login_succeeded(request, response, *, user) -> None:
    """The owner signed in: this address no longer counts as failing on the account, and the
    browser is remembered so that the account's wait never holds it."""
    account = _account(user.email)
    cache.delete(f"login-failed:acct-ip:{account}:{client_ip(request) or 'unknown'}")
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(account, salt=_DEVICE_SALT),
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
