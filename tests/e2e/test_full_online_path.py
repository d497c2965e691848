"""Browser test of a fully online (toàn trình) procedure from filing to reusing its result.

A citizen files the demo marital status confirmation (1.004873: level "full", 15,000 đ collected
at submission), pays in the sandbox gateway in the browser (the real redirect, "pay", the
sandbox's server-to-server IPN to the live server, the return page), downloads the e-receipt
PDF; the ward's officers process the dossier through the services (receive, assign, propose
with a PDF, review, approve, return online); then the citizen finds ``<code>-KQ1`` in the
document store and attaches it, through the store picker, to a marriage registration (1.000894).
"""

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dossiers import services
from dossiers.constants import DossierState, ReturnMethod
from dossiers.models import Dossier, Payment, StoredDocument
from dossiers.models.payment import PaymentStatus
from tests.dossiers.factories import Team, make_pdf
from tests.e2e.factories import _load_demo_catalogue
from tests.factories import CitizenProfileFactory

WARD = "000.01.21.H99"


@pytest.fixture
def sandbox(live_server, settings):
    """The portal redirects to the sandbox gateway on the live server (as test_payments_gateway does)."""
    settings.PAYMENT_GATEWAY_URL = f"{live_server.url}/sandbox-gateway"
    return live_server


SUBMIT_TIMEOUT = 90_000


