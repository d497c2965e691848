"""The Content-Security-Policy in a real browser: the pages that run the most foreign script (the
API docs) meet no violation, and a violation does fail a browser test."""

from playwright.sync_api import expect

from tests.e2e.helpers import wait_until


def test_api_docs_render_under_the_policy(page, csp_violations):
    page.goto("/api/docs/")
    # The schema is generated on the first request: slow on a busy machine.
    expect(page.locator(".swagger-ui .info .title").first).to_contain_text("API", timeout=60_000)
    assert csp_violations == []


def test_language_switch_submits_without_inline_script(page):
    page.goto("/procedures/")
    page.select_option("#language-switch", "en")
    expect(page.locator("html")).to_have_attribute("lang", "vi")  # a choice changes nothing yet
    with page.expect_navigation():
        page.click("#language-submit")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_an_inline_style_is_refused_and_reported(page, csp_violations):
    page.goto("/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p id=\"probe\" style=\"color: red\">x</p>')")
    wait_until(page, "document.getElementById('probe') !== null")
    color = page.evaluate("getComputedStyle(document.getElementById('probe')).color")
    assert color != "rgb(255, 0, 0)"
    page.wait_for_timeout(200)
    assert any("style-src" in line for line in csp_violations), csp_violations
    csp_violations.clear()  # seen and asserted: the teardown check is for the unexpected ones
