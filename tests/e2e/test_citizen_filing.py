"""Browser test of the whole citizen path: search, file with two documents, get the
acknowledgement, then track the dossier by code without signing in."""

import re
import subprocess
from pathlib import Path

from playwright.sync_api import expect

from dossiers.models import Dossier
from tests.dossiers.factories import make_pdf
from tests.e2e.factories import _load_demo_catalogue
from tests.factories import CitizenProfileFactory


def test_citizen_files_a_birth_registration_and_tracks_it(page, login, tmp_path):
    _load_demo_catalogue()
    profile = CitizenProfileFactory(
        full_name="Nguyễn Văn Cha", phone="0912345678", current_address="Số 1 đường Trung Tâm, Phường Trung Tâm"
    )
    login(profile.user)

    # Find the procedure without diacritics, open it, start filing.
    page.goto("/procedures/")
    page.fill("input[name=q]", "dang ky khai sinh")
    with page.expect_navigation():
        page.get_by_role("button", name="Tìm kiếm").click()
    with page.expect_navigation():
        page.locator(".procedure-result").first.locator("h2 a").click()
    expect(page.locator("h1")).to_have_text("Đăng ký khai sinh")
    with page.expect_navigation():
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()

    # Step 1: who applies, where.
    expect(page.get_by_label("Tôi (công dân) tự nộp hồ sơ")).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục").click()

    # Step 2: the form, prefilled from the profile (once-only).
    expect(page.locator("#id_data-requester_name")).to_have_value("Nguyễn Văn Cha")
    expect(page.locator("#id_data-requester_id")).to_have_value(profile.citizen_id)
    expect(page.locator("#id_data-requester_address")).to_have_value("Số 1 đường Trung Tâm, Phường Trung Tâm")
    with page.expect_navigation():  # the form's next page: the child
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.fill("#id_data-child_name", "Nguyễn Văn Bé")
    page.select_option("#id_data-child_sex", "male")
    page.fill("#id_data-child_birth_date", "1")  # the date group: day, month, year
    page.fill("#id_data-child_birth_date-month", "11")
    page.fill("#id_data-child_birth_date-year", "2026")
    page.fill("#id_data-birth_place", "Bệnh viện Đa khoa Tỉnh Demo")
    page.fill("#id_data-ethnicity", "Kinh")
    with page.expect_navigation():  # next page: the parents
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.fill("#id_data-mother_name", "Trần Thị Mẹ")
    with page.expect_navigation():  # next page: the relationship
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.select_option("#id_data-relationship", "father")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và tiếp tục").click()

    # Step 3: the declaration is the form just filled (issue 19); only the birth paper is uploaded.
    chung_sinh = tmp_path / "giay-chung-sinh.pdf"
    chung_sinh.write_bytes(make_pdf(pages=2))
    expect(page.locator(".document-from-form")).to_contain_text("Tờ khai đăng ký khai sinh")
    expect(page.locator(".document-from-form")).to_contain_text("Bạn không cần tải lên")
    slots = page.locator(".document-slot")
    expect(slots.nth(0)).to_contain_text("Giấy chứng sinh")
    slots.nth(0).locator("input[type=file]:not([capture])").set_input_files(str(chung_sinh))
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục", exact=True).click()

    # Step 4: review, declaration, submit.
    expect(page.locator("table.answers")).to_contain_text("Nguyễn Văn Bé")
    expect(page.locator(".review-documents .from-form")).to_contain_text("Tờ khai đăng ký khai sinh")
    expect(page.locator(".review-documents")).to_contain_text("giay-chung-sinh.pdf")
    page.get_by_label(re.compile("Tôi xin cam đoan")).check()
    # The declaration and the acknowledgement render in the request here (eager Celery).
    with page.expect_navigation(timeout=90_000):
        page.get_by_role("button", name="Nộp hồ sơ").click(timeout=90_000)

    # Confirmation: the code and the PIN, once.
    expect(page.locator("h1")).to_contain_text("Đã nộp hồ sơ thành công")
    code = page.locator("#dossier-code").inner_text()
    pin = page.locator("#tracking-pin").inner_text()
    assert re.fullmatch(r"000\.01\.21\.H99-\d{6}-0001", code)
    assert re.fullmatch(r"\d{8}", pin)
    assert pin not in page.url
    assert Dossier.objects.get(code=code).documents.count() == 2

    with page.expect_download() as download_info:
        page.locator("#ack-download").click()
    target = Path(tmp_path) / "ack.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert code in text

    # Refreshing the confirmation does not show the PIN again.
    page.reload()
    expect(page.locator("#tracking-pin")).to_have_count(0)

    # "Hồ sơ của tôi" lists it.
    with page.expect_navigation():
        page.get_by_role("link", name="Hồ sơ của tôi").first.click()
    expect(page.locator("table.dossier-list")).to_contain_text(code)

    # Signed out: track by code; nothing personal without the PIN.
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng xuất").click()
    page.goto(f"/track/?code={code}")
    result = page.locator("#track-result")
    expect(result).to_contain_text(code)
    expect(result).to_contain_text("Đăng ký khai sinh")
    expect(page.locator("#track-status")).to_contain_text("Mới đăng ký")
    expect(page.locator("#track-applicant")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Nguyễn Văn Cha")
    # With the PIN, the applicant's name too.
    page.fill("#track-form input[name=pin]", pin)
    with page.expect_navigation():
        page.locator("#track-form button[type=submit]").click()
    expect(page.locator("#track-applicant")).to_have_text("Nguyễn Văn Cha")


def test_the_error_summary_links_to_each_field_and_takes_the_focus(page, login):
    """GOV.UK's pattern in Vietnamese (issue 19): "Lỗi:" in the title, the summary focused, each
    link moving to its field, and a specific message instead of "Trường này là bắt buộc."."""
    _load_demo_catalogue()
    profile = CitizenProfileFactory(full_name="Nguyễn Văn Cha", phone="0912345678")
    login(profile.user)
    page.goto("/dossiers/new/1.001193/")
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục").click()
    page.fill("#id_data-requester_id", "12")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    # Page 1 of the form (the applicant) is checked on its own (issue 19): its own summary.
    assert page.title().startswith("Lỗi: ")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#id_data-requester_id']")).to_have_count(1)
    page.fill("#id_data-requester_id", "001090000001")
    page.fill("#id_data-requester_address", "Số 1 đường Trung Tâm")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    expect(page.locator("#form-page-progress")).to_contain_text("Trang 2/4")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và tiếp tục").click()
    assert page.title().startswith("Lỗi: ")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nhập họ, chữ đệm, tên của trẻ.")
    expect(summary).not_to_contain_text("Trường này là bắt buộc")
    summary.locator("a[href='#id_data-child_name']").click()
    assert page.evaluate("location.hash") == "#id_data-child_name"
    expect(page.locator("#id_data-child_name")).to_be_visible()
    # The review step (issue 19): the same summary, focused, linking to the declaration here and
    # to the document's upload input on the documents step.
    draft = Dossier.objects.get(applicant=profile.user)
    page.goto(f"/dossiers/drafts/{draft.pk}/review/")
    with page.expect_navigation():
        page.locator("#submit-button").click()
    assert page.title().startswith("Lỗi: ")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href*='/documents/#id_documents']")).to_have_count(1)
    summary.locator("a[href='#id_declaration']").click()
    assert page.evaluate("location.hash") == "#id_declaration"
    expect(page.locator("#id_declaration")).to_be_visible()