def _next(page, name="Tiếp tục", exact=True):
    # Submitting renders the declaration and the acknowledgement in the request here (eager
    # Celery, on a busy machine that can take tens of seconds); a worker does it in production.
    with page.expect_navigation(timeout=SUBMIT_TIMEOUT):
        page.get_by_role("button", name=name, exact=exact).click(timeout=SUBMIT_TIMEOUT)


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_file_pay_receive_the_result_and_reuse_it(page, login, sandbox, tmp_path):
    _load_demo_catalogue()
    profile = CitizenProfileFactory(
        full_name="Trần Văn An", phone="0912345678", current_address="Số 5 đường Trung Tâm, Phường Trung Tâm"
    )
    citizen = profile.user
    login(citizen)

    # --- File the marital status confirmation -------------------------------------------------
    page.goto("/procedures/1.004873/")
    with page.expect_navigation():
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    _next(page)  # step 1: the citizen applies for himself
    expect(page.locator("#id_data-requester_name")).to_have_value("Trần Văn An")
    page.select_option("#id_data-marital_status", "single")
    page.fill("#id_data-purpose", "Để đăng ký kết hôn")
    _next(page, "Lưu và tiếp tục")
    # The declaration is the form just filled: nothing required is left to upload (issue 19).
    expect(page.locator(".document-from-form")).to_contain_text("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân")
    _next(page)
    # The review shows the fee and that it is paid online after submission.
    expect(page.locator("#review-fees")).to_contain_text("15.000 đ")
    expect(page.locator("main")).to_contain_text("thanh toán trực tuyến 15.000 đồng")
    expect(page.locator("#delivery_online")).to_be_checked()
    page.get_by_label(re.compile("Tôi xin cam đoan")).check()
    _next(page, "Nộp hồ sơ")
    code = page.locator("#dossier-code").inner_text()
    assert re.fullmatch(rf"{re.escape(WARD)}-\d{{6}}-\d{{4}}", code)
    dossier = Dossier.objects.get(code=code)
    assert dossier.state == DossierState.PAYMENT_REQUESTED

    # --- Pay in the sandbox gateway -----------------------------------------------------------
    page.goto(f"/dossiers/{code}/")
    with page.expect_navigation():
        page.locator("#pay-button").click()
    assert page.url.startswith(f"{sandbox.url}/sandbox-gateway/")
    expect(page.get_by_test_id("amount")).to_have_text("15.000 đồng")
    reference = page.get_by_test_id("txn-ref").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Thanh toán", exact=True).click()
    # The IPN settled the payment before the browser came back to the return page.
    assert "/payments/return/" in page.url
    expect(page.locator("#payment-result")).to_contain_text(f"Đã thanh toán thành công 15.000 đồng cho hồ sơ {code}")
    payment = Payment.objects.get(reference=reference)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.dossier_id == dossier.pk
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED
    assert payment.callbacks.filter(kind="ipn").exists()

    # The e-receipt: a PDF with the dossier code, the amount in words and the reference.
    receipt_href = page.locator("#receipt-link").get_attribute("href")
    response = page.context.request.get(receipt_href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    receipt = tmp_path / "bien-lai.pdf"
    receipt.write_bytes(response.body())
    assert receipt.read_bytes().startswith(b"%PDF")
    text = _pdf_text(receipt)
    assert code in text and reference in text
    assert "Mười lăm nghìn đồng" in " ".join(text.split())
    # The dossier page lists the payment with its receipt.
    with page.expect_navigation():
        page.locator("#back-to-dossier").click()
    expect(page.locator("#pay-button")).to_have_count(0)
    expect(page.locator(".payments .payment[data-status=succeeded] a.receipt-download")).to_have_attribute(
        "href", receipt_href
    )

    # --- The officers process it (services; on_commit callbacks run as each call commits) ------
    team = Team(dossier.receiving_agency)
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk)
    services.dossier_propose(
        user=team.specialist,
        dossier_id=dossier.pk,
        recommendation="grant",
        result_title="Giấy xác nhận tình trạng hôn nhân",
        result_file=("giay-xac-nhan-tinh-trang-hon-nhan.pdf", make_pdf()),
    )
    services.dossier_forward(user=team.head, dossier_id=dossier.pk, note="Đồng ý trình")
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    services.dossier_return_result(user=team.reception, dossier_id=dossier.pk, method=ReturnMethod.ONLINE)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RETURNED
    result_code = f"{code}-KQ1"
    result = StoredDocument.objects.get(result_code=result_code, owner=citizen)

    # --- The citizen finds the result in the store ---------------------------------------------
    page.goto("/dossiers/store/")
    store = page.locator("table.stored-documents")
    expect(store).to_contain_text(result_code)
    expect(store).to_contain_text("Giấy xác nhận tình trạng hôn nhân")

    # --- ... and reuses it in a marriage registration through the store picker ------------------
    page.goto("/procedures/1.000894/")
    with page.expect_navigation():
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    _next(page)
    page.fill("#id_data-bride_name", "Lê Thị Bình")
    page.fill("#id_data-bride_birth_date", "4")  # the date group: day, month, year
    page.fill("#id_data-bride_birth_date-month", "3")
    page.fill("#id_data-bride_birth_date-year", "1995")
    page.fill("#id_data-bride_id", "001195000123")
    page.fill("#id_data-groom_name", "Trần Văn An")
    page.fill("#id_data-groom_birth_date", "6")  # the date group: day, month, year
    page.fill("#id_data-groom_birth_date-month", "5")
    page.fill("#id_data-groom_birth_date-year", "1990")
    page.fill("#id_data-groom_id", profile.citizen_id)
    first_marriage = page.locator("[name='data-first_marriage']")
    if first_marriage.first.evaluate("e => e.tagName") == "SELECT":
        first_marriage.select_option("true")
    else:
        page.locator("[name='data-first_marriage'][value='true']").check()
    _next(page, "Lưu và tiếp tục")
    slots = page.locator(".document-slot")
    expect(page.locator(".document-from-form")).to_contain_text("Tờ khai đăng ký kết hôn")
    expect(slots.nth(0)).to_contain_text("Giấy xác nhận tình trạng hôn nhân")
    picker = slots.nth(0).locator("select")
    expect(picker.locator(f"option[value='{result.pk}']")).to_have_count(1)
    picker.select_option(str(result.pk))
    _next(page)
    expect(page.locator(".review-documents")).to_contain_text("Giấy xác nhận tình trạng hôn nhân")
    expect(page.locator(".review-documents")).to_contain_text(result.name)
    page.get_by_label(re.compile("Tôi xin cam đoan")).check()
    _next(page, "Nộp hồ sơ")
    expect(page.locator("h1")).to_contain_text("Đã nộp hồ sơ thành công")
    marriage = Dossier.objects.get(code=page.locator("#dossier-code").inner_text())
    assert marriage.state == DossierState.SUBMITTED
    reused = marriage.documents.get(requirement__name__startswith="Giấy xác nhận tình trạng hôn nhân")
    assert reused.stored.file.name == result.file.name
