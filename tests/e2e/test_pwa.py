"""The installable portal on a phone (issue 25), at 360 × 800 with a touch screen: Chromium finds
the manifest valid and the app installable, the service worker is registered and controls the
pages, the offline page shows once the network is cut, and a draft typed without a network reaches
the server when it is back. (Three photos becoming one three-page PDF, in the same phone context:
tests/e2e/test_document_photos.py.)"""

import re

import pytest
from playwright.sync_api import expect

from dossiers.models import Dossier
from tests.e2e.factories import _load_demo_catalogue
from tests.e2e.helpers import wait_until
from tests.factories import CitizenProfileFactory

PHONE = {"width": 360, "height": 800}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}


def _service_worker_ready(page) -> str:
    """The scope of the registration, once its worker is active and controls this page."""
    scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()  # clients.claim() may land after the first load: the next one is controlled
    wait_until(page, "!!navigator.serviceWorker.controller")
    return scope


def test_the_portal_installs_and_shows_its_offline_page_without_a_network(page, context, live_server):
    page.goto("/")
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert '"lang": "vi"' in manifest["data"] and "Cổng Dịch vụ công" in manifest["data"]
    assert _service_worker_ready(page) == f"{live_server.url}/"
    # Playwright's contexts are off the record, which Chromium never installs from: every other
    # reason (no icon, no worker, a bad manifest, not secure) would be listed here.
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    assert [e for e in errors if e != "in-incognito"] == [], errors
    # Cached: the static files of every page and the offline page, nothing personal.
    cached = page.evaluate(
        """caches.keys().then((keys) => Promise.all(keys.map((key) => caches.open(key).then((cache) => cache.keys()))))
             .then((lists) => lists.flat().map((request) => new URL(request.url).pathname))"""
    )
    assert "/offline/" in cached and any(re.match(r"/static/css/portal\b", path) for path in cached), cached
    assert all(path.startswith("/static/") or path == "/offline/" for path in cached), cached

    context.set_offline(True)
    try:
        page.goto("/procedures/")
        expect(page.locator("h1")).to_have_text("Không có kết nối mạng")
        expect(page.locator('section[lang="en"]')).to_contain_text("You are offline")
        # Styled from the cache: the header keeps its colour.
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.portal-header')).backgroundColor")
            != "rgba(0, 0, 0, 0)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.set_offline(False)
    page.locator("[data-reload]").click()
    expect(page.locator("h1").first).not_to_have_text("Không có kết nối mạng")
    assert page.url.endswith("/procedures/")


def test_a_draft_typed_offline_reaches_the_server_when_the_network_is_back(page, context, login):
    _load_demo_catalogue()
    profile = CitizenProfileFactory(full_name="Nguyễn Văn Cha", phone="0912345678")
    login(profile.user)
    page.goto("/dossiers/new/1.001193/")
    if "/form/" not in page.url:
        with page.expect_navigation():
            page.locator("main form button.btn-danger[type=submit]").click()
    assert re.search(r"/dossiers/drafts/\d+/form/", page.url), page.url
    draft = Dossier.objects.get(pk=int(re.search(r"/drafts/(\d+)/", page.url).group(1)))
    _service_worker_ready(page)
    form_url = page.url
    _one_handed(page)

    context.set_offline(True)
    page.fill('input[name="data-requester_id"]', "001090000001")
    page.fill('input[name="data-requester_name"]', "Nguyễn Văn Cha")
    page.locator('button[name="action"][value="save"]').tap()
    notice = page.locator("#offline-draft-notice")
    expect(notice).to_contain_text("Mất kết nối mạng: câu trả lời của bạn được giữ trên máy này")
    assert page.url == form_url  # the page was not left for the offline page
    draft.refresh_from_db()
    assert (draft.form_data or {}).get("requester_id") != "001090000001"

    context.set_offline(False)  # the online event: the kept answers are sent
    expect(notice).to_contain_text("Đã có mạng trở lại")
    draft.refresh_from_db()
    assert draft.form_data["requester_id"] == "001090000001"
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('portal-draft:')).length") == 0

    # The page took the server's new version: going on now is an ordinary step, not a conflict.
    page.fill('input[name="data-requester_phone"]', "0912345678")
    page.fill('[name="data-requester_address"]', "Số 1 đường Trung Tâm, Phường Trung Tâm")
    with page.expect_navigation():
        page.locator('button[name="action"][value="next"]').tap()
    assert page.url.endswith("?page=2"), (page.url, page.locator("#error-summary").inner_text())
    draft.refresh_from_db()
    assert draft.form_data["requester_phone"] == "0912345678"
    # The copy kept as the form was sent is dropped once the draft is known to be newer.
    wait_until(page, "Object.keys(localStorage).filter((k) => k.startsWith('portal-draft:')).length === 0")


