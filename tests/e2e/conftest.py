"""Browser harness: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Every test collected under ``tests/e2e/`` is marked ``e2e`` and put in the ``e2e`` xdist group,
so that `make test` (``-n 2 --dist loadgroup``) runs all browser tests on one worker, one at a
time. Tests get a transactional database (the live server runs in another thread and must see
committed rows) and ``page.goto("/path")`` resolves against the live server (``base_url``).

Useful fixtures: ``page`` (from pytest-playwright), ``login`` (signs a user in through the UI,
TOTP step included), ``activate_totp`` (gives an officer TOTP, as the portal requires of officers
before any ``/officer/`` page), ``user_password`` (the password of ``UserFactory`` users);
``totp_code(secret)`` computes a code. A test fails when a page of it meets any
Content-Security-Policy violation (``context`` collects them from the console).
"""

import os
import time
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt

from tests.factories import PASSWORD

# Playwright's sync API runs an asyncio event loop in the test thread; Django refuses ORM calls
# from a thread with a running loop unless told this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

E2E_DIR = Path(__file__).resolve().parent
TOTP_PERIOD = 30
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: xdist reads the xdist_group marker in its own collection hook.
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))
            # WhiteNoise warns that STATIC_ROOT is missing; the live server serves from the finders.
            item.add_marker(pytest.mark.filterwarnings("ignore:No directory at:UserWarning"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Vietnamese browser, as most of the portal's users have; tests switch to English explicitly.
    return {**browser_context_args, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


@pytest.fixture(autouse=True)
def _e2e_database(transactional_db, live_server):
    """The live server's thread sees only committed rows: every browser test is transactional."""


# Every page reports the Content-Security-Policy violations it meets on the console, where the
# ``context`` fixture collects them (Chromium's own "Refused to ..." lines and the DOM events).
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber} (${event.disposition})`);
});
"""
CSP_CONSOLE_MARKERS = ("Content Security Policy", "Content-Security-Policy", "CSP violation")


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def context(context, csp_violations):
    """The browser context of a test, which fails when any page of it meets a CSP violation.

    The policy is enforced in the browser tests (settings as in production, not report-only).
    """
    context.add_init_script(CSP_VIOLATION_LISTENER)

    def _collect(message):
        if any(marker in message.text for marker in CSP_CONSOLE_MARKERS):
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", _collect)
    yield context
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def user_password():
    return PASSWORD


def totp_code(secret: str, *, not_before: int | None = None) -> str:
    """The current RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) for a base32 secret.

    allauth accepts only the current period's code, once: wait for a fresh period when fewer than
    3 s are left (the request must arrive in the same period) or when ``not_before`` says the
    current period's code was already used.
    """
    while True:
        now = time.time()
        counter = int(now) // TOTP_PERIOD
        if TOTP_PERIOD - now % TOTP_PERIOD >= 3 and (not_before is None or counter >= not_before):
            break
        time.sleep(TOTP_PERIOD - now % TOTP_PERIOD + 0.05)
    return format_hotp_value(hotp_value(secret, counter))


@pytest.fixture
def activate_totp():
    """Give a user a TOTP authenticator directly in the database; returns its secret."""

    def _activate(user) -> str:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        return secret

    return _activate


@pytest.fixture
def login(page):
    """Sign a user in through the allauth form: ``login(user)`` or ``login(email, password)``.

    When the account has TOTP (see ``activate_totp``), the code step is completed too.
    """
    used_periods: dict[int, int] = {}

    def _login(user_or_email, password: str = PASSWORD, *, expect_url: str | None = None):
        email = getattr(user_or_email, "email", user_or_email)
        page.goto("/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        if "/accounts/2fa/authenticate/" in page.url:
            authenticator = Authenticator.objects.get(user__email__iexact=email, type=Authenticator.Type.TOTP)
            code = totp_code(
                decrypt(authenticator.data["secret"]), not_before=used_periods.get(authenticator.user_id, -1) + 1
            )
            used_periods[authenticator.user_id] = int(time.time()) // TOTP_PERIOD
            page.fill("input[name=code]", code)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").first.click()
        if expect_url is not None:
            page.wait_for_url(f"**{expect_url}")
        elif "/accounts/login/" in page.url or "/accounts/2fa/authenticate/" in page.url:
            pytest.fail(f"Login of {email} failed: {page.locator('main').inner_text()[:500]}")
        return page

    return _login
