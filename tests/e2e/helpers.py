"""Steps the browser tests share: an action on the officer's dossier page, signing out."""

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