def _one_handed(page) -> None:
    """One-handed use at 360 px: every visible control at least 44 px high, the primary action in
    a bar that stays at the bottom of the screen, and nothing wider than the screen."""
    small = page.evaluate(
        """[...document.querySelectorAll('main .btn, main .form-control, main .form-select, header .nav-link')]
             .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
             .filter((el) => el.getBoundingClientRect().height < 44)
             .map((el) => `${el.tagName} ${el.name || el.textContent.trim()}: ${el.getBoundingClientRect().height}`)"""
    )
    assert small == [], small
    bar = page.locator(".sticky-actions")
    assert bar.evaluate("(el) => getComputedStyle(el).position") == "sticky"
    # Scrolled to the top of a long form, the bar is still at the bottom of the screen.
    page.evaluate("window.scrollTo(0, 0)")
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] + 1 and box["y"] > PHONE["height"] / 2, box
    assert bar.locator(".btn-danger").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_signing_out_forgets_the_answers_kept_on_the_phone(page, login):
    profile = CitizenProfileFactory()
    login(profile.user)
    page.goto("/")
    page.evaluate(
        """localStorage.setItem('portal-draft:someone:/dossiers/drafts/1/form/',
             JSON.stringify({user: 'someone', url: '/dossiers/drafts/1/form/', version: '', pairs: [], saved: Date.now()}))"""
    )
    # A kept copy naming any other address is never sent, only dropped.
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.evaluate(
        """(key) => localStorage.setItem('portal-draft:' + key + ':/account/profile/',
             JSON.stringify({user: key, url: '/account/profile/', version: '', pairs: [['full_name', 'X']], saved: Date.now()}))""",
        page.locator("body").get_attribute("data-user-key"),
    )
    page.reload()
    wait_until(page, "!Object.keys(localStorage).some((k) => k.endsWith(':/account/profile/'))")
    assert not [url for url in posts if "/account/profile/" in url], posts
    page.locator("button.navbar-toggler").tap()
    with page.expect_navigation():
        page.locator('form[action*="logout"] button[type=submit]').tap()
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('portal-draft:')).length") == 0


def _start_draft(page) -> Dossier:
    page.goto("/dossiers/new/1.001193/")
    if "/form/" not in page.url:
        with page.expect_navigation():
            page.locator("main form button.btn-danger[type=submit]").click()
    return Dossier.objects.get(pk=int(re.search(r"/drafts/(\d+)/", page.url).group(1)))


KEPT = "Object.keys(localStorage).filter((k) => k.startsWith('portal-draft:')).length"


def _keep_as_sent(page, draft: Dossier) -> None:
    """What the script keeps as the form step is sent while the browser believes it is online."""
    page.evaluate(
        """([key, url, version]) => localStorage.setItem('portal-draft:' + key + ':' + url, JSON.stringify({
             user: key, url: url, version: version, sent: true, saved: Date.now(),
             pairs: [['data-requester_id', '001090000001'], ['data-requester_name', 'Nguyễn Văn Cha']]}))""",
        [
            page.locator("body").get_attribute("data-user-key"),
            f"/dossiers/drafts/{draft.pk}/form/",
            page.locator('input[name="draft_version"]').get_attribute("value"),
        ],
    )


def test_a_form_sent_that_never_arrived_is_sent_again_and_one_that_arrived_is_forgotten(page, login):
    _load_demo_catalogue()
    login(CitizenProfileFactory(full_name="Nguyễn Văn Cha").user)
    draft = _start_draft(page)
    # Arrived: the next page came from the server; the copy is dropped, nothing is posted.
    _keep_as_sent(page, draft)
    page.goto("/procedures/")
    wait_until(page, f"{KEPT} === 0")
    draft.refresh_from_db()
    assert (draft.form_data or {}).get("requester_id") != "001090000001"
    # Never arrived: the service worker showed the offline page instead; once back on a page of
    # the portal, the copy is sent as answers kept offline, and saved.
    page.goto(f"/dossiers/drafts/{draft.pk}/form/")
    _keep_as_sent(page, draft)
    page.goto("/offline/")
    assert page.evaluate("Object.values(localStorage).map(JSON.parse).filter((r) => r.wasSent && !r.sent).length") == 1
    page.goto("/track/")
    wait_until(page, f"{KEPT} === 0")
    draft.refresh_from_db()
    assert draft.form_data["requester_id"] == "001090000001"
    expect(page.locator("#offline-draft-notice")).to_contain_text("Đã có mạng trở lại")
