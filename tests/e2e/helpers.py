"""Steps the browser tests share: an action on the officer's dossier page, signing out."""

import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect


def _act(page, name: str, fill=None):
    """Open the action's card on the officer's dossier page, fill it, submit, land back on the page."""
    card = page.locator(f"#action-{name}")
    card.locator("summary").click()
    if fill is not None:
        fill(card)
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Đã thực hiện")


def _sign_out(page):
    page.context.clear_cookies()


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true on the page. Playwright's ``wait_for_function``
    given an expression compiles it in the page with ``eval``, which the portal's
    Content-Security-Policy (no 'unsafe-eval') refuses whenever the first check is false;
    ``page.evaluate`` goes through the DevTools protocol, outside the policy."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError as error:  # a navigation in between: ask the next document
            if "context was destroyed" not in str(error):
                raise
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)
