"""The citizen's journey on a phone (issue 19), 360 × 800: home → search "dang ky khai sinh" →
sign in → file a birth registration without uploading the declaration → receipt → track; then
a procedure with a fee (copies of a civil-status extract, 8.000 đồng each, two copies) paid in
the sandbox gateway, with its e-receipt, and tracked. Every page on the way fits the screen
(no sideways scroll) and meets no serious axe-core finding."""

import re

import pytest
from playwright.sync_api import expect

from dossiers.constants import DossierState
from dossiers.models import Dossier
from tests.dossiers.factories import make_pdf
from tests.e2e.a11y import axe_findings, overflow
from tests.e2e.factories import _load_demo_catalogue
from tests.factories import CitizenProfileFactory

PHONE = {"width": 360, "height": 800}
SUBMIT_TIMEOUT = 90_000


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}


@pytest.fixture
def sandbox(live_server, settings):
    """The portal redirects to the sandbox gateway on the live server (as test_full_online_path does)."""
    settings.PAYMENT_GATEWAY_URL = f"{live_server.url}/sandbox-gateway"
    return live_server


def _fits(page, problems: list[str]) -> None:
    if (extra := overflow(page)) > 0:
        problems.append(f"{page.url}: wider than the screen by {extra} px")
    problems += [f"{page.url}: {line}" for line in axe_findings(page)]


def _click(page, locator, timeout=10_000):
    with page.expect_navigation(timeout=timeout):
        locator.click(timeout=timeout)


def test_a_citizen_files_pays_and_tracks_on_a_phone(page, sandbox, user_password, tmp_path):
    _load_demo_catalogue()
    profile = CitizenProfileFactory(
        full_name="Nguyễn Văn Cha", phone="0912345678", current_address="Số 1 đường Trung Tâm, Phường Trung Tâm"
    )
    problems: list[str] = []
    assert page.viewport_size == PHONE

    # Home → search without diacritics → the procedure.
    page.goto("/")
    _fits(page, problems)
    page.fill("#home-q", "dang ky khai sinh")
    _click(page, page.get_by_role("button", name="Tìm kiếm"))
    _fits(page, problems)
    _click(page, page.locator(".procedure-result").first.locator("h2 a"))
    expect(page.locator("h1")).to_have_text("Đăng ký khai sinh")
    _fits(page, problems)
    # The documents table is cards here: the template download is on screen, not behind a scroll.
    download = page.locator("table.documents a[download]").first
    expect(download).to_be_visible()
    box = download.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

    # Filing asks to sign in first, then comes back to the wizard.
    _click(page, page.get_by_role("link", name="Nộp hồ sơ trực tuyến"))
    assert "/accounts/login/" in page.url
    _fits(page, problems)
    page.fill("input[name=login]", profile.user.email)
    page.fill("input[name=password]", user_password)
    _click(page, page.locator("main form button[type=submit]").first)
    assert "/dossiers/" in page.url, page.url

    if page.get_by_label("Tôi (công dân) tự nộp hồ sơ").count():
        _click(page, page.get_by_role("button", name="Tiếp tục"))
    _fits(page, problems)
    _click(page, page.get_by_role("button", name="Lưu và tiếp tục"))  # the form's next page: the child
    page.fill("#id_data-child_name", "Nguyễn Văn Bé")
    page.select_option("#id_data-child_sex", "male")
    page.fill("#id_data-child_birth_date", "1")  # the date group: day, month, year
    page.fill("#id_data-child_birth_date-month", "11")
    page.fill("#id_data-child_birth_date-year", "2026")
    page.fill("#id_data-birth_place", "Bệnh viện Đa khoa Tỉnh Demo")
    page.fill("#id_data-ethnicity", "Kinh")
    _click(page, page.get_by_role("button", name="Lưu và tiếp tục"))  # next page: the parents
    page.fill("#id_data-mother_name", "Trần Thị Mẹ")
    _click(page, page.get_by_role("button", name="Lưu và tiếp tục"))  # next page: the relationship
    page.select_option("#id_data-relationship", "father")
    _click(page, page.get_by_role("button", name="Lưu và tiếp tục"))

    # The declaration is the form just filled: only the birth paper is uploaded.
    expect(page.locator(".document-from-form")).to_contain_text("Bạn không cần tải lên")
    _fits(page, problems)
    paper = tmp_path / "giay-chung-sinh.pdf"
    paper.write_bytes(make_pdf())
    page.locator(".document-slot").nth(0).locator("input[type=file]:not([capture])").set_input_files(str(paper))
    _click(page, page.get_by_role("button", name="Tiếp tục", exact=True))
    _fits(page, problems)
    page.get_by_label(re.compile("Tôi xin cam đoan")).check()
    _click(page, page.get_by_role("button", name="Nộp hồ sơ"), timeout=SUBMIT_TIMEOUT)

    # The receipt: code, PIN, the acknowledgement PDF; birth registration is free, nothing to pay.
    expect(page.locator("h1")).to_contain_text("Đã nộp hồ sơ thành công")
    _fits(page, problems)
    code = page.locator("#dossier-code").inner_text()
    pin = page.locator("#tracking-pin").inner_text()
    dossier = Dossier.objects.get(code=code)
    assert dossier.documents.filter(component_name="Tờ khai đăng ký khai sinh").exists()
    ack = page.context.request.get(page.locator("#ack-download").get_attribute("href"))
    assert ack.status == 200 and ack.body().startswith(b"%PDF")
    page.goto(f"/dossiers/{code}/")
    _fits(page, problems)
    expect(page.locator("#pay-button")).to_have_count(0)

    # Track it by code and PIN.
    page.goto("/track/")
    page.fill("#track-form input[name=code]", code)
    page.fill("#track-form input[name=pin]", pin)
    _click(page, page.locator("#track-form button[type=submit]"))
    expect(page.locator("#track-result")).to_contain_text(code)
    expect(page.locator("#track-status")).to_contain_text("Mới đăng ký")
    expect(page.locator("#track-applicant")).to_have_text("Nguyễn Văn Cha")
    _fits(page, problems)

    # A procedure with a fee: two copies at 8.000 đồng, paid in the sandbox gateway.
    page.goto("/procedures/2.000635/")
    _click(page, page.get_by_role("link", name="Nộp hồ sơ trực tuyến"))
    if page.get_by_label("Tôi (công dân) tự nộp hồ sơ").count():
        _click(page, page.get_by_role("button", name="Tiếp tục"))
    page.select_option("#id_data-record_type", "birth")
    page.fill("#id_data-person_name", "Nguyễn Văn Bé")
    page.fill("#id_data-copies", "2")
    _click(page, page.get_by_role("button", name="Lưu và tiếp tục"))
    _click(page, page.get_by_role("button", name="Tiếp tục", exact=True))
    expect(page.locator("#review-fees")).to_contain_text("16.000 đ")
    _fits(page, problems)
    page.get_by_label(re.compile("Tôi xin cam đoan")).check()
    _click(page, page.get_by_role("button", name="Nộp hồ sơ"), timeout=SUBMIT_TIMEOUT)
    paid_code = page.locator("#dossier-code").inner_text()
    assert Dossier.objects.get(code=paid_code).state == DossierState.PAYMENT_REQUESTED
    page.goto(f"/dossiers/{paid_code}/")
    _fits(page, problems)
    _click(page, page.locator("#pay-button"))
    assert page.url.startswith(f"{sandbox.url}/sandbox-gateway/")
    expect(page.get_by_test_id("amount")).to_have_text("16.000 đồng")
    _click(page, page.get_by_role("button", name="Thanh toán", exact=True))
    expect(page.locator("#payment-result")).to_contain_text(
        f"Đã thanh toán thành công 16.000 đồng cho hồ sơ {paid_code}"
    )
    _fits(page, problems)
    receipt = page.context.request.get(page.locator("#receipt-link").get_attribute("href"))
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    page.goto(f"/track/?code={paid_code}")
    expect(page.locator("#track-result")).to_contain_text(paid_code)
    _fits(page, problems)

    assert not problems, "\n".join(problems)
